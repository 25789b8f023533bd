"""Browser tests: the real app served by gunicorn, driven by Debian's Chromium via Playwright.

Without Chromium these tests skip, unless HEART_REQUIRE_BROWSER=1 (as in CI), when they fail.
"""

import os
import re
import sqlite3
import time
from contextlib import closing
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from sqlalchemy import make_url

from bench.browser import LAUNCH_ARGS, chromium_path
from bench.servers import (
    DEMO_PASSWORD,
    Gunicorn,
    app_env,
    demo_env,
    flask_cli,
    gunicorn,
    seed_demo,
)
from heart_field import create_app
from heart_field.extensions import db


def pytest_collection_modifyitems(config, items):
    if chromium_path():
        return
    if os.environ.get("HEART_REQUIRE_BROWSER") == "1":
        raise pytest.UsageError(
            "HEART_REQUIRE_BROWSER=1 but no Chromium was found "
            "(apt-get install chromium, or set HEART_CHROMIUM)."
        )
    skip = pytest.mark.skip(reason="Chromium is not installed (apt-get install chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": chromium_path(),
        "args": LAUNCH_ARGS,
    }


@pytest.fixture(scope="session")
def live_database_url(tmp_path_factory):
    """The live server's database, for tests that check what it stored."""
    folder = tmp_path_factory.mktemp("live-db")
    return os.environ.get("LIVE_DATABASE_URL") or f"sqlite:///{folder / 'live.db'}"


@pytest.fixture(scope="session")
def live_server(tmp_path_factory, live_database_url):
    """The app under gunicorn on a free port, with its own database and the demo shift,
    shared by the session's browser tests."""
    yield from serve(tmp_path_factory.mktemp("live"), live_database_url)


@pytest.fixture(scope="module")
def fresh_server(tmp_path_factory):
    """A server of the module's own, on a new SQLite database with the demo shift as seeded:
    for a test that needs the demo's teams and calls untouched by other tests."""
    folder = tmp_path_factory.mktemp("fresh")
    yield from serve(folder, f"sqlite:///{folder / 'fresh.db'}")


def serve(folder, database_url):
    """The demo shift on `database_url`, served by gunicorn until the fixture ends."""
    env = demo_env(
        database_url,
        SECRET_KEY="browser-test-secret",
        HEART_SERVICE_HOURS="00:00-24:00",  # browser tests run at any hour
        # Streams end often, so the browser's reconnect with Last-Event-ID is exercised.
        HEART_LIVE_STREAM_SECONDS="4",
        # The session's tests share a server whose waiting calls pile up: keep each test's
        # call on the board's first page (paging has tests of its own: web/test_board_scale).
        HEART_BOARD_PAGE_SIZE="500",
    )
    new_sqlite_file = make_url(database_url).database if database_url.startswith("sqlite") else None
    if new_sqlite_file and not Path(new_sqlite_file).exists():
        copy_migrated_database(Path(folder).parent, Path(new_sqlite_file))
        flask_cli(env, "seed-demo")  # seed_demo without its `db upgrade`: the copy is migrated
    else:
        seed_demo(env)
    # Threads enough for the live streams the tests open (production uses gevent: README).
    with gunicorn("app:app", env, Gunicorn(threads=16), folder / "server.log", "/login") as url:
        yield url


def copy_migrated_database(folder: Path, target: Path) -> None:
    """An empty SQLite database migrated by `flask db upgrade` once per test run (kept in
    `folder`), copied to `target`: each server's database starts from the same migrated schema
    without running the migrations again (a few seconds a server)."""
    migrated = folder / "migrated-empty.db"
    if not migrated.exists():
        flask_cli(app_env(f"sqlite:///{migrated}"), "db", "upgrade")
    # Through SQLite's backup API: it reads whatever is still in the write-ahead log.
    with closing(sqlite3.connect(migrated)) as source, closing(sqlite3.connect(target)) as copy:
        source.backup(copy)


def wait_for(page, condition, timeout=15.0):
    """Until `condition()` is truthy, polling every 50 ms; fails after `timeout` seconds. It
    waits through `page` (not time.sleep): Playwright hands this thread its events (a route,
    a CDP message) only while one of its calls runs."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        page.wait_for_timeout(50)


def wait_until(page, script, arg=None, timeout=15.0):
    """Until `script` (an expression or a function of `arg`) is truthy in the page. Not
    Playwright's wait_for_function: when its first check is false it polls by evaluating the
    string inside the page, which the app's CSP (no 'unsafe-eval') refuses. A script that
    throws (the page between two documents, its scripts not run yet) counts as not yet; the
    last error is raised if it never comes true."""
    failed = []

    def holds():
        try:
            return page.evaluate(script, arg)
        except PlaywrightError as error:
            failed[:] = [error]
            return False

    try:
        wait_for(page, holds, timeout)
    except AssertionError:
        if failed:
            raise failed[0] from None
        raise


def sign_in(page, base_url, username):
    page.goto(f"{base_url}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def assign_from_list(call, call_sign):
    """Assign a board call to a team through its "Team for call" list, as a dispatcher does:
    the list is filled with the available teams when it is reached for (team_choices.js)."""
    from tests.browser.boards import reach_for  # (boards imports nothing from here)

    choices = call.get_by_label(re.compile("Team for call"))
    reach_for(choices)  # again if a row update replaced the list between focus and fill
    choices.select_option(call_sign)
    call.get_by_role("button", name="Assign", exact=True).click()


@pytest.fixture(scope="session")
def live_app(live_server, live_database_url):
    """The app in this process, on the live server's database: to set up calls and read events."""
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": live_database_url, "SECRET_KEY": "x", "TESTING": True}
    )
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()
