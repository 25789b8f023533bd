"""The idle lock for shared devices: after HEART_IDLE_LOCK_MINUTES without a tap, a form or a
page load, every request is sent to the lock screen until the password is given again.

Background requests (htmx polls, event streams) are not activity: a screen left on a call keeps
refreshing, and must still lock. The page reports touches it sees (POST /activity), at most once
a minute, so reading a call is not idling.
"""

import time

from flask import current_app, jsonify, redirect, request, session, url_for
from flask_login import current_user
from markupsafe import Markup, escape

from ..access import API_TOKEN, PUBLIC, rule_for

# Reachable while locked.
OPEN_WHEN_LOCKED = {"auth.lock", "auth.logout", "auth.login", "auth.home"}


def now() -> int:
    return int(time.time())


def mark_active() -> None:
    session["active_at"] = now()
    session.pop("locked", None)


def lock() -> None:
    session["locked"] = True


def is_locked() -> bool:
    if session.get("locked"):
        return True
    last = session.get("active_at")
    return last is not None and now() - last > current_app.config["HEART_IDLE_LOCK_MINUTES"] * 60


def _is_activity() -> bool:
    if request.method != "GET":
        return True
    background = (
        request.headers.get("HX-Request") == "true"
        or request.accept_mimetypes.best == "text/event-stream"
    )
    return not background


def enforce_idle_lock():
    """before_request hook, after the access rules."""
    endpoint = request.endpoint
    if endpoint is None or endpoint == "static" or endpoint in OPEN_WHEN_LOCKED:
        return None
    if rule_for(endpoint) in (PUBLIC, API_TOKEN) or not current_user.is_authenticated:
        return None
    if is_locked():
        lock()
        return _locked_response()
    if session.get("active_at") is None or (_is_activity() and now() - session["active_at"] >= 30):
        session["active_at"] = now()
    return None


def _locked_response():
    lock_url = url_for("auth.lock")
    if request.path.startswith("/api/"):
        return jsonify(error="locked", message="The screen is locked. Sign in again."), 401
    if request.headers.get("HX-Request") == "true":
        response = current_app.response_class("", status=401)
        response.headers["HX-Redirect"] = lock_url
        return response
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("auth.lock", next=target) if target else lock_url, code=303)


def idle_lock_attributes() -> Markup:
    """Body attributes device.js reads to lock the screen on time."""
    seconds = current_app.config["HEART_IDLE_LOCK_MINUTES"] * 60
    return Markup(
        f'data-idle-lock-seconds="{seconds}" '
        f'data-lock-url="{escape(url_for("auth.lock"))}" data-activity-url="{escape(url_for("auth.activity"))}"'
    )
