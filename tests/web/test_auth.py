"""Signing in and out."""

import re

import pytest

from heart_field.models import Role
from tests.conftest import PASSWORD, csrf_token, make_team, make_user


def test_login_page_has_labelled_fields_and_no_username_autocomplete(client):
    page = client.get("/login")
    assert page.status_code == 200
    assert '<label for="username">Username</label>' in page.text
    assert '<label for="password">Password</label>' in page.text
    assert 'autocomplete="off"' in page.text


@pytest.mark.parametrize(("role", "landing"), [
    (Role.RESPONDER, "/field/"), (Role.DISPATCHER, "/dispatch/"),
    (Role.NAVIGATOR, "/navigation/"), (Role.SUPERVISOR, "/reports/"),
])
def test_each_role_lands_on_its_own_page(app, client, role, landing):
    make_user("someone", role, make_team() if role == Role.RESPONDER else None)
    token = csrf_token(client.get("/login"))
    response = client.post("/login", data={"username": "someone", "password": PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 303
    assert response.headers["Location"] == landing
    assert client.get(landing).status_code == 200


def test_unknown_user_and_wrong_password_get_the_same_message(app, client, dispatcher):
    token = csrf_token(client.get("/login"))
    wrong = client.post("/login", data={"username": "dispatcher", "password": "nope",
                                        "csrf_token": token})
    unknown = client.post("/login", data={"username": "nobody", "password": "nope",
                                          "csrf_token": token})
    assert wrong.status_code == unknown.status_code == 422
    assert "Username or password is not right." in wrong.text
    # CSRF tokens carry the second they were signed in: compare the pages without them.
    def page(response, username):
        return re.sub(r"[\w-]+\.[\w-]+\.[\w-]+", "TOKEN", response.text.replace(username, "X"))

    assert page(wrong, "dispatcher") == page(unknown, "nobody")


def test_login_without_csrf_token_is_refused(app, client, dispatcher):
    response = client.post("/login", data={"username": "dispatcher", "password": PASSWORD})
    assert response.status_code in (400, 422)
    assert client.get("/dispatch/").status_code == 302


def test_next_only_follows_local_paths(app, client, dispatcher):
    token = csrf_token(client.get("/login"))
    response = client.post("/login?next=//evil.example/", data={
        "username": "dispatcher", "password": PASSWORD, "csrf_token": token})
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
    response = client.post("/login", data={"username": "dispatcher", "password": PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 422
