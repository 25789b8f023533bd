"""Steering calls through the web: updates to the team (board -> phone -> Got it -> board),
cancel call vs take team off, resolving a waiting call, reassign, divert, the waiting-queue
alerts, and who may do what."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from heart_field.domain import status, steering
from heart_field.domain.status import Action, Tap
from heart_field.extensions import db
from heart_field.models import (
    CallNote,
    CallResolution,
    IncidentStatus,
    Role,
    StatusEvent,
    TeamStatus,
    utcnow,
)
from tests.conftest import make_incident, make_team, make_user, reload


@pytest.fixture
def dispatch(sign_in, dispatcher):
    return sign_in(dispatcher)


@pytest.fixture
def phone(sign_in, responder):
    return sign_in(responder)


def move(team, *actions, incident=None):
    for action in actions:
        status.apply(
            db.session,
            team,
            Tap(
                action=action,
                client_uuid=str(uuid.uuid4()),
                incident_id=incident.id if incident else None,
            ),
            None,
        )


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def card(phone):
    return phone.get("/field/card", headers={"HX-Request": "true"}).text


# Updates -----------------------------------------------------------------------------------


def test_an_urgent_update_reaches_the_phone_and_got_it_shows_on_the_board(
    dispatch, phone, team, incident
):
    move(team, Action.ASSIGN, Action.ACCEPT, Action.EN_ROUTE, incident=incident)
    sent = dispatch.post(f"/dispatch/incidents/{incident.id}/notes", {"text": "Gate code 4471"})
    assert sent.status_code == 303
    urgent = dispatch.post(
        f"/dispatch/incidents/{incident.id}/notes",
        {"text": "Caller now reports a <b>weapon</b>", "urgent": "y"},
        htmx=True,
    )
    assert urgent.status_code == 200 and "Urgent update added" in urgent.text
    shown = card(phone)
    # Newest first, the urgent one standing out with Got it; text shown as text.
    assert shown.index("weapon") < shown.index("Gate code 4471")
    assert "&lt;b&gt;weapon&lt;/b&gt;" in shown and "<b>weapon" not in shown
    assert ">Got it</button>" in shown and "field-note-open" in shown
    note = db.session.scalar(select(CallNote).where(CallNote.urgent.is_(True)))
    board = dispatch.get("/dispatch/board", headers={"HX-Request": "true"}).text
    assert "Not acknowledged yet" in board
    got_it = phone.post(f"/field/notes/{note.id}/ack", htmx=True)
    assert got_it.status_code == 200 and ">Got it</button>" not in got_it.text
    board = dispatch.get("/dispatch/board", headers={"HX-Request": "true"}).text
    assert "Got it: Responder at" in board
    actions = db.session.scalars(select(StatusEvent.action).order_by(StatusEvent.id)).all()
    assert actions[-3:] == ["note", "note", "note_ack"]


def test_bad_updates_are_422_and_nothing_is_kept(dispatch, incident):
    for text in ("", "   ", "x" * 2001):
        response = dispatch.post(
            f"/dispatch/incidents/{incident.id}/notes", {"text": text}, htmx=True
        )
        assert response.status_code == 422
        assert "Update not sent" in response.text
    assert count(CallNote) == 0


def test_only_dispatchers_write_updates_and_only_the_crew_on_the_call_acknowledges(
    sign_in, dispatch, phone, team, other_team, incident
):
    supervisor = sign_in(make_user("sup", Role.SUPERVISOR))
    assert (
        supervisor.post(f"/dispatch/incidents/{incident.id}/notes", {"text": "x"}).status_code
        == 403
    )
    assert phone.post(f"/dispatch/incidents/{incident.id}/notes", {"text": "x"}).status_code == 403
    move(other_team, Action.ASSIGN, incident=incident)
    note = steering.add_note(db.session, incident, "For CR-2 only", True, None)
    assert "For CR-2 only" not in card(phone)
    assert phone.post(f"/field/notes/{note.id}/ack", htmx=True).status_code == 404
    assert reload(note).acknowledged_at is None
    assert dispatch.post("/dispatch/incidents/999/notes", {"text": "x"}).status_code == 404


def test_the_live_stream_never_carries_the_text(app, dispatch, team, incident):
    move(team, Action.ASSIGN, incident=incident)
    dispatch.post(f"/dispatch/incidents/{incident.id}/notes", {"text": "Gate 4471", "urgent": "y"})
    stream = dispatch.get("/live/events?after=0").get_data(as_text=True)
    assert '"action": "note"' in stream and "4471" not in stream


# Cancel, take off, resolve -------------------------------------------------------------------


def test_cancel_call_en_route_releases_the_team_and_the_phone_says_why(
    dispatch, phone, team, incident
):
    move(team, Action.ASSIGN, Action.ACCEPT, Action.EN_ROUTE, incident=incident)
    board = dispatch.get("/dispatch/board", headers={"HX-Request": "true"}).text
    row = board.split(f'id="incident-{incident.id}"')[1].split("</article>")[0]
    assert "<summary>Cancel call…</summary>" in row and "<form" not in row.split("Cancel call…")[1]
    # The form comes when the dispatcher opens the box: the team's call sign goes with it.
    form = dispatch.get(f"/dispatch/incidents/{incident.id}/end-form").text
    assert ">Cancel call</button>" in form and 'name="team" value="CR-1"' in form
    assert '<option value="caller_cancelled">Caller cancelled</option>' in form
    response = dispatch.post(
        f"/dispatch/incidents/{incident.id}/end",
        {"code": "caller_cancelled", "team": "CR-1"},
        htmx=True,
    )
    assert response.status_code == 200, response.text
    assert reload(team).status == TeamStatus.AVAILABLE
    assert reload(incident).status == IncidentStatus.CANCELLED
    shown = card(phone)
    assert "Call D1 was cancelled by dispatch: Caller cancelled." in shown
    assert "No call assigned" in shown


def test_take_team_off_returns_the_call_to_waiting(dispatch, team, incident):
    move(team, Action.ASSIGN, incident=incident)
    board = dispatch.get("/dispatch/board", headers={"HX-Request": "true"}).text
    assert ">Take team off</button>" in board and "<summary>Cancel call…</summary>" in board
    response = dispatch.post(f"/dispatch/incidents/{incident.id}/cancel", htmx=True)
    assert response.status_code == 200
    assert reload(incident).status == IncidentStatus.OPEN
    assert reload(team).status == TeamStatus.AVAILABLE


def test_cancel_on_scene_is_refused_with_the_state(dispatch, team, incident):
    move(team, Action.ASSIGN, Action.ACCEPT, Action.EN_ROUTE, Action.ON_SCENE, incident=incident)
    response = dispatch.post(
        f"/dispatch/incidents/{incident.id}/end", {"code": "duplicate", "team": "CR-1"}, htmx=True
    )
    assert response.status_code == 409
    assert "is on scene" in response.text
    assert reload(team).status == TeamStatus.ON_SCENE
    assert count(CallResolution) == 0


def test_other_without_a_reason_is_422(dispatch, incident):
    response = dispatch.post(
        f"/dispatch/incidents/{incident.id}/end", {"code": "cancelled"}, htmx=True
    )
    assert response.status_code == 422 and "Give the reason." in response.text
    response = dispatch.post(f"/dispatch/incidents/{incident.id}/end", {"code": "x"}, htmx=True)
    assert response.status_code == 422
    assert reload(incident).status == IncidentStatus.OPEN


def test_a_waiting_call_is_resolved_with_a_code_and_leaves_the_queue(dispatch, incident):
    response = dispatch.post(
        f"/dispatch/incidents/{incident.id}/end",
        {"code": "handled_by_phone", "team": ""},
        htmx=True,
    )
    assert response.status_code == 200
    assert "handled by phone" in response.text
    assert f'id="incident-{incident.id}"' not in response.text
    assert db.session.scalar(select(CallResolution.code)) == "handled_by_phone"


# Reassign, divert, two dispatchers ------------------------------------------------------------


def test_reassign_gives_the_call_to_another_team(dispatch, team, other_team, incident):
    move(team, Action.ASSIGN, incident=incident)
    response = dispatch.post(
        f"/dispatch/incidents/{incident.id}/reassign",
        {"team": "CR-2", "from_team": "CR-1"},
        htmx=True,
    )
    assert response.status_code == 200 and "given to CR-2" in response.text
    assert (reload(team).status, reload(other_team).status) == ("available", "assigned")


def test_two_dispatchers_at_once_the_second_gets_409_and_the_state(
    sign_in, dispatch, team, other_team, incident
):
    second = sign_in(make_user("desk2", Role.DISPATCHER))
    third = make_team("CR-3")
    move(team, Action.ASSIGN, incident=incident)
    first = dispatch.post(
        f"/dispatch/incidents/{incident.id}/reassign",
        {"team": "CR-2", "from_team": "CR-1"},
        htmx=True,
    )
    assert first.status_code == 200
    late = second.post(
        f"/dispatch/incidents/{incident.id}/end",
        {"code": "duplicate", "team": "CR-1"},
        htmx=True,
    )
    assert late.status_code == 409
    assert "now with CR-2" in late.text
    assert reload(incident).status == IncidentStatus.ASSIGNED
    assert reload(third).status == TeamStatus.AVAILABLE


def test_divert_moves_one_team_and_requeues_its_first_call(dispatch, team, incident):
    urgent = make_incident("D9", priority=1)
    move(team, Action.ASSIGN, Action.ACCEPT, Action.EN_ROUTE, incident=incident)
    board = dispatch.get("/dispatch/board", headers={"HX-Request": "true"}).text
    assert ">Divert CR-1</button>" in board
    response = dispatch.post(
        "/dispatch/teams/CR-1/divert",
        {"incident": str(urgent.id), "version": str(reload(team).version)},
        htmx=True,
    )
    assert response.status_code == 200
    assert "CR-1 diverted to call D9; call D1 waits again." in response.text
    assert reload(incident).status == IncidentStatus.OPEN
    assert reload(urgent).current_assignment.team_id == team.id


# The waiting queue --------------------------------------------------------------------------


def test_a_call_waiting_past_the_limit_is_an_alert(app, dispatch):
    app.config["HEART_WAITING_OVERDUE_MINUTES"] = 15
    make_incident("OLD", received_at=utcnow() - timedelta(minutes=16))
    make_incident("NEW", received_at=utcnow() - timedelta(minutes=14))
    board = dispatch.get("/dispatch/board", headers={"HX-Request": "true"}).text
    alerts = board.split('id="call-alerts"')[1].split("</section>")[0]
    assert "Call OLD has waited 16 min" in alerts
    assert "NEW" not in alerts
    assert board.count("waited-overdue") == 1


def test_an_urgent_update_unacknowledged_for_a_minute_is_an_alert(dispatch, team, incident):
    move(team, Action.ASSIGN, incident=incident)
    note = steering.add_note(db.session, incident, "Weapon", True, None)
    board = dispatch.get("/dispatch/board", headers={"HX-Request": "true"}).text
    assert 'data-alert="note"' not in board
    note.created_at = utcnow() - timedelta(seconds=61)
    db.session.commit()
    board = dispatch.get("/dispatch/board", headers={"HX-Request": "true"}).text
    assert "CR-1 has not acknowledged an urgent update" in board


def test_take_team_off_en_route_returns_the_call_to_waiting(dispatch, team, incident):
    move(team, Action.ASSIGN, Action.ACCEPT, Action.EN_ROUTE, incident=incident)
    response = dispatch.post(f"/dispatch/incidents/{incident.id}/cancel", htmx=True)
    assert response.status_code == 200
    assert (reload(incident).status, reload(team).status) == ("open", "available")


def test_an_admin_on_the_board_does_not_read_the_notes(sign_in, team, incident):
    admin = sign_in(make_user("root", Role.ADMIN))
    move(team, Action.ASSIGN, incident=incident)
    steering.add_note(db.session, incident, "Gate code 4471", False, None)
    supervisor = sign_in(make_user("sup", Role.SUPERVISOR))
    assert "Gate code 4471" in supervisor.get("/dispatch/").text
    assert "Gate code 4471" not in admin.get("/dispatch/").text
