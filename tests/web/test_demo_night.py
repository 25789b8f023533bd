"""The demo at any hour: started outside service hours (dev.py run sets HEART_DEMO), it says
so, uses demo hours that cover now, logs its crews on, and a call can be worked end to end."""

import os
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from heart_field.extensions import db
from heart_field.models import utcnow
from tests.conftest import csrf_token, make_test_app


def hours_excluding_now() -> str:
    """A one-hour window that starts three hours from now, Durham time: now is outside it."""
    start = (utcnow() + timedelta(hours=3)).astimezone(ZoneInfo("America/New_York")).hour
    return f"{start:02d}:00-{(start + 1) % 24:02d}:00"


@pytest.fixture
def night_app(tmp_path, monkeypatch):
    monkeypatch.setenv("HEART_PASSWORD", "demo-shift")
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'night.db'}"
    settings = {
        "SQLALCHEMY_DATABASE_URI": url,
        "HEART_DEMO": True,
        "HEART_SERVICE_HOURS": hours_excluding_now(),
    }
    app = make_test_app(**settings)
    with app.app_context():
        db.drop_all()
        db.create_all()
        yield app
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


def signed_in(app, username):
    client = app.test_client()
    page = client.get("/login")
    answer = client.post(
        "/login",
        data={"username": username, "password": "demo-shift", "csrf_token": csrf_token(page)},
    )
    assert answer.status_code == 303
    landing = client.get(answer.headers["Location"])
    return client, csrf_token(landing), landing


def test_the_demo_at_night_has_units_on_duty_and_a_call_can_be_worked(night_app):
    app = night_app
    printed = app.test_cli_runner().invoke(args=["seed-demo", "--if-empty"]).output
    assert "outside HEART's service hours" in printed and "this demo uses service hours" in printed
    assert "cr1-1" in printed and "dispatch" in printed
    again = app.test_cli_runner().invoke(args=["seed-demo", "--if-empty"]).output
    assert "Sign in as:" in again and "cr1-1" in again  # logins on every start

    desk, token, board = signed_in(app, "dispatch")
    assert "this demo uses" in board.text
    for call_sign in ("CR-1", "CR-2", "CR-3", "CO-1"):
        row = board.text.split(f'id="team-{call_sign}"')[1].split("</tr>")[0]
        assert "Available" in row and "Short-staffed" not in row
    assert "Outside service hours" not in board.text

    answer = desk.post(
        "/dispatch/incidents",
        data={
            "csrf_token": token,
            "cad_number": "N1",
            "call_type": "welfare_check",
            "priority": "2",
            "lat": "35.9941",
            "lon": "-78.8987",
        },
    )
    assert answer.status_code == 303
    board = desk.get("/dispatch/").text
    assert "Recommended: <strong>CR-1</strong>" in board
    from heart_field.models import Incident

    incident = db.session.query(Incident).filter_by(cad_number="N1").one()
    team = incident.recommended_team
    desk.post(
        f"/dispatch/incidents/{incident.id}/assign",
        data={"csrf_token": token, "team": "CR-1", "version": team.version},
    )
    phone, phone_token, card = signed_in(app, "cr1-1")
    assert "N1" in card.text and "Accept" in card.text
    import uuid

    for action in ("accept", "en_route", "on_scene"):
        db.session.expire_all()
        answer = phone.post(
            "/field/status",
            data={
                "csrf_token": phone_token,
                "action": action,
                "version": db.session.get(type(team), team.id).version,
                "client_uuid": str(uuid.uuid4()),
            },
        )
        assert answer.status_code == 303, answer.text
    db.session.expire_all()
    answer = phone.post(
        "/field/outcome",
        data={
            "csrf_token": phone_token,
            "disposition": "resolved_on_scene",
            "version": db.session.get(type(team), team.id).version,
            "client_uuid": str(uuid.uuid4()),
        },
    )
    assert answer.status_code == 303
    db.session.expire_all()
    assert db.session.get(Incident, incident.id).status == "closed"
