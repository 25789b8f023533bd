"""The phone's call card says where the call is in words: the nearest landmark, and how far and
which way it is from the team's last position (the small map has no street names)."""

import uuid

from heart_field.domain import status
from heart_field.domain.status import Action, Tap
from heart_field.extensions import db
from tests.conftest import make_incident


def test_the_card_names_the_nearest_landmark_and_the_way_from_the_team(sign_in, responder, team):
    incident = make_incident(
        cad="D-CITY-HALL",
        address="101 City Hall Plaza, Durham, NC 27701",
        lat=35.9964,
        lon=-78.8987,
    )
    team.last_lat, team.last_lon = 35.9800, -78.8987  # south of downtown
    db.session.commit()
    status.apply(
        db.session, team, Tap(Action.ASSIGN, str(uuid.uuid4()), incident_id=incident.id), None
    )

    page = sign_in(responder).get("/field/").text
    assert "Near <strong>Durham City Hall</strong>" in page
    assert "<strong>1.8 km north</strong> of your team's last position" in page
    assert '<svg class="call-map"' in page  # the thumbnail stays beside the words


def test_without_a_team_position_only_the_landmark_is_said(sign_in, responder, team):
    incident = make_incident(cad="D-PARK", address=None, lat=36.0002, lon=-78.9015)
    team.last_lat = team.last_lon = None
    db.session.commit()
    status.apply(
        db.session, team, Tap(Action.ASSIGN, str(uuid.uuid4()), incident_id=incident.id), None
    )

    page = sign_in(responder).get("/field/").text
    assert "Durham Central Park" in page
    assert "of your team" not in page
