"""Sessions kept on the server: one `user_sessions` row per sign-in on a device.

Flask's signed cookie carries a random key and nothing else about the user (Flask-WTF's CSRF
token rides beside it); Flask-Login's request loader finds the row by the key's SHA-256 on each
request. A row that has ended (signed out here or remotely, too many wrong unlock passwords, the
end of its lifetime) opens nothing, whichever copy of the cookie comes back. Rows live in the
database, so every worker and instance sees the same state: no sticky sessions, no process memory.

Why not Flask-Session: its SQLAlchemy backend keeps the whole session dict as one serialised blob
per id, writes it back on every request unless told otherwise, and has no place for the columns
this needs (user, device, lock, counter) nor a way to list a person's devices; issuing a new id at
sign-in was still an open request there (pallets-eco/flask-session#162).
"""

import hashlib
import re
import secrets
from datetime import timedelta

from flask import current_app, flash, g, request, session
from sqlalchemy import delete, select, update
from sqlalchemy.orm import joinedload

from ..domain import alerts
from ..extensions import db, login_manager
from ..models import User, UserSession, utcnow

COOKIE_KEY = "sid"
# Recording each request's time would write on every poll; once a minute says enough.
SEEN_RESOLUTION = timedelta(minutes=1)
# Activity (a tap, a form, a page load) is written at most this often.
ACTIVE_RESOLUTION = timedelta(seconds=30)
# A person's rows older than this are dropped when they sign in again (the audit trail keeps
# the sign-ins and sign-outs themselves).
KEEP_ROWS = timedelta(days=30)

ENDED_MESSAGES = {
    "signed_out_remotely": "This device was signed out by a supervisor. Sign in again.",
}


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def device_label(user_agent: str) -> str:
    """A short name for the device, enough to tell a person's phone from the desk's PC."""
    ua = user_agent or ""
    browser = next(
        (
            name
            for pattern, name in (
                (r"Edg/", "Edge"),
                (r"Firefox/|FxiOS/", "Firefox"),
                (r"SamsungBrowser/", "Samsung Internet"),
                (r"Chrome/|CriOS/", "Chrome"),
                (r"Safari/", "Safari"),
            )
            if re.search(pattern, ua)
        ),
        "Browser",
    )
    system = next(
        (
            name
            for pattern, name in (
                (r"Android", "Android"),
                (r"iPhone", "iPhone"),
                (r"iPad", "iPad"),
                (r"CrOS", "ChromeOS"),
                (r"Windows", "Windows"),
                (r"Macintosh|Mac OS X", "Mac"),
                (r"Linux", "Linux"),
            )
            if re.search(pattern, ua)
        ),
        None,
    )
    return f"{browser} on {system}" if system else browser


def start(user: User) -> UserSession:
    """A new row and a new key at every sign-in: nothing from before it is kept (no fixation).
    The caller commits."""
    key = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.execute(
        delete(UserSession).where(
            UserSession.user_id == user.id, UserSession.created_at < now - KEEP_ROWS
        )
    )
    row = UserSession(
        key_hash=hash_key(key),
        user_id=user.id,
        device=device_label(request.user_agent.string)[:80],
        created_at=now,
        last_seen_at=now,
        active_at=now,
    )
    db.session.add(row)
    session.clear()
    session[COOKIE_KEY] = key
    g.user_session = row
    return row


def current() -> UserSession | None:
    """This request's open session row (after Flask-Login has loaded the user)."""
    return g.get("user_session")


def end(row: UserSession, reason: str, by: User | None = None) -> None:
    """End the row (the caller commits). Only an open row is ended: the first reason stays.
    The device's call alerts end with it (sign-out, lock-screen sign-out, remote sign-out)."""
    db.session.execute(
        update(UserSession)
        .where(UserSession.id == row.id, UserSession.ended_at.is_(None))
        .values(ended_at=utcnow(), end_reason=reason, ended_by_id=by.id if by else None)
    )
    alerts.forget_session_alerts(db.session, row.user_id, str(row.id))


def forget_here() -> None:
    """This browser's part: the cookie's key and everything else in it."""
    session.clear()
    g.pop("user_session", None)


@login_manager.request_loader
def load_user(_request) -> User | None:
    """The user of the open session the cookie names; None for an ended or unknown one."""
    key = session.get(COOKIE_KEY)
    if not isinstance(key, str):
        return None
    row = db.session.scalar(
        select(UserSession)
        .where(UserSession.key_hash == hash_key(key))
        # With the user and their team: a responder's every request needs them (one query).
        .options(joinedload(UserSession.user).joinedload(User.team))
    )
    if row is None or not row.open or not row.user.active:
        session.clear()
        message = ENDED_MESSAGES.get(row.end_reason) if row is not None else None
        if message:
            flash(message)
        return None
    g.user_session = row
    return row.user


def seen(row: UserSession, activity: bool) -> None:
    """Note the request on the row, writing at most once a minute (or every 30 s of activity)."""
    now = utcnow()
    values = {}
    if now - row.last_seen_at >= SEEN_RESOLUTION:
        values["last_seen_at"] = now
    if activity and now - row.active_at >= ACTIVE_RESOLUTION:
        values["active_at"] = now
    if values:
        values.setdefault("last_seen_at", now)
        db.session.execute(update(UserSession).where(UserSession.id == row.id).values(**values))
        db.session.commit()


def lifetime() -> timedelta:
    return current_app.config["HEART_SESSION_MAX_AGE"]
