"""Rules for a new password: long enough, and not one attackers try first.

The list of 20,000 common passwords ships with the app (data/common-passwords.txt.gz,
see data/SOURCES.md), so the check works offline and sends nothing anywhere.
"""

import gzip
from functools import cache
from pathlib import Path

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
        raise PasswordRejected(f"Use at least {MIN_LENGTH} characters: a few words make a good one.")
    if len(password) > MAX_LENGTH:
        raise PasswordRejected(f"Use at most {MAX_LENGTH} characters.")
    folded = password.strip().lower()
    if folded in common_passwords() or folded.replace(" ", "") in common_passwords():
        raise PasswordRejected("That password is on a list of common passwords that attackers "
                               "try first. Choose another.")
    if username and username.lower() in folded:
        raise PasswordRejected("The password must not contain the username.")
