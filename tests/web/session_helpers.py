"""Reach a test client's session row on the server (auth/sessions.py)."""

from datetime import timedelta

from sqlalchemy import select, update

from heart_field.auth.sessions import COOKIE_KEY, hash_key
from heart_field.extensions import db
from heart_field.models import UserSession, utcnow


def session_key(client) -> str | None:
    with client.session_transaction() as stored:
        return stored.get(COOKIE_KEY)


def session_row(client) -> UserSession | None:
    """The row the client's cookie names, or None when the cookie names none."""
    db.session.expire_all()
    key = session_key(client)
    if key is None:
        return None
    return db.session.scalar(select(UserSession).where(UserSession.key_hash == hash_key(key)))


def set_row(client, **values) -> None:
    key = session_key(client)
    db.session.execute(
        update(UserSession).where(UserSession.key_hash == hash_key(key)).values(**values)
    )
    db.session.commit()


def idle_for(client, minutes: float) -> None:
    set_row(client, active_at=utcnow() - timedelta(minutes=minutes))


def signed_in_hours_ago(client, hours: float) -> None:
    set_row(client, created_at=utcnow() - timedelta(hours=hours))
