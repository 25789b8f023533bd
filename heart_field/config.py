"""Settings read from the environment (see README, "Configuration")."""

import os
from datetime import timedelta
from pathlib import Path

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'heart_field.db'}"
    )
    # hide_parameters: SQL errors (and their tracebacks in the log) never show the values,
    # which may be personal details.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "hide_parameters": True}

    HEART_CITY_LIMITS = os.environ.get("HEART_CITY_LIMITS")  # None: bundled Durham polygon
    HEART_GEOCODER = os.environ.get("HEART_GEOCODER", "gazetteer")
    HEART_GEOCODER_DOMAIN = os.environ.get("HEART_GEOCODER_DOMAIN")
    # The offline geocoder's CSV (address,lat,lon). None: the bundled demo gazetteer.
    HEART_GAZETTEER = os.environ.get("HEART_GAZETTEER") or None
    HEART_SERVICE_HOURS = os.environ.get("HEART_SERVICE_HOURS", "07:00-19:00")
    HEART_TIMEZONE = os.environ.get("HEART_TIMEZONE", "America/New_York")
    # The demo (dev.py run): outside service hours, demo hours that cover now (demo.py).
    HEART_DEMO = os.environ.get("HEART_DEMO") == "1"
    # Minutes before an unaccepted assignment, or a long time on scene, is flagged on the board.
    HEART_ACCEPT_TIMEOUT_MINUTES = _int("HEART_ACCEPT_TIMEOUT_MINUTES", 2)
    HEART_ON_SCENE_WELFARE_MINUTES = _int("HEART_ON_SCENE_WELFARE_MINUTES", 45)
    # A call waiting for a team longer than this is an alert on the board.
    HEART_WAITING_OVERDUE_MINUTES = _int("HEART_WAITING_OVERDUE_MINUTES", 15)
    # Waiting calls on one page of the board (the most urgent first; the rest a page away).
    HEART_BOARD_PAGE_SIZE = _int("HEART_BOARD_PAGE_SIZE", 25)
    # Shared devices: minutes without a tap before the screen asks for the password again.
    HEART_IDLE_LOCK_MINUTES = _int("HEART_IDLE_LOCK_MINUTES", 15)
    # The dispatch map's tile layer (a Leaflet URL template) and its attribution. None: the map
    # shows the city limits and the points alone, as an offline control room sees it.
    HEART_TILE_URL = os.environ.get("HEART_TILE_URL") or None
    HEART_TILE_ATTRIBUTION = os.environ.get("HEART_TILE_ATTRIBUTION", "")

    # The live feed (heart_field/live.py): how often a stream reads the feed, how long one
    # stream lasts before the browser reconnects (with Last-Event-ID), and the keep-alive.
    HEART_LIVE_POLL_SECONDS = float(os.environ.get("HEART_LIVE_POLL_SECONDS", 0.25))
    HEART_LIVE_STREAM_SECONDS = float(os.environ.get("HEART_LIVE_STREAM_SECONDS", 300))
    HEART_LIVE_HEARTBEAT_SECONDS = float(os.environ.get("HEART_LIVE_HEARTBEAT_SECONDS", 15))

    # Call alerts by Web Push (README, "Call alerts"). The VAPID key signs every push request:
    # set it (PEM, or base64url) on every instance, or let the first run make one in instance/.
    HEART_VAPID_PRIVATE_KEY = os.environ.get("HEART_VAPID_PRIVATE_KEY") or None
    HEART_VAPID_KEY_FILE = os.environ.get("HEART_VAPID_KEY_FILE") or None
    # Who runs this server, for the push services (a mailto: or https: URL).
    HEART_VAPID_SUBJECT = os.environ.get("HEART_VAPID_SUBJECT", "mailto:heart-field@localhost")
    # 0: this process sends no alerts (run `flask --app app push-worker` somewhere instead).
    HEART_PUSH_WORKER = os.environ.get("HEART_PUSH_WORKER", "1") != "0"
    HEART_PUSH_POLL_SECONDS = float(os.environ.get("HEART_PUSH_POLL_SECONDS", 0.5))
    # An assignment not accepted by then is sent again (the board alerts at the accept time-out).
    HEART_PUSH_REMIND_SECONDS = _int("HEART_PUSH_REMIND_SECONDS", HEART_ACCEPT_TIMEOUT_MINUTES * 30)
    # An alert not delivered by then is dropped (a call alert an hour late misleads).
    HEART_PUSH_MAX_AGE_SECONDS = _int("HEART_PUSH_MAX_AGE_SECONDS", 600)
    HEART_PUSH_TIMEOUT_SECONDS = float(os.environ.get("HEART_PUSH_TIMEOUT_SECONDS", 10))
    # Alerts name the part of the city ("North Durham"), never the address.
    HEART_PUSH_PLACE_NAME = os.environ.get("HEART_PUSH_PLACE_NAME", "Durham")
    # Familiar places (issue 23): the radius and address match for prior contacts, how far back
    # they count, and how long a safety or approach note on a place lasts.
    HEART_PLACE_RADIUS_METRES = float(os.environ.get("HEART_PLACE_RADIUS_METRES", 50))
    HEART_PRIOR_CONTACT_DAYS = _int("HEART_PRIOR_CONTACT_DAYS", 90)
    HEART_PLACE_NOTE_DAYS = _int("HEART_PLACE_NOTE_DAYS", 90)

    # werkzeug's password hash method: scrypt at werkzeug's work factor (N=2^15, r=8, p=1).
    HEART_PASSWORD_HASH = "scrypt"

    # A page left open through a long call must still post: the session bounds the token.
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("HEART_INSECURE_COOKIES") != "1"
    REMEMBER_COOKIE_HTTPONLY = True
    PERMANENT_SESSION_LIFETIME = timedelta(hours=_int("HEART_SESSION_HOURS", 13))
    # Absolute: a sign-in lasts a shift and an hour, however busy the session is.
    HEART_SESSION_MAX_AGE = PERMANENT_SESSION_LIFETIME
    # Failed sign-ins allowed per account, and per network address (an ECC office shares one).
    HEART_SIGNIN_LIMIT_ACCOUNT = os.environ.get(
        "HEART_SIGNIN_LIMIT_ACCOUNT", "5 per minute; 20 per hour"
    )
    HEART_SIGNIN_LIMIT_ADDRESS = os.environ.get(
        "HEART_SIGNIN_LIMIT_ADDRESS", "20 per minute; 100 per hour"
    )
    RATELIMIT_HEADERS_ENABLED = True  # a refused sign-in says when to retry (Retry-After)
    MAX_CONTENT_LENGTH = 1024 * 1024
    # Reverse proxies in front that set X-Forwarded-For/-Proto (0: none, the client is direct).
    HEART_PROXIES = _int("HEART_PROXIES", 0)

    # Requests each API token may make (Flask-Limiter syntax); past it, 429 with Retry-After.
    HEART_API_RATE_LIMIT = os.environ.get("HEART_API_RATE_LIMIT", "300 per minute")
    # Who HEART is in the EIDO documents it writes (agency and issuing element identifiers).
    HEART_EIDO_AGENCY_ID = os.environ.get("HEART_EIDO_AGENCY_ID", "heart.durhamnc.gov")
    HEART_EIDO_ELEMENT_ID = os.environ.get("HEART_EIDO_ELEMENT_ID", "heart-field.durhamnc.gov")
    RATELIMIT_HEADERS_ENABLED = True


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-only-secret"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    SESSION_COOKIE_SECURE = False
    HEART_LIVE_STREAM_SECONDS = 1.0  # a test reading a stream to its end waits no longer
    # Tests run at any hour: those about service hours set a window of their own.
    HEART_SERVICE_HOURS = "00:00-24:00"
    # Tests hash and check passwords thousands of times: 32x cheaper than production (still salted).
    HEART_PASSWORD_HASH = "scrypt:1024:8:1"
    # A fixed test-only key (never written to instance/), and no sender thread unless a test
    # starts one: tests send the queue themselves.
    HEART_VAPID_PRIVATE_KEY = "-Dsb8_7OvLGB925pkiHBflAy4hUdZtMhVBGQixBFZx4"
    HEART_PUSH_WORKER = False
