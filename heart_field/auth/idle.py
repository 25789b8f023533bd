"""The idle lock for shared devices: after HEART_IDLE_LOCK_MINUTES without a tap, a form or a
page load, every request is sent to the lock screen until the password is given again.

The lock and its failed-unlock counter live in the session's row (auth/sessions.py), not in
the cookie: a copy of the cookie from before the lock is locked too, on every worker.

Background requests (htmx polls, event streams) are not activity: a screen left on a call keeps
refreshing, and must still lock. The page reports touches it sees (POST /activity), at most once
a minute, so reading a call is not idling.
"""

from datetime import timedelta

from flask import current_app, jsonify, redirect, request, url_for
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import update

from ..access import API_TOKEN, PUBLIC, rule_for
from ..extensions import db
from ..models import UserSession, utcnow
from . import sessions

# Reachable while locked.
OPEN_WHEN_LOCKED = {"auth.lock", "auth.logout", "auth.login", "auth.home"}


def idle_limit() -> timedelta:
    return timedelta(minutes=current_app.config["HEART_IDLE_LOCK_MINUTES"])


def is_locked(row: UserSession) -> bool:
    return row.locked or utcnow() - row.active_at > idle_limit()


def lock(row: UserSession) -> None:
    """Lock the session (commits)."""
    db.session.execute(update(UserSession).where(UserSession.id == row.id).values(locked=True))
    db.session.commit()


def unlock(row: UserSession) -> None:
    """The right password: unlocked, counter cleared, active now (commits)."""
    db.session.execute(
        update(UserSession)
        .where(UserSession.id == row.id)
        .values(locked=False, unlock_failures=0, active_at=utcnow())
    )
    db.session.commit()


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
    if endpoint is None or endpoint == "static":
        return None
    if rule_for(endpoint) in (PUBLIC, API_TOKEN) or not current_user.is_authenticated:
        return None
    row = sessions.current()
    if row is None:
        return None
    if endpoint in OPEN_WHEN_LOCKED:
        return None
    if is_locked(row):
        if not row.locked:
            lock(row)
        return _locked_response()
    sessions.seen(row, activity=_is_activity())
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
    """Body attributes device.js reads to lock the screen on time (none on the lock screen)."""
    if request.endpoint == "auth.lock":
        return Markup("")
    seconds = current_app.config["HEART_IDLE_LOCK_MINUTES"] * 60
    return Markup(
        f'data-idle-lock-seconds="{seconds}" '
        f'data-lock-url="{escape(url_for("auth.lock"))}" data-activity-url="{escape(url_for("auth.activity"))}"'
    )
