"""Fixtures shared by every test: a real database, the app, and the people who use it.

The database is SQLite in a temporary folder by default; with TEST_DATABASE_URL set
(.ci/run sets it) the same tests run against PostgreSQL.
"""

import os
import re

import pytest
from flask import g, has_app_context
from sqlalchemy import select

from heart_field import create_app
from heart_field.config import TestConfig
from heart_field.extensions import db
from heart_field.models import Incident, Role, Team, User

PASSWORD = "correct horse battery staple"


@pytest.fixture
def app(tmp_path):
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'test.db'}"
    # The URL must be in the config create_app() sees: Flask-SQLAlchemy makes its engine there.
    app = create_app(type("Config", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url}))

    @app.teardown_request
    def forget_request_globals(_error):
        """Requests reuse the test's app context, and with it `g`: clear what Flask-Login
        and Flask-WTF keep there, so two signed-in sessions in one test stay apart."""
        for name in list(g):
            g.pop(name)

    with app.app_context():
        db.drop_all()
        db.create_all()
        yield app
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def make_team(
    call_sign="CR-1", unit="community_response", lat=35.994, lon=-78.8986, status="available"
) -> Team:
    """A unit, on duty (available) unless `status` says otherwise: new units start off duty."""
    team = Team(call_sign=call_sign, unit_type=unit, last_lat=lat, last_lon=lon, status=status)
    db.session.add(team)
    db.session.commit()
    return team


def make_user(username, role, team=None, discipline=None) -> User:
    user = User(
        username=username,
        display_name=username.title(),
        role=role,
        team=team,
        discipline=discipline,
    )
    user.set_password(PASSWORD)
    db.session.add(user)
    db.session.commit()
    return user


def make_incident(cad="D1", **fields) -> Incident:
    values = dict(
        cad_number=cad,
        call_type="welfare_check",
        priority=2,
        address="737 Ninth St, Durham, NC 27705",
        lat=36.009004,
        lon=-78.922177,
        within_city_limits=True,
        narrative="Man sitting outside for hours.",
    )
    values.update(fields)
    incident = Incident(**values)
    db.session.add(incident)
    db.session.commit()
    return incident


@pytest.fixture
def team(app):
    return make_team()


@pytest.fixture
def other_team(app):
    return make_team("CR-2", lat=36.009, lon=-78.922)


@pytest.fixture
def responder(team):
    return make_user("responder", Role.RESPONDER, team, "clinician")


@pytest.fixture
def dispatcher(app):
    return make_user("dispatcher", Role.DISPATCHER)


@pytest.fixture
def incident(app):
    return make_incident()


def csrf_token(response) -> str:
    """The CSRF token a rendered page carries."""
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', response.text)
    if match is None:
        match = re.search(r'"X-CSRFToken": "([^"]+)"', response.text)
    assert match, "page has no CSRF token"
    return match.group(1)


def _forget_signed_in_user():
    """Requests reuse the test's app context, where Flask-Login caches the user and Flask-WTF
    the signed CSRF token in `g`: drop them, so each request uses its own session's (tests
    alternate between users)."""
    if not has_app_context():
        return
    g.pop("_login_user", None)
    g.pop("csrf_token", None)


class Session:
    """A signed-in browser session on the test client, with its CSRF token."""

    def __init__(self, client, username):
        self.client = client
        _forget_signed_in_user()
        page = client.get("/login")
        response = client.post(
            "/login",
            data={"username": username, "password": PASSWORD, "csrf_token": csrf_token(page)},
        )
        assert response.status_code == 303, response.text
        self.token = csrf_token(client.get(response.headers["Location"]))

    def get(self, url, **kwargs):
        _forget_signed_in_user()
        return self.client.get(url, **kwargs)

    def post(self, url, data=None, htmx=False, **kwargs):
        _forget_signed_in_user()
        data = {"csrf_token": self.token, **(data or {})}
        headers = {"HX-Request": "true"} if htmx else {}
        return self.client.post(url, data=data, headers=headers, **kwargs)


@pytest.fixture
def sign_in(app):
    """sign_in(user) -> a Session on its own test client."""
    return lambda user: Session(app.test_client(), user.username)


def reload(model):
    db.session.expire_all()
    return db.session.scalar(select(type(model)).where(type(model).id == model.id))
