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
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    HEART_CITY_LIMITS = os.environ.get("HEART_CITY_LIMITS")  # None: bundled Durham polygon
    HEART_GEOCODER = os.environ.get("HEART_GEOCODER", "gazetteer")
    HEART_GEOCODER_DOMAIN = os.environ.get("HEART_GEOCODER_DOMAIN")
    HEART_SERVICE_HOURS = os.environ.get("HEART_SERVICE_HOURS", "07:00-19:00")
    HEART_TIMEZONE = os.environ.get("HEART_TIMEZONE", "America/New_York")
    # Minutes before an unaccepted assignment, or a long time on scene, is flagged on the board.
    HEART_ACCEPT_TIMEOUT_MINUTES = _int("HEART_ACCEPT_TIMEOUT_MINUTES", 2)
    HEART_ON_SCENE_WELFARE_MINUTES = _int("HEART_ON_SCENE_WELFARE_MINUTES", 45)
    # Shared devices: minutes without a tap before the screen asks for the password again.
    HEART_IDLE_LOCK_MINUTES = _int("HEART_IDLE_LOCK_MINUTES", 15)

    # A page left open through a long call must still post: the session bounds the token.
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("HEART_INSECURE_COOKIES") != "1"
    REMEMBER_COOKIE_HTTPONLY = True
    PERMANENT_SESSION_LIFETIME = timedelta(hours=_int("HEART_SESSION_HOURS", 13))
    MAX_CONTENT_LENGTH = 1024 * 1024


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-only-secret"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    SESSION_COOKIE_SECURE = False
