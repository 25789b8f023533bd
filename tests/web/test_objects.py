"""Per-object checks: a call that is not yours answers 404 and shows nothing of itself."""

import uuid

import pytest
from werkzeug.exceptions import NotFound

from heart_field.access import load_incident
from heart_field.domain import status
from heart_field.domain.status import Action, Tap
from heart_field.extensions import db
from heart_field.models import Role
from tests.conftest import make_user, reload


@pytest.fixture
def assigned(team, incident):
    status.apply(
        db.session, team, Tap(Action.ASSIGN, str(uuid.uuid4()), incident_id=incident.id), actor=None
    )
    return incident


def test_another_teams_call_is_not_found(app, team, other_team, assigned):
    """load_incident(), which every view that takes a call id uses, hides other teams' calls."""
    own = make_user("own", Role.RESPONDER, team)
    other = make_user("other", Role.RESPONDER, other_team)
    navigator = make_user("nav", Role.NAVIGATOR)
    desk = make_user("desk", Role.DISPATCHER)
    with app.test_request_context():
        assert load_incident(assigned.id, own) is assigned
        assert load_incident(assigned.id, desk) is assigned
        for user in (other, navigator):
            with pytest.raises(NotFound):
                load_incident(assigned.id, user)
        with pytest.raises(NotFound):
            load_incident(424242, desk)  # a missing call looks the same as a hidden one


def test_other_teams_screen_shows_nothing_of_the_call(sign_in, team, other_team, assigned):
    phone = sign_in(make_user("other", Role.RESPONDER, other_team))
    page = phone.get("/field/").text
    assert assigned.cad_number not in page
    assert assigned.narrative not in page
    version = reload(team).version
    tap = phone.post(
        "/field/status",
        {"action": "accept", "version": version, "client_uuid": str(uuid.uuid4())},
        htmx=True,
    )
    assert tap.status_code == 409  # applied to the responder's own team, which has no call
    assert reload(team).version == version
