"""Backup closes its loop: the phone shows dispatch's acknowledgement until the call clears,
a request sent late from the phone's outbox says so on the board, and Backup is in every step
the screen can walk to without the network."""

import re
import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from heart_field.domain import status
from heart_field.domain.status import Action, Tap
from heart_field.extensions import db
from heart_field.models import utcnow
from tests.conftest import reload


def tap(team, action, **extra):
    return status.apply(db.session, reload(team), Tap(action, str(uuid.uuid4()), **extra), None)


@pytest.fixture
def crew(sign_in, responder):
    return sign_in(responder)


@pytest.fixture
def board(sign_in, dispatcher):
    return sign_in(dispatcher)


def ask_for_backup(crew, **fields):
    asked = crew.post("/field/backup", {"client_uuid": str(uuid.uuid4()), **fields}, htmx=True)
    assert asked.status_code == 200, asked.text
    return asked


def local(moment, app):
    return moment.astimezone(ZoneInfo(app.config["HEART_TIMEZONE"])).strftime("%H:%M")


def test_the_phone_shows_dispatch_acknowledged_until_the_call_clears(
    app, crew, board, team, incident
):
    tap(team, Action.ASSIGN, incident_id=incident.id)
    ask_for_backup(crew)
    assert "Waiting for them to acknowledge it." in crew.get("/field/card").text
    acked = board.post("/dispatch/teams/CR-1/acknowledge", {"kind": "backup"}, htmx=True)
    assert acked.status_code == 200
    card = crew.get("/field/card").text
    assert f"Dispatch acknowledged at {local(utcnow(), app)}." in card
    assert "Waiting for them" not in card
    tap(team, Action.ACCEPT)
    tap(team, Action.EN_ROUTE)
    assert "Dispatch acknowledged at" in crew.get("/field/card").text  # still, while on the call
    tap(team, Action.ON_SCENE)
    from heart_field.domain.status import OutcomeInput

    tap(team, Action.CLEAR, outcome=OutcomeInput("resolved_on_scene"))
    assert "acknowledged" not in crew.get("/field/card").text


def test_a_new_request_after_an_acknowledgement_waits_for_its_own(crew, board, team, incident):
    tap(team, Action.ASSIGN, incident_id=incident.id)
    ask_for_backup(crew)
    board.post("/dispatch/teams/CR-1/acknowledge", {"kind": "backup"}, htmx=True)
    ask_for_backup(crew)
    card = crew.get("/field/card").text
    assert "Waiting for them to acknowledge it." in card and "Dispatch acknowledged" not in card


def test_a_backup_request_that_arrives_late_says_so_on_the_board(app, crew, board, team, incident):
    tap(team, Action.ASSIGN, incident_id=incident.id)
    ask_for_backup(crew, occurred_at=utcnow().isoformat())
    assert "Arrived late" not in board.get("/dispatch/").text
    board.post("/dispatch/teams/CR-1/acknowledge", {"kind": "backup"}, htmx=True)
    tapped = utcnow() - timedelta(minutes=4)
    ask_for_backup(crew, occurred_at=tapped.isoformat())
    alert = board.get("/dispatch/").text.split('data-alert="backup"')[1].split("</div>")[0]
    assert f"Arrived late: asked on the phone at {local(tapped, app)} without signal" in alert


def test_backup_rides_in_every_step_and_navigate_is_an_outline_apart(crew, team, incident):
    tap(team, Action.ASSIGN, incident_id=incident.id)
    card = crew.get("/field/card").text
    steps = card.count('class="actions thumb step"')
    assert steps == 4  # Accept/Decline, En route, On scene, Clear
    assert card.count("data-outbox-first") == steps
    tap(team, Action.ACCEPT)
    tap(team, Action.EN_ROUTE)
    first_step = crew.get("/field/card").text.split('data-step="0"')[1].split("</nav>")[0]
    navigate = re.search(r'<a class="([^"]*)"[^>]*>Navigate</a>', first_step)
    assert "btn-outline" in navigate.group(1) and "btn-primary" not in navigate.group(1)
    assert first_step.index("Navigate") < first_step.index(">On scene<")
    assert 'class="btn btn-primary btn-block">On scene</button>' in first_step


def test_a_late_backup_does_not_mark_the_teams_status_as_sent_late(crew, board, team, incident):
    tap(team, Action.ASSIGN, incident_id=incident.id)
    ask_for_backup(crew, occurred_at=(utcnow() - timedelta(minutes=4)).isoformat())
    row = board.get("/dispatch/").text.split('id="team-CR-1"')[1].split("</tr>")[0]
    assert "Sent late" not in row
