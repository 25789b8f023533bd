"""Failed sign-ins and unlocks, counted in the database so that every worker and instance
shares one budget (README, "Security"): per account (a hash of the username typed, never the
name itself) and per client address.

Each attempt first reserves a row and counts the rows in each limit's window: an attempt beyond
the limit is refused before any password is checked, and attempts made at the same moment by
several workers see each other's reservations. A successful attempt removes its reservation,
so a shift signing in is never held up; a failed one leaves it there as the failure.
"""

import hashlib
import math
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app, request
from limits import parse_many
from sqlalchemy import delete, func, select

from ..extensions import db
from ..models import SignInFailure, utcnow


@dataclass
class Attempt:
    """The reservation one attempt holds; retry_after is set when it was refused."""

    ids: list[int] = field(default_factory=list)
    retry_after: int | None = None

    @property
    def held(self) -> bool:
        return self.retry_after is not None


def account_key(username: str) -> str:
    typed = (username or "").strip().lower()
    digest = hashlib.sha256((current_app.config["SECRET_KEY"] + "\0" + typed).encode()).hexdigest()
    return "account:" + digest[:40]


def address_key() -> str:
    return "address:" + (request.remote_addr or "unknown")


def _limits(username: str) -> list[tuple[str, str]]:
    return [
        (account_key(username), current_app.config["HEART_SIGNIN_LIMIT_ACCOUNT"]),
        (address_key(), current_app.config["HEART_SIGNIN_LIMIT_ADDRESS"]),
    ]


def begin(username: str) -> Attempt:
    """Reserve this attempt against the account's and the address's limits; commits."""
    limits = _limits(username)
    now = utcnow()
    rows = [SignInFailure(key=key, at=now) for key, _ in limits]
    db.session.add_all(rows)
    db.session.commit()
    attempt = Attempt(ids=[row.id for row in rows])
    waits = []
    for key, spec in limits:
        for limit in parse_many(spec):
            window = limit.get_expiry()
            count, oldest = db.session.execute(
                select(func.count(), func.min(SignInFailure.at)).where(
                    SignInFailure.key == key, SignInFailure.at > now - timedelta(seconds=window)
                )
            ).one()
            if count > limit.amount:
                waits.append(max(1, math.ceil((oldest - now).total_seconds() + window)))
    if waits:
        attempt.retry_after = max(waits)
        succeeded(attempt)  # a refused attempt is not a failure of its own
    return attempt


def succeeded(attempt: Attempt) -> None:
    """The attempt was right (or refused unheard): its reservation is not a failure."""
    if attempt.ids:
        db.session.execute(delete(SignInFailure).where(SignInFailure.id.in_(attempt.ids)))
        db.session.commit()
        attempt.ids = []


def failed(attempt: Attempt, username: str) -> None:
    """The reservation stays as the failure; this key's rows older than every window go."""
    for key, spec in _limits(username):
        longest = max(limit.get_expiry() for limit in parse_many(spec))
        db.session.execute(
            delete(SignInFailure).where(
                SignInFailure.key == key, SignInFailure.at < utcnow() - timedelta(seconds=longest)
            )
        )
    db.session.commit()
    attempt.ids = []
