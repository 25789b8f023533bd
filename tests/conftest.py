"""Fixtures shared by every test: a real database, the app, and the people who use it.

The database is SQLite in a temporary folder by default; with TEST_DATABASE_URL set
(.ci/run sets it) the same tests run against PostgreSQL.

Under pytest-xdist (`-n 2`) each worker process has a PostgreSQL database of its own (see
pytest_configure); SQLite files are per test already.
"""

import os
import re
import shutil

import pytest
from flask import Flask, g, has_app_context
from jinja2 import BytecodeCache
from sqlalchemy import create_engine, event, make_url, select, text
from sqlalchemy.engine import Engine
from werkzeug.routing import Rule

from heart_field import create_app
from heart_field.config import TestConfig
from heart_field.extensions import db
from heart_field.models import Incident, Role, Team, User

PASSWORD = "correct horse battery staple"


def pytest_configure(config):
    """Under pytest-xdist, point TEST_DATABASE_URL (and LIVE_DATABASE_URL) of a PostgreSQL
    server at a database of this worker's own, `<name>_gw0`, made here if it is missing: two
    workers never share a database. Runs before any test module is imported."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return
    for variable in ("TEST_DATABASE_URL", "LIVE_DATABASE_URL"):
        base = os.environ.get(variable, "")
        if base.startswith("postgresql"):
            os.environ[variable] = _database_of_its_own(base, worker)
    TestConfig.SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")


def _database_of_its_own(base: str, worker: str) -> str:
    url = make_url(base)
    name = f"{url.database}_{worker}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        found = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if not found:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


class SharedTemplateBytecode(BytecodeCache):
    """Every test makes an app of its own, and each app's Jinja compiled every template it
    rendered anew: a quarter of the suite's time. This keeps the compiled templates in memory
    for the test run, shared by every app the tests make. Jinja checks each template's source
    against its checksum, so a changed template is compiled again."""

    def __init__(self):
        self.compiled = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket):
        self.compiled[bucket.key] = bucket.bytecode_to_string()


Flask.jinja_options = {**Flask.jinja_options, "bytecode_cache": SharedTemplateBytecode()}


def _build_url_builders_once(compile_builder):
    """Each app also compiled a URL builder for each of its routes (werkzeug writes and compiles
    Python for each): a third of what making an app costs. A builder depends only on the rule's
    text and its parts (and on defaults, so rules with defaults are left alone): the same
    route gets the same builder, compiled once for the test run."""
    built = {}

    def compile_once(rule, append_unknown=True):
        if rule.defaults:
            return compile_builder(rule, append_unknown)
        key = (rule.rule, tuple(rule._trace), append_unknown)
        if key not in built:
            built[key] = compile_builder(rule, append_unknown)
        return built[key]

    return compile_once


Rule._compile_builder = _build_url_builders_once(Rule._compile_builder)


class EmptyDatabase:
    """Each test starts on an empty database with the models' schema, without building the
    schema for each test: on SQLite a copy of a database file made once per run; on
    PostgreSQL the schema stays and every table is emptied after the test (TRUNCATE ...
    RESTART IDENTITY, so ids start at 1 again). A test that changes the schema (migrations,
    its own drop_all) is seen by the statements it sends (CREATE, ALTER, DROP from any engine
    in this process), and the schema is built again before the next test."""

    schema_changed = True

    def __init__(self, folder):
        self.server_url = os.environ.get("TEST_DATABASE_URL")
        self.sqlite_template = None if self.server_url else folder / "empty.db"

    def url(self, tmp_path) -> str:
        if self.server_url:
            return self.server_url
        if not self.sqlite_template.exists():
            _build_schema(f"sqlite:///{self.sqlite_template}")
        shutil.copyfile(self.sqlite_template, tmp_path / "test.db")
        return f"sqlite:///{tmp_path / 'test.db'}"

    def before_test(self):
        """In the test's app context: on PostgreSQL, the schema built again if it changed."""
        if self.server_url and EmptyDatabase.schema_changed:
            db.drop_all()
            db.create_all()
        EmptyDatabase.schema_changed = False

    def after_test(self):
        """In the test's app context, its session removed: empty every table."""
        if not self.server_url or EmptyDatabase.schema_changed:
            return
        tables = ", ".join(f'"{table.name}"' for table in db.metadata.sorted_tables)
        try:
            with db.engine.begin() as connection:
                connection.execute(text("SET LOCAL lock_timeout = '30s'"))
                connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        except Exception:
            EmptyDatabase.schema_changed = True  # built again before the next test
            raise
        EmptyDatabase.schema_changed = False  # TRUNCATE is not a change of schema


SCHEMA_CHANGE = re.compile(r"\s*(CREATE|ALTER|DROP)\b", re.IGNORECASE)


@event.listens_for(Engine, "before_cursor_execute")
def _note_schema_change(_connection, _cursor, statement, _parameters, _context, _executemany):
    if SCHEMA_CHANGE.match(statement):
        EmptyDatabase.schema_changed = True


def _build_schema(url: str) -> None:
    app = make_test_app(SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        db.create_all()
        db.engine.dispose()


@pytest.fixture(scope="session")
def empty_database(tmp_path_factory):
    return EmptyDatabase(tmp_path_factory.mktemp("schema"))


@pytest.fixture
def app(tmp_path, empty_database):
    app = make_test_app(SQLALCHEMY_DATABASE_URI=empty_database.url(tmp_path))
    with app.app_context():
        empty_database.before_test()
        yield app
        db.session.remove()
        empty_database.after_test()
        db.engine.dispose()


def make_test_app(**config):
    """The app under TestConfig and `config` (the database URL must be in it: Flask-SQLAlchemy
    makes its engine in create_app), for a test that keeps an app context open around its
    requests."""
    app = create_app(type("Config", (TestConfig,), config))

    @app.teardown_request
    def forget_request_globals(_error):
        """Requests reuse the test's app context, and with it `g`: clear what Flask-Login
        and Flask-WTF keep there, so two signed-in sessions in one test stay apart."""
        for name in list(g):
            g.pop(name)

    return app


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
