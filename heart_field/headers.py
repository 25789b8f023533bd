"""Security headers on every answer, set in one place by Flask-Talisman.

The Content-Security-Policy allows nothing inline and nothing from elsewhere: every script
and style is a file under /static (htmx's own indicator styles are switched off in
base.html). connect-src 'self' lets the live feed (SSE) and htmx reach the app, and
worker-src 'self' lets /sw.js control the field screen offline.
"""

from flask import Flask
from flask_talisman import Talisman

SELF = "'self'"

CONTENT_SECURITY_POLICY = {
    "default-src": SELF,
    "script-src": SELF,
    "style-src": SELF,
    "img-src": SELF,
    "font-src": SELF,
    "connect-src": SELF,
    "worker-src": SELF,
    "manifest-src": SELF,
    "object-src": "'none'",
    "base-uri": SELF,
    "form-action": SELF,
    "frame-ancestors": "'none'",
}

# The responder's screen stamps taps with the device's position; nothing else is needed.
PERMISSIONS_POLICY = {
    "geolocation": "(self)",
    "camera": "()",
    "microphone": "()",
    "payment": "()",
    "usb": "()",
    "browsing-topics": "()",
}

talisman = Talisman()


def init_app(app: Flask) -> None:
    talisman.init_app(
        app,
        content_security_policy=CONTENT_SECURITY_POLICY,
        permissions_policy=PERMISSIONS_POLICY,
        referrer_policy="same-origin",
        frame_options="DENY",
        # TLS ends at the proxy in front, which redirects plain http; HSTS is sent on
        # every https answer (or X-Forwarded-Proto: https), except while debugging.
        force_https=False,
        strict_transport_security=not app.debug,
        strict_transport_security_include_subdomains=False,
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        session_cookie_http_only=True,
    )
