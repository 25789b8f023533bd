"""The dispatcher's page: the board in words, intake, assignment, cancel, and bad input."""

import pytest
from sqlalchemy import func, select

from heart_field.extensions import db
from heart_field.models import Assignment, Incident, StatusEvent, TeamStatus
from tests.conftest import reload


@pytest.fixture
def dispatch(sign_in, dispatcher):
    return sign_in(dispatcher)


def counts():
    return tuple(
        db.session.scalar(select(func.count()).select_from(m))
        for m in (Incident, Assignment, StatusEvent)
    )


CALL = {
    "cad_number": "D2611270100",
    "call_type": "welfare_check",
    "priority": "2",
    "address": "737 Ninth St, Durham, NC 27705",
    "narrative": "Asked to check on a neighbour.",
}


def test_board_shows_every_team_and_its_status_in_words(dispatch, team, other_team):
    other_team.status = TeamStatus.OUT_OF_SERVICE  # arranged directly: this test reads the board
    db.session.commit()
    page = dispatch.get("/dispatch/")
    assert page.status_code == 200
    for call_sign, words in (("CR-1", "Available"), ("CR-2", "Out of service")):
        row = page.text.split(f'id="team-{call_sign}"')[1].split("</tr>")[0]
        assert f">{words}</span>" in row


def test_board_fragment_is_served_to_htmx_alone(dispatch, team):
    fragment = dispatch.get("/dispatch/board", headers={"HX-Request": "true"})
    assert 'id="board"' in fragment.text and "<html" not in fragment.text
    assert "HX-Request" in fragment.headers["Vary"]


def test_enter_a_call_then_assign_it(dispatch, team):
    response = dispatch.post("/dispatch/incidents", CALL)
    assert response.status_code == 303
    incident = db.session.scalar(select(Incident))
    assert (incident.cad_number, incident.status) == ("D2611270100", "open")
    assigned = dispatch.post(
        f"/dispatch/incidents/{incident.id}/assign", {"team": "CR-1"}, htmx=True
    )
    assert assigned.status_code == 200
    assert "CR-1 assigned to call D2611270100" in assigned.text
    assert reload(team).status == TeamStatus.ASSIGNED
    assert reload(incident).status == "assigned"


def test_cancel_returns_team_and_call(dispatch, team, incident):
    dispatch.post(f"/dispatch/incidents/{incident.id}/assign", {"team": "CR-1"}, htmx=True)
    response = dispatch.post(f"/dispatch/incidents/{incident.id}/cancel", htmx=True)
    assert response.status_code == 200
    assert reload(team).status == TeamStatus.AVAILABLE
    assert reload(incident).status == "open"


def test_assigning_a_busy_team_is_409_and_changes_nothing(dispatch, team, incident):
    from tests.conftest import make_incident

    second = make_incident("D2")
    dispatch.post(f"/dispatch/incidents/{incident.id}/assign", {"team": "CR-1"}, htmx=True)
    before = counts()
    response = dispatch.post(f"/dispatch/incidents/{second.id}/assign", {"team": "CR-1"}, htmx=True)
    assert response.status_code == 409
    assert "Not done" in response.text
    assert counts() == before
    assert reload(second).status == "open"


def test_unknown_team_is_422_and_changes_nothing(dispatch, team, incident):
    before = counts()
    response = dispatch.post(
        f"/dispatch/incidents/{incident.id}/assign", {"team": "NOPE-9"}, htmx=True
    )
    assert response.status_code == 422
    assert "There is no team called NOPE-9" in response.text
    assert counts() == before


def test_tampered_incident_id_is_404(dispatch, team):
    before = counts()
    response = dispatch.post("/dispatch/incidents/424242/assign", {"team": "CR-1"}, htmx=True)
    assert response.status_code == 404
    assert counts() == before
    assert reload(team).status == TeamStatus.AVAILABLE


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"cad_number": ""}, "cad_number", "This field is required."),
        ({"call_type": ""}, "call_type", "Choose a call type."),
        ({"address": ""}, "address", "Give an address, or both latitude and longitude."),
        ({"lat": "36.0"}, "lon", "Give both latitude and longitude, or neither."),
        ({"priority": "7"}, "priority", "Not a valid choice."),
    ],
)
def test_bad_intake_rerenders_with_the_fields_message(dispatch, change, field, message):
    response = dispatch.post("/dispatch/incidents", {**CALL, **change})
    assert response.status_code == 422
    assert f'id="{field}-error">{message}' in response.text
    assert 'value="D2611270100"' in response.text or change.get("cad_number") == ""
    assert counts() == (0, 0, 0)


def test_duplicate_cad_number_is_refused(dispatch, incident):
    response = dispatch.post("/dispatch/incidents", {**CALL, "cad_number": incident.cad_number})
    assert response.status_code == 422
    assert "already exists" in response.text
    assert counts()[0] == 1


def test_form_without_csrf_token_is_refused_and_changes_nothing(dispatch, team, incident):
    response = dispatch.client.post(
        f"/dispatch/incidents/{incident.id}/assign", data={"team": "CR-1"}
    )
    assert response.status_code == 400
    assert "expired" in response.text
    assert reload(team).status == TeamStatus.AVAILABLE


def test_htmx_request_without_csrf_header_is_refused(dispatch, team, incident):
    response = dispatch.client.post(
        f"/dispatch/incidents/{incident.id}/assign",
        data={"team": "CR-1"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 400
    ok = dispatch.client.post(
        f"/dispatch/incidents/{incident.id}/assign",
        data={"team": "CR-1"},
        headers={"HX-Request": "true", "X-CSRFToken": dispatch.token},
    )
    assert ok.status_code == 200


def test_supervisor_sees_board_but_cannot_assign(sign_in, app, team, incident):
    from tests.conftest import make_user

    supervisor = sign_in(make_user("sup", "supervisor"))
    page = supervisor.get("/dispatch/")
    assert "CR-1" in page.text and ">Assign</button>" not in page.text
    assert (
        supervisor.post(f"/dispatch/incidents/{incident.id}/assign", {"team": "CR-1"}).status_code
        == 403
    )
