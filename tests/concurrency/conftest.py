"""A real gunicorn server with several workers on a database of its own, and a small
HTTP client for it. SQLite in a temporary folder, or with TEST_DATABASE_URL set (as CI
does), a fresh PostgreSQL database on that server, dropped afterwards."""

import http.cookiejar
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from heart_field import create_app
from heart_field.extensions import db
from tests.browser.conftest import _free_port

ROOT = Path(__file__).resolve().parents[2]


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
        app = create_app({"SQLALCHEMY_DATABASE_URI": self.database_url, "TESTING": True,
                          "SECRET_KEY": "server-test-secret"})
        with app.app_context():
            yield
            db.session.remove()
            db.engine.dispose()

    def log_text(self) -> str:
        return self.log.read_text()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """gunicorn, 3 worker processes of 8 threads each, on loopback, schema migrated."""
    folder = tmp_path_factory.mktemp("server")
    with fresh_database(folder) as database_url:
        env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "server-test-secret",
               "HEART_INSECURE_COOKIES": "1"}
        flask = [sys.executable, "-m", "flask", "--app", "app"]
        subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True,
                       capture_output=True)
        port = _free_port()
        log_path = folder / "server.log"
        with open(log_path, "w") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}",
                 "--workers", "3", "--worker-class", "gthread", "--threads", "8",
                 "--access-logfile", "-", "app:app"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            )
            url = f"http://127.0.0.1:{port}"
            try:
                _wait_until_up(url, process, log_path)
                yield Server(url, database_url, log_path)
            finally:
                process.terminate()
                process.wait(10)


def _wait_until_up(url, process, log_path):
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{url}/login", timeout=1)
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(log_path.read_text())
            time.sleep(0.2)


class Client:
    """One signed-in browser: its cookies and CSRF token, shareable across threads."""

    def __init__(self, base_url: str, username: str, password: str):
        self.base_url = base_url
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        page = opener.open(f"{base_url}/login").read().decode()
        body = urllib.parse.urlencode({"username": username, "password": password,
                                       "csrf_token": _token(page)}).encode()
        landing = opener.open(f"{base_url}/login", body).read().decode()
        self.token = _token(landing)
        self.cookie = "; ".join(f"{c.name}={c.value}" for c in jar)

    def post(self, path: str, data: dict) -> tuple[int, str]:
        request = urllib.request.Request(
            f"{self.base_url}{path}", urllib.parse.urlencode(data).encode(),
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
