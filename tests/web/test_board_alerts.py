"""What needs the dispatcher now: an assignment not accepted in time, a team long on scene,
a backup request, each shown on the board until it is dealt with."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from heart_field.domain import status
from heart_field.domain.status import Action, Tap
from heart_field.extensions import db
from heart_field.models import StatusEvent, TeamStatus, utcnow
from tests.conftest import reload


def tap(team, action, **extra):
    return status.apply(
        db.session, reload(team), Tap(action, str(uuid.uuid4()), **extra), None
    ).event


def alerts_on(page):
    section = page.text.split('id="alerts"')[1].split("</section>")[0]
    return section


@pytest.fixture
def crew(sign_in, responder):
    """The responder signs in first: the test client's app context keeps one user per test."""
    return sign_in(responder)


def test_an_assignment_not_accepted_in_time_alerts_the_board(
    app, sign_in, dispatcher, team, incident
):
    board = sign_in(dispatcher)
    tap(team, Action.ASSIGN, incident_id=incident.id)
    assert "has not accepted" not in alerts_on(board.get("/dispatch/"))
    app.config["HEART_ACCEPT_TIMEOUT_MINUTES"] = 0
    assert "CR-1 has not accepted" in alerts_on(board.get("/dispatch/"))
    tap(team, Action.ACCEPT)
    assert "has not accepted" not in alerts_on(board.get("/dispatch/"))


def test_long_on_scene_shows_a_welfare_check_until_acknowledged(
    sign_in, dispatcher, team, incident
):
    board = sign_in(dispatcher)
    for action in (Action.ASSIGN, Action.ACCEPT, Action.EN_ROUTE, Action.ON_SCENE):
        tap(team, action, incident_id=incident.id if action == Action.ASSIGN else None)
    assert "Welfare check" not in alerts_on(board.get("/dispatch/"))
    team = reload(team)
    team.status_since = utcnow() - timedelta(minutes=46)  # arranged directly: 46 minutes on scene
    db.session.commit()
    page = board.get("/dispatch/")
    assert "Welfare check: CR-1" in alerts_on(page)
    assert "tile-alert-welfare" in page.text.split('id="team-CR-1"')[1].split(">")[0]
    version = reload(team).version
    acked = board.post("/dispatch/teams/CR-1/acknowledge", {"kind": "welfare"}, htmx=True)
    assert acked.status_code == 200
    assert "Welfare check: CR-1" not in alerts_on(acked)
    assert (reload(team).status, reload(team).version) == (TeamStatus.ON_SCENE, version)


def test_backup_is_one_tap_and_alerts_the_board_until_acknowledged(
    sign_in, crew, dispatcher, team, incident
):
    tap(team, Action.ASSIGN, incident_id=incident.id)
    screen = crew.get("/field/")
    assert ">Backup</button>" in screen.text
    version = reload(team).version
    request_id = str(uuid.uuid4())
    asked = crew.post(
        "/field/backup", {"client_uuid": request_id, "lat": "35.99", "lon": "-78.90"}, htmx=True
    )
    assert asked.status_code == 200
    assert "Backup requested." in asked.text and "Dispatch has been alerted." in asked.text
    again = crew.post("/field/backup", {"client_uuid": request_id}, htmx=True)  # a double tap
    assert again.status_code == 200
    backups = db.session.scalars(select(StatusEvent).where(StatusEvent.action == "backup")).all()
    assert [(b.lat, b.lon) for b in backups] == [(35.99, -78.90)]
    assert (reload(team).status, reload(team).version) == (TeamStatus.ASSIGNED, version)


def test_board_shows_backup_and_acknowledging_clears_it(sign_in, dispatcher, team, incident):
    from heart_field.domain import signals

    board = sign_in(dispatcher)
    tap(team, Action.ASSIGN, incident_id=incident.id)
    signals.record(
        db.session, reload(team), signals.BACKUP, None, str(uuid.uuid4()), incident_id=incident.id
    )
    assert "CR-1 asks for backup" in alerts_on(board.get("/dispatch/"))
    acked = board.post("/dispatch/teams/CR-1/acknowledge", {"kind": "backup"}, htmx=True)
    assert acked.status_code == 200
    assert "asks for backup" not in alerts_on(acked)
    twice = board.post("/dispatch/teams/CR-1/acknowledge", {"kind": "backup"}, htmx=True)
    assert twice.status_code == 409
    assert db.session.scalar(select(func.count()).where(StatusEvent.action == "backup_ack")) == 1


def test_backup_without_an_active_call_is_409_and_records_nothing(crew, team):
    response = crew.post("/field/backup", {"client_uuid": str(uuid.uuid4())}, htmx=True)
    assert response.status_code == 409
    assert db.session.scalar(select(func.count()).select_from(StatusEvent)) == 0


def test_backup_with_a_bad_request_id_is_422(crew, team, incident):
    tap(team, Action.ASSIGN, incident_id=incident.id)
    response = crew.post("/field/backup", {"client_uuid": "not-a-uuid"}, htmx=True)
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).where(StatusEvent.action == "backup")) == 0


def test_acknowledging_a_welfare_check_for_a_team_not_on_scene_is_409(sign_in, dispatcher, team):
    board = sign_in(dispatcher)
    response = board.post("/dispatch/teams/CR-1/acknowledge", {"kind": "welfare"}, htmx=True)
    assert response.status_code == 409


def test_board_shows_distance_from_team_to_its_call(sign_in, dispatcher, team, incident):
    board = sign_in(dispatcher)
    tap(team, Action.ASSIGN, incident_id=incident.id)
    tile = board.get("/dispatch/").text.split('id="team-CR-1"')[1].split("</tr>")[0]
    assert "2.7 km" in tile  # downtown to Ninth Street: 1.66 km north, 2.12 km west
