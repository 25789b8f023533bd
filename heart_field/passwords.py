"""Passwords: the rules for a new one, and how they are hashed and checked.

The list of 20,000 common passwords ships with the app (data/common-passwords.txt.gz,
see data/SOURCES.md), so the check works offline and sends nothing anywhere.
"""

import gzip
import secrets
from functools import cache
from pathlib import Path

from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

MIN_LENGTH = 12
MAX_LENGTH = 256
COMMON_PASSWORDS = Path(__file__).resolve().parent / "data" / "common-passwords.txt.gz"


class PasswordRejected(ValueError):
    """The message says what to change."""


@cache
def common_passwords() -> frozenset[str]:
    with gzip.open(COMMON_PASSWORDS, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines)


def check_new_password(password: str, username: str = "") -> None:
    """Raise PasswordRejected unless the password may be used."""
    if len(password) < MIN_LENGTH:
        raise PasswordRejected(
            f"Use at least {MIN_LENGTH} characters: a few words make a good one."
        )
    if len(password) > MAX_LENGTH:
        raise PasswordRejected(f"Use at most {MAX_LENGTH} characters.")
    folded = password.strip().lower()
    if folded in common_passwords() or folded.replace(" ", "") in common_passwords():
        raise PasswordRejected(
            "That password is on a list of common passwords that attackers "
            "try first. Choose another."
        )
    if username and username.lower() in folded:
        raise PasswordRejected("The password must not contain the username.")


def hash_password(password: str) -> str:
    """werkzeug's salted hash, by the method in HEART_PASSWORD_HASH (scrypt at werkzeug's
    work factor; the tests lower it, as they sign in thousands of times)."""
    return generate_password_hash(password, method=current_app.config["HEART_PASSWORD_HASH"])


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether the password matches the stored hash. With none (no such account, or a
    disabled one) a check of the same cost still runs and fails, so how long sign-in takes
    does not tell which usernames exist."""
    if stored_hash is None:
        check_password_hash(_decoy_hash(current_app.config["HEART_PASSWORD_HASH"]), password)
        return False
    return check_password_hash(stored_hash, password)


@cache
def _decoy_hash(method: str) -> str:
    return generate_password_hash(secrets.token_urlsafe(32), method=method)
