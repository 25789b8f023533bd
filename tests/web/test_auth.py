"""Signing in and out."""

import re

import pytest

from heart_field import create_app, passwords
from heart_field.config import Config
from heart_field.extensions import db
from heart_field.models import Role, User
from tests.conftest import PASSWORD, csrf_token, make_team, make_user


def test_login_page_has_labelled_fields_and_no_username_autocomplete(client):
    page = client.get("/login")
    assert page.status_code == 200
    assert '<label for="username">Username</label>' in page.text
    assert '<label for="password">Password</label>' in page.text
    assert 'autocomplete="off"' in page.text


@pytest.mark.parametrize(
    ("role", "landing"),
    [
        (Role.RESPONDER, "/field/"),
        (Role.DISPATCHER, "/dispatch/"),
        (Role.NAVIGATOR, "/navigation/"),
        (Role.SUPERVISOR, "/reports/"),
    ],
)
def test_each_role_lands_on_its_own_page(app, client, role, landing):
    make_user("someone", role, make_team() if role == Role.RESPONDER else None)
    token = csrf_token(client.get("/login"))
    response = client.post(
        "/login", data={"username": "someone", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == landing
    assert client.get(landing).status_code == 200


def test_unknown_user_and_wrong_password_get_the_same_message(app, client, dispatcher):
    token = csrf_token(client.get("/login"))
    wrong = client.post(
        "/login", data={"username": "dispatcher", "password": "nope", "csrf_token": token}
    )
    unknown = client.post(
        "/login", data={"username": "nobody", "password": "nope", "csrf_token": token}
    )
    assert wrong.status_code == unknown.status_code == 422
    assert "Username or password is not right." in wrong.text

    # CSRF tokens carry the second they were signed in: compare the pages without them.
    def page(response, username):
        return re.sub(r"[\w-]+\.[\w-]+\.[\w-]+", "TOKEN", response.text.replace(username, "X"))

    assert page(wrong, "dispatcher") == page(unknown, "nobody")


@pytest.mark.parametrize("who", ["dispatcher", "nobody", "disabled"])
def test_every_failed_sign_in_costs_one_password_check(app, client, dispatcher, monkeypatch, who):
    """An unknown or disabled account is checked against a decoy hash, so a failed sign-in
    takes as long whichever it was: timing does not reveal which usernames exist."""
    disabled = make_user("disabled", Role.DISPATCHER)
    disabled.active = False
    db.session.commit()
    checked = []
    real_check = passwords.check_password_hash
    monkeypatch.setattr(
        passwords,
        "check_password_hash",
        lambda stored, typed: checked.append(stored.split("$")[0]) or real_check(stored, typed),
    )
    token = csrf_token(client.get("/login"))
    response = client.post(
        "/login",
        data={
            "username": who,
            "password": PASSWORD if who == "disabled" else "nope",
            "csrf_token": token,
        },
    )
    assert response.status_code == 422
    assert checked == [app.config["HEART_PASSWORD_HASH"]]


def test_production_hashes_with_scrypt_at_full_work_factor(app):
    production = create_app(
        type("Production", (Config,), {"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    )
    with production.app_context():
        user = User(username="x", display_name="X", role=Role.DISPATCHER)
        user.set_password(PASSWORD)
    assert user.password_hash.startswith("scrypt:32768:8:1$")
    with app.app_context():
        assert user.check_password(PASSWORD) and not user.check_password(PASSWORD + "!")


def test_login_without_csrf_token_is_refused(app, client, dispatcher):
    response = client.post("/login", data={"username": "dispatcher", "password": PASSWORD})
    assert response.status_code in (400, 422)
    assert client.get("/dispatch/").status_code == 302


def test_next_only_follows_local_paths(app, client, dispatcher):
    token = csrf_token(client.get("/login"))
    response = client.post(
        "/login?next=//evil.example/",
        data={"username": "dispatcher", "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/dispatch/"


def test_logout_ends_the_session(app, sign_in, dispatcher):
    session = sign_in(dispatcher)
    assert session.post("/logout").status_code == 303
    assert session.get("/dispatch/").status_code == 302


def test_inactive_user_cannot_sign_in(app, client, dispatcher):
    from heart_field.extensions import db

    dispatcher.active = False
    db.session.commit()
    token = csrf_token(client.get("/login"))
    response = client.post(
        "/login", data={"username": "dispatcher", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 422
