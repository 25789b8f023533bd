"""New passwords: long enough, not common, not the username; create-user enforces it."""

import pytest
from sqlalchemy import select

from heart_field.extensions import db
from heart_field.models import AuditEvent, User
from heart_field.passwords import PasswordRejected, check_new_password


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short-1", "at least 12 characters"),
        ("x" * 257, "at most 256"),
        ("password1234", "common passwords"),
        ("Password1234", "common passwords"),
        ("qwertyuiop123", "common passwords"),
        ("alex-rivera-on-shift", "must not contain the username"),
    ],
)
def test_weak_passwords_are_refused_with_a_reason(password, message):
    with pytest.raises(PasswordRejected, match=message):
        check_new_password(password, "alex-rivera")


def test_a_long_uncommon_passphrase_is_accepted():
    check_new_password("ninth street lantern tuesday", "alex-rivera")


def test_create_user_refuses_a_common_password_and_creates_nothing(app, runner):
    result = runner.invoke(
        args=["create-user", "alex", "--role", "dispatcher"], env={"HEART_PASSWORD": "password1234"}
    )
    assert result.exit_code != 0
    assert "common passwords" in result.output
    assert db.session.scalar(select(User).where(User.username == "alex")) is None


def test_create_user_accepts_a_good_password(app, runner):
    result = runner.invoke(
        args=["create-user", "alex", "--role", "dispatcher"],
        env={"HEART_PASSWORD": "ninth street lantern tuesday"},
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "alex"))
    assert user.check_password("ninth street lantern tuesday")
    granted = db.session.scalar(select(AuditEvent))
    assert (granted.action, granted.object_id, granted.detail) == (
        "grant_role",
        str(user.id),
        "dispatcher (command line)",
    )
