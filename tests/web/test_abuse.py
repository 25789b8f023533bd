"""Sign-in throttling, session cookies and the absolute session lifetime."""

import pytest

from heart_field import create_app
from heart_field.config import Config
from heart_field.models import Role
from tests.conftest import PASSWORD, csrf_token, make_user
from tests.web.session_helpers import signed_in_hours_ago


def attempt(client, username, password, address="192.0.2.10"):
    page = client.get("/login", environ_base={"REMOTE_ADDR": address})
    return client.post(
        "/login",
        environ_base={"REMOTE_ADDR": address},
        data={"username": username, "password": password, "csrf_token": csrf_token(page)},
    )


def test_an_account_is_held_after_five_failed_sign_ins(app, client, dispatcher):
    """The sixth try within a minute is refused with 429 and a clear message, even with
    the right password; another account from the same address still signs in."""
    for _ in range(5):
        assert attempt(client, "Dispatcher ", "wrong password").status_code == 422
    held = attempt(client, "dispatcher", PASSWORD)
    assert held.status_code == 429
    assert "Too many sign-in attempts. Wait a minute, then try again." in held.text
    assert int(held.headers["Retry-After"]) > 0
    assert 'name="username"' in held.text  # the sign-in form, not a dead end
    make_user("colleague", Role.DISPATCHER)
    assert attempt(app.test_client(), "colleague", PASSWORD).status_code == 303


def test_an_address_is_held_after_many_failed_sign_ins(app, client, dispatcher):
    """Guessing across many accounts from one address is held; other addresses are not."""
    app.config["HEART_SIGNIN_LIMIT_ADDRESS"] = "3 per minute"
    for n in range(3):
        assert attempt(client, f"guess-{n}", "wrong password").status_code == 422
    assert attempt(client, "guess-9", "wrong password").status_code == 429
    assert attempt(client, "dispatcher", PASSWORD).status_code == 429
    elsewhere = app.test_client()
    assert attempt(elsewhere, "dispatcher", PASSWORD, address="198.51.100.7").status_code == 303


def test_successful_sign_ins_are_never_held(app, dispatcher):
    """A shift signing in and out all day does not lock anyone out."""
    for _ in range(8):
        client = app.test_client()
        assert attempt(client, "dispatcher", PASSWORD).status_code == 303


def test_a_sign_in_ends_after_its_absolute_lifetime(app, sign_in, responder):
    """However busy, a session older than HEART_SESSION_MAX_AGE (13 h) must sign in again."""
    phone = sign_in(responder)
    signed_in_hours_ago(phone.client, 12.9)
    assert phone.get("/field/").status_code == 200
    signed_in_hours_ago(phone.client, 13.1)
    ended = phone.get("/field/")
    assert ended.status_code == 302
    assert ended.headers["Location"].startswith("/login")
    login = phone.get(ended.headers["Location"])
    assert "Your sign-in has expired" in login.text
    assert phone.get("/field/").status_code == 302  # signed out for good


def test_session_cookie_is_secure_httponly_and_lax_outside_debugging(tmp_path, monkeypatch):
    """With SECRET_KEY set and no debugging, the session cookie only travels over https."""
    production = type(
        "Production",
        (Config,),
        {
            "SECRET_KEY": "a-real-secret",
            "SESSION_COOKIE_SECURE": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'prod.db'}",
        },
    )
    app = create_app(production)
    response = app.test_client().get("/login", base_url="https://heart.example")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_session_cookie_is_not_secure_while_debugging(tmp_path):
    """The debug server speaks plain http: a Secure cookie would never come back."""
    debugging = type(
        "Debugging",
        (Config,),
        {
            "DEBUG": True,
            "SECRET_KEY": "dev",
            "SESSION_COOKIE_SECURE": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'dev.db'}",
        },
    )
    cookie = create_app(debugging).test_client().get("/login").headers["Set-Cookie"]
    assert "Secure" not in cookie and "HttpOnly" in cookie


def test_secret_key_is_required_outside_debugging_and_testing(monkeypatch):
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY must be set"):
        create_app(type("NoKey", (Config,), {"SECRET_KEY": None}))
