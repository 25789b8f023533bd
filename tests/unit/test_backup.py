"""`flask backup`: a consistent copy of a running SQLite database, restored elsewhere whole."""

import os
import sqlite3

import pytest

from heart_field.backup import row_counts, sqlite3_url
from heart_field.demo import seed
from heart_field.extensions import db
from tests.conftest import make_test_app


def make_app(url):
    return make_test_app(SQLALCHEMY_DATABASE_URI=url)


def test_backup_during_a_write_then_restore_into_a_fresh_database(tmp_path):
    """The copy holds what was committed when it was taken, and a restored app works."""
    live, copy = tmp_path / "live.db", tmp_path / "copy.db"
    app = make_app(sqlite3_url(live))
    with app.app_context():
        db.create_all()
        seed(db.session, "demo-shift")
        committed = row_counts(sqlite3_url(live))
        writer = sqlite3.connect(live, isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")
        writer.execute(
            "INSERT INTO audit_events (action, object_type, at) "
            "VALUES ('export_csv', 'referral', '2026-11-27 10:00:00')"
        )
        result = app.test_cli_runner().invoke(args=["backup", str(copy)])
        writer.execute("COMMIT")
        writer.close()
        db.session.remove()
        db.engine.dispose()
    assert result.exit_code == 0, result.output
    assert "Backed up to" in result.output
    assert committed["users"] > 0 and committed["incidents"] > 0
    assert row_counts(sqlite3_url(copy)) == committed
    assert row_counts(sqlite3_url(live))["audit_events"] == committed["audit_events"] + 1

    restored = make_app(sqlite3_url(copy))
    client = restored.test_client()
    page = client.get("/login")
    token = page.text.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    signed_in = client.post(
        "/login", data={"username": "dispatch", "password": "demo-shift", "csrf_token": token}
    )
    assert signed_in.status_code == 303
    with restored.app_context():
        db.engine.dispose()


def test_backup_never_overwrites_a_file(tmp_path):
    target = tmp_path / "existing.db"
    target.write_text("keep me")
    app = make_app(sqlite3_url(tmp_path / "live.db"))
    with app.app_context():
        db.create_all()
        result = app.test_cli_runner().invoke(args=["backup", str(target)])
        db.engine.dispose()
    assert result.exit_code != 0
    assert "already exists" in result.output
    assert target.read_text() == "keep me"


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs PostgreSQL")
def test_backup_on_postgresql_points_to_pg_dump(app, runner, tmp_path):
    result = runner.invoke(args=["backup", str(tmp_path / "copy.db")])
    assert result.exit_code != 0
    assert "pg_dump" in result.output
    assert not (tmp_path / "copy.db").exists()
