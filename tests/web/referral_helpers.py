"""Building cleared calls and referrals through the real domain code, for the web tests."""

import uuid
from zoneinfo import ZoneInfo

from heart_field.domain import referrals, status
from heart_field.domain.referrals import ReferralInput
from heart_field.domain.status import Action, OutcomeInput, Tap
from heart_field.extensions import db
from tests.conftest import make_incident

NY = ZoneInfo("America/New_York")


def cleared_call(team, actor, cad="D1", disposition="resolved_on_scene"):
    """A call the team worked from assignment to clear, through the status machine."""
    incident = make_incident(cad)
    status.apply(
        db.session, team, Tap(Action.ASSIGN, str(uuid.uuid4()), incident_id=incident.id), None
    )
    for action in (Action.ACCEPT, Action.EN_ROUTE, Action.ON_SCENE):
        status.apply(db.session, team, Tap(action, str(uuid.uuid4())), actor)
    status.apply(
        db.session,
        team,
        Tap(Action.CLEAR, str(uuid.uuid4()), outcome=OutcomeInput(disposition)),
        actor,
    )
    return incident


def make_referral(
    team,
    actor,
    cad="D1",
    needs=("housing",),
    urgency="within_48_hours",
    sensitive_notes=None,
    **fields,
):
    incident = cleared_call(team, actor, cad)
    data = ReferralInput(
        client_uuid=str(uuid.uuid4()),
        person_name="Jamie Doe",
        needs=needs,
        urgency=urgency,
        phone="919-555-0142",
        sensitive_notes=sensitive_notes,
        **fields,
    )
    return referrals.make_referral(db.session, incident, team, data, actor, NY)
