"""Shifts and crews on the phone and the board: joining the home unit on sign-in, Start shift,
End shift, Log on and Log off, and what an off-duty unit may not do."""

import uuid

import pytest
from sqlalchemy import func, select

from heart_field.domain import shifts
from heart_field.domain.status import Action, Tap
from heart_field.extensions import db
from heart_field.models import Role, Shift, StatusEvent
from tests.conftest import make_incident, make_team, make_user, reload


def counts() -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(Shift)),
        db.session.scalar(select(func.count()).select_from(StatusEvent)),
    )


def open_shift_of(user) -> Shift | None:
    return db.session.scalar(
        select(Shift).where(Shift.user_id == user.id, Shift.ended_at.is_(None))
    )


def test_home_unit_on_duty_is_joined_on_sign_in_with_zero_taps(sign_in, team):
    """Signing in is all it takes: the team's screen, as crew, in the discipline's role."""
    emt = make_user("emt", Role.RESPONDER, team, "emt")
    session = sign_in(emt)
    shift = open_shift_of(emt)
    assert (shift.team_id, shift.role) == (team.id, "emt")
    page = session.get("/field/")
    assert "No call assigned" in page.text and "End shift" in page.text
    assert "Short-staffed: no Clinician or social worker, Peer support" in page.text


def test_home_unit_off_duty_offers_start_shift_which_logs_it_on(sign_in, app):
    team = make_team("CR-4", status="off_duty")
    medic = make_user("medic", Role.RESPONDER, team, "emt")
    session = sign_in(medic)
    page = session.get("/field/")
    assert "Start shift" in page.text and open_shift_of(medic) is None
    answer = session.post("/field/shift", {"team": "CR-4", "role": "emt"})
    assert answer.status_code == 303
    assert reload(team).status == "available"
    assert open_shift_of(medic).role == "emt"
    event = db.session.scalars(select(StatusEvent)).one()
    assert (event.action, event.actor_id) == ("log_on", medic.id)
    assert "End shift" in session.get("/field/").text


def test_a_cit_officer_cannot_start_on_a_community_response_unit(sign_in, team):
    officer = make_user("officer", Role.RESPONDER, None, "cit_officer")
    session = sign_in(officer)
    before = counts()
    answer = session.post("/field/shift", {"team": "CR-1", "role": "cit_officer"}, htmx=True)
    assert answer.status_code == 409
    assert "Community Response unit" in answer.text and "CIT officer" in answer.text
    assert counts() == before and reload(team).status == "available"


def test_a_role_other_than_the_disciplines_is_refused(sign_in, app):
    team = make_team("CR-4", status="off_duty")
    nurse = make_user("nurse", Role.RESPONDER, None, "clinician")
    session = sign_in(nurse)
    answer = session.post("/field/shift", {"team": "CR-4", "role": "emt"}, htmx=True)
    assert answer.status_code == 409 and "takes the Clinician or social worker place" in answer.text
    assert reload(team).status == "off_duty" and counts() == (0, 0)


def test_a_social_worker_fills_the_clinicians_place(sign_in, team):
    worker = make_user("worker", Role.RESPONDER, team, "social_worker")
    sign_in(worker)
    assert open_shift_of(worker).role == "clinician"


def test_the_last_to_end_their_shift_logs_the_unit_off(sign_in, team):
    nurse = make_user("nurse", Role.RESPONDER, team, "clinician")
    medic = make_user("medic", Role.RESPONDER, team, "emt")
    nurse_session, medic_session = sign_in(nurse), sign_in(medic)
    answer = nurse_session.post("/field/shift/end", htmx=True)
    assert answer.status_code == 200 and "Shift on CR-1 ended." in answer.text
    assert "Start shift" in answer.text and reload(team).status == "available"
    # Ending a shift does not put them straight back on the crew.
    assert "Start shift" in nurse_session.get("/field/").text
    answer = medic_session.post("/field/shift/end", htmx=True)
    assert "CR-1 is now off duty." in answer.text
    assert reload(team).status == "off_duty"


def test_the_last_shift_cannot_end_while_the_unit_holds_a_call(sign_in, team):
    nurse = make_user("nurse", Role.RESPONDER, team, "clinician")
    session = sign_in(nurse)
    incident = make_incident("D77")
    from heart_field.domain import status

    status.apply(
        db.session,
        team,
        Tap(Action.ASSIGN, str(uuid.uuid4()), incident_id=incident.id),
        actor=None,
    )
    before = counts()
    answer = session.post("/field/shift/end", htmx=True)
    assert answer.status_code == 409
    assert "Shift not ended. CR-1 holds call D77" in answer.text
    assert counts() == before and open_shift_of(nurse) is not None


def test_a_queued_tap_for_a_unit_gone_off_duty_is_refused_with_the_reason(
    sign_in, team, dispatcher
):
    nurse = make_user("nurse", Role.RESPONDER, team, "clinician")
    session = sign_in(nurse)
    version = reload(team).version
    sign_in(dispatcher).post("/dispatch/teams/CR-1/log-off")
    assert reload(team).status == "off_duty" and open_shift_of(nurse) is None
    before = counts()
    answer = session.post(
        "/field/status",
        {
            "action": "out_of_service",
            "version": version,
            "client_uuid": str(uuid.uuid4()),
            "team": "CR-1",
        },
        htmx=True,
    )
    assert answer.status_code == 409
    assert "Not applied. CR-1 is off duty (its shift has ended)." in answer.text
    assert counts() == before


@pytest.fixture
def desk(sign_in, dispatcher):
    return sign_in(dispatcher)


def test_board_lists_off_duty_units_apart_with_log_on(desk, team):
    make_team("CR-4", status="off_duty")
    board = desk.get("/dispatch/").text
    on_duty, off_duty = board.split('id="teams-off-duty"')
    assert 'id="team-CR-1"' in on_duty and "Log off CR-1" in on_duty
    assert 'id="team-CR-4"' in off_duty and "Off duty" in off_duty and "Log on CR-4" in off_duty
    # Never assignable: the board offers no off-duty unit for a call.
    assert "CR-4 (" not in board.split('id="team-choices"')[1].split("</ul>")[0]


def test_board_log_on_and_log_off(desk, app):
    team = make_team("CR-4", status="off_duty")
    answer = desk.post("/dispatch/teams/CR-4/log-on", htmx=True)
    assert answer.status_code == 200 and "CR-4 is on duty." in answer.text
    assert reload(team).status == "available"
    assert "Short-staffed" in answer.text.split('id="team-CR-4"')[1].split("</tr>")[0]
    answer = desk.post("/dispatch/teams/CR-4/log-off", htmx=True)
    assert answer.status_code == 200 and reload(team).status == "off_duty"
    assert desk.post("/dispatch/teams/CR-99/log-on", htmx=True).status_code == 404


def test_board_log_off_while_holding_a_call_is_409_naming_it(desk, team):
    incident = make_incident("D88")
    assert desk.post(f"/dispatch/incidents/{incident.id}/assign", {"team": "CR-1"}).status_code
    before = counts()
    answer = desk.post("/dispatch/teams/CR-1/log-off", htmx=True)
    assert answer.status_code == 409 and "CR-1 holds call D88" in answer.text
    assert counts() == before and reload(team).status == "assigned"


def test_assigning_an_off_duty_unit_is_409(desk, app):
    make_team("CR-4", status="off_duty")
    incident = make_incident("D89")
    answer = desk.post(f"/dispatch/incidents/{incident.id}/assign", {"team": "CR-4"}, htmx=True)
    assert answer.status_code == 409 and "off duty" in answer.text.lower()
    assert reload(incident).status == "open"


def test_board_shows_the_crews_roles_and_short_staffed(desk, team, sign_in):
    for name, discipline in (("nurse", "clinician"), ("peer", "peer_support")):
        shifts.start_shift(db.session, make_user(name, Role.RESPONDER, team, discipline), team)
    row = desk.get("/dispatch/board").text.split('id="team-CR-1"')[1].split("</tr>")[0]
    assert "Clinician or social worker" in row and "Peer support" in row
    assert "Short-staffed" in row and "No EMT" in row
    shifts.start_shift(db.session, make_user("medic", Role.RESPONDER, team, "emt"), team)
    row = desk.get("/dispatch/board").text.split('id="team-CR-1"')[1].split("</tr>")[0]
    assert "Short-staffed" not in row


def test_a_unit_on_duty_an_hour_past_service_hours_is_flagged(desk, team, app, monkeypatch):
    from datetime import UTC, datetime

    from heart_field.domain.routing import ServiceHours

    hours = ServiceHours.parse("07:00-19:00")
    zone = __import__("zoneinfo").ZoneInfo("America/New_York")
    late = datetime(2026, 12, 2, 1, 5, tzinfo=UTC)  # 20:05 in Durham
    just_after = datetime(2026, 12, 2, 0, 30, tzinfo=UTC)  # 19:30
    assert shifts.an_hour_past_service_hours(hours, zone, late)
    assert not shifts.an_hour_past_service_hours(hours, zone, just_after)
    assert "On duty past service hours" not in desk.get("/dispatch/board").text  # 24 h in tests
    app.extensions["heart_geo"] = __import__("dataclasses").replace(
        app.extensions["heart_geo"], service_hours=ServiceHours.parse("00:00-00:01")
    )
    row = desk.get("/dispatch/board").text.split('id="team-CR-1"')[1].split("</tr>")[0]
    assert "On duty past service hours" in row


def test_intake_recommends_the_full_crew_over_a_short_one_nearby(app):
    """Routing reads the crews: CR-1 (short) is 1 km nearer the call than CR-2 (full)."""
    from heart_field.domain import intake
    from heart_field.domain.intake import IncidentInput

    short = make_team("CR-1", lat=35.994, lon=-78.8986, status="off_duty")
    full = make_team("CR-2", lat=35.994 + 1 / 111, lon=-78.8986, status="off_duty")
    shifts.start_shift(db.session, make_user("a", Role.RESPONDER, short, "clinician"), short)
    for name, discipline in (("b", "clinician"), ("c", "peer_support"), ("d", "emt")):
        shifts.start_shift(db.session, make_user(name, Role.RESPONDER, full, discipline), full)
    call = IncidentInput("D90", "welfare_check", 2, lat=35.994 - 0.5 / 111, lon=-78.8986)
    assert (
        intake.create_incident(
            db.session, call, None, app.extensions["heart_geo"]
        ).recommended_team.call_sign
        == "CR-2"
    )
    shifts.log_off(db.session, reload(full), None)  # now the short crew is the only one
    call = IncidentInput("D91", "welfare_check", 2, lat=35.994 - 0.5 / 111, lon=-78.8986)
    assert (
        intake.create_incident(
            db.session, call, None, app.extensions["heart_geo"]
        ).recommended_team.call_sign
        == "CR-1"
    )
