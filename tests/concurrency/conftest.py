"""A real gunicorn server with several workers on a database of its own, and a small
HTTP client for it. SQLite in a temporary folder, or with TEST_DATABASE_URL set (as CI
does), a fresh PostgreSQL database on that server, dropped afterwards."""

import http.cookiejar
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from bench.servers import Gunicorn, app_env, flask_cli, gunicorn
from heart_field import create_app
from heart_field.extensions import db


@contextmanager
def fresh_database(folder: Path):
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{folder / 'server.db'}"
        return
    name = f"heart_server_{uuid.uuid4().hex[:8]}"
    admin = create_engine(make_url(base).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class Server:
    def __init__(self, url: str, database_url: str, log: Path):
        self.url = url
        self.database_url = database_url
        self.log = log

    @contextmanager
    def app_context(self):
        """The app on the server's database, to arrange data and read results directly."""
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": self.database_url,
                "TESTING": True,
                "SECRET_KEY": "server-test-secret",
            }
        )
        with app.app_context():
            yield
            db.session.remove()
            db.engine.dispose()

    def log_text(self) -> str:
        return self.log.read_text()

    def log_count(self, line: str, expected: int, seconds: float = 5.0) -> int:
        """How often `line` is in the log, once it is there `expected` times or after
        `seconds`: gunicorn writes a request's access line after its answer has gone, so the
        client can have every answer before the log has every line."""
        deadline = time.monotonic() + seconds
        while (count := self.log_text().count(line)) < expected and time.monotonic() < deadline:
            time.sleep(0.05)
        return count


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """gunicorn, 3 worker processes of 8 threads each, on loopback, schema migrated."""
    folder = tmp_path_factory.mktemp("server")
    with fresh_database(folder) as database_url:
        env = {**app_env(database_url), "SECRET_KEY": "server-test-secret"}
        flask_cli(env, "db", "upgrade")
        log_path = folder / "server.log"
        with gunicorn(
            "app:app", env, Gunicorn(workers=3, threads=8, access_log=True), log_path, "/login"
        ) as url:
            yield Server(url, database_url, log_path)


class Client:
    """One signed-in browser: its cookies and CSRF token, shareable across threads."""

    def __init__(self, base_url: str, username: str, password: str):
        self.base_url = base_url
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        page = opener.open(f"{base_url}/login").read().decode()
        body = urllib.parse.urlencode(
            {"username": username, "password": password, "csrf_token": _token(page)}
        ).encode()
        landing = opener.open(f"{base_url}/login", body).read().decode()
        self.token = _token(landing)
        self.cookie = "; ".join(f"{c.name}={c.value}" for c in jar)

    def post(self, path: str, data: dict) -> tuple[int, str]:
        request = urllib.request.Request(
            f"{self.base_url}{path}",
            urllib.parse.urlencode(data).encode(),
            headers={"Cookie": self.cookie, "X-CSRFToken": self.token, "HX-Request": "true"},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


def _token(page: str) -> str:
    match = re.search(r'"X-CSRFToken": "([^"]+)"', page)
    assert match, page[:500]
    return match.group(1)
