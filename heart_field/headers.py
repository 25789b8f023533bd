"""Security headers on every answer, set in one place by Flask-Talisman.

The Content-Security-Policy allows nothing inline and nothing from elsewhere: every script
and style is a file under /static (htmx's own indicator styles are switched off in
base.html). connect-src 'self' lets the live feed (SSE) and htmx reach the app, and
worker-src 'self' lets /sw.js control the field screen offline. img-src also names the map's
tile host when HEART_TILE_URL is set.

Answers from the app itself are never stored by a browser or proxy cache (`Cache-Control:
no-store`): pages, fragments, JSON and CSV carry personal details (a call's narrative, a
referral's contact), and a shared tablet's back button or disk must not keep them. Static files
(versioned by the service worker's build hash) stay cacheable; a view that sets its own
Cache-Control (the service worker script, the live stream, the favicon) keeps it.
"""

from flask import Flask, request
from flask_talisman import Talisman

from .domain.mapping import tile_host

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


def content_security_policy(tile_url: str | None) -> dict[str, str]:
    """The policy, with the dispatch map's tile host allowed as an image source when configured."""
    policy = dict(CONTENT_SECURITY_POLICY)
    host = tile_host(tile_url)
    if host:
        policy["img-src"] = f"{SELF} {host}"
    return policy


def no_store(response):
    """after_request: no-store on every answer but static files and those that chose."""
    if request.endpoint == "static" or "Cache-Control" in response.headers:
        return response
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.after_request(no_store)
    # One Talisman per app: its settings live on the instance, and the policy depends on config.
    app.extensions["talisman"] = Talisman(
        app,
        content_security_policy=content_security_policy(app.config.get("HEART_TILE_URL")),
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
