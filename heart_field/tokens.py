"""API tokens: issue one (shown once), find the token a request presents, revoke.

A token is 32 random bytes, URL-safe, prefixed "hf_" so it is recognisable in a secrets
scanner. Only its SHA-256 is stored: the token has 256 bits of entropy, so a fast hash is
as safe as a slow one here and lets every request be checked with one indexed lookup.
"""

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import ApiToken, User, utcnow
from .models.tokens import SCOPES

PREFIX = "hf_"
# Recording every use would write on every read; once a minute says enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def issue(
    session: Session, name: str, actor: User | None = None, scopes=None
) -> tuple[ApiToken, str]:
    """Create a token and commit; the clear token is returned here and never again.
    ``scopes`` (names from SCOPES) defaults to all of them."""
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name,
        token_hash=hash_token(secret),
        created_by_id=actor.id if actor else None,
        scopes=scope_text(SCOPES if scopes is None else scopes),
    )
    session.add(token)
    session.commit()
    return token, secret


def authenticate(session: Session, secret: str) -> ApiToken | None:
    """The active token with this secret, its last use recorded; None if unknown or revoked."""
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(secret)))
    if token is None or not token.active:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        token.last_used_at = now
        session.commit()
    return token


def revoke(session: Session, token: ApiToken, actor: User | None = None) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        token.revoked_by_id = actor.id if actor else None
        session.commit()


def scope_text(scopes) -> str:
    """Scope names in their canonical order; raises ValueError on an unknown one."""
    chosen = set(scopes)
    unknown = chosen - set(SCOPES)
    if unknown:
        raise ValueError(f"unknown scope {sorted(unknown)[0]!r}; choose from {', '.join(SCOPES)}")
    return " ".join(name for name in SCOPES if name in chosen)


def set_scopes(session: Session, token: ApiToken, scopes) -> None:
    token.scopes = scope_text(scopes)
    session.commit()


def api_scope(scope: str):
    """Declare the scope an API view needs (default: read_status for GET, create_incidents
    for writes; see required_scope)."""
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}")

    def decorate(view):
        view.api_scope = scope
        return view

    return decorate


def required_scope(view, method: str) -> str:
    declared = getattr(view, "api_scope", None)
    if declared:
        return declared
    return "read_status" if method in ("GET", "HEAD") else "create_incidents"
