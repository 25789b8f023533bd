"""POST /api/v1/teams/{call_sign}/log-on and /log-off, as DESIGN.md's public surface says."""

from sqlalchemy import func, select

from heart_field.domain import shifts
from heart_field.extensions import db
from heart_field.models import Role, Shift, StatusEvent
from tests.api.conftest import call
from tests.conftest import make_team, make_user, reload


def events() -> int:
    return db.session.scalar(select(func.count()).select_from(StatusEvent))


def test_log_on_puts_an_off_duty_unit_on_duty_and_teams_lists_it(api, app):
    team = make_team("CR-9", status="off_duty")
    listed = api.get("/api/v1/teams").json["teams"]
    assert listed[0]["status"] == "off_duty"
    answer = api.post("/api/v1/teams/CR-9/log-on")
    assert answer.status_code == 200
    assert answer.json["call_sign"] == "CR-9" and answer.json["status"] == "available"
    assert set(answer.json) == {"call_sign", "unit_type", "status", "since"}
    assert reload(team).status == "available"
    event = db.session.scalars(select(StatusEvent)).one()
    assert (event.action, event.from_status, event.to_status) == ("log_on", "off_duty", "available")


def test_log_on_of_a_unit_on_duty_changes_nothing(api, team):
    before = events()
    answer = api.post("/api/v1/teams/CR-1/log-on")
    assert answer.status_code == 200 and answer.json["status"] == "available"
    assert events() == before and reload(team).version == team.version


def test_log_off_ends_the_crews_shifts(api, team):
    nurse = make_user("nurse", Role.RESPONDER, team, "clinician")
    shifts.start_shift(db.session, nurse, team)
    answer = api.post("/api/v1/teams/CR-1/log-off")
    assert answer.status_code == 200 and answer.json["status"] == "off_duty"
    assert db.session.scalar(select(Shift)).ended_at is not None
    assert api.post("/api/v1/teams/CR-1/log-off").status_code == 200  # again: no change


def test_log_off_while_the_unit_holds_a_call_is_409_naming_it(api, team):
    created = api.post("/api/v1/incidents", call("2026-0042")).json
    assert (
        api.post(f"/api/v1/incidents/{created['id']}/assign", {"team": "CR-1"}).status_code == 200
    )
    before = events()
    answer = api.post("/api/v1/teams/CR-1/log-off")
    assert answer.status_code == 409
    assert answer.json["error"] == "holds_call"
    assert "2026-0042" in answer.json["message"]
    assert reload(team).status == "assigned" and events() == before


def test_unknown_unit_is_404_and_changes_nothing(api, team):
    before = events()
    for action in ("log-on", "log-off"):
        answer = api.post(f"/api/v1/teams/NOPE-1/{action}")
        assert answer.status_code == 404
        assert answer.json["error"] == "team_not_found"
    assert events() == before


def test_an_off_duty_unit_cannot_be_assigned(api, app):
    make_team("CR-9", status="off_duty")
    created = api.post("/api/v1/incidents", call("2026-0043")).json
    assert created["routing"]["team"] is None  # never recommended
    answer = api.post(f"/api/v1/incidents/{created['id']}/assign", {"team": "CR-9"})
    assert answer.status_code == 409
    assert "off duty" in answer.json["message"].lower()


def test_log_on_and_off_need_a_token(client, team):
    assert client.post("/api/v1/teams/CR-1/log-on").status_code == 401


def test_openapi_documents_log_on_and_off_and_off_duty(api):
    document = api.get("/api/v1/openapi.json").json
    for action in ("log-on", "log-off"):
        operation = document["paths"][f"/api/v1/teams/{{call_sign}}/{action}"]["post"]
        assert {"200", "404", "409"} <= set(operation["responses"])
    statuses = document["components"]["schemas"]["TeamOut"]["properties"]["status"]["enum"]
    assert "off_duty" in statuses
