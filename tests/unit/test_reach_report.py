"""The reach report on a hand-counted fixture: eligible calls served in person, by phone and
not at all (by reason); waiting before assignment; cancellations by reason."""

import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from heart_field.domain import status, steering
from heart_field.domain.status import Action, OutcomeInput, Tap
from heart_field.extensions import db
from heart_field.models import CallResolution, Incident
from heart_field.reports.queries import Period, Scope
from heart_field.reports.reach import reach
from tests.conftest import make_incident, make_team

NY = ZoneInfo("America/New_York")
DAY = date(2026, 11, 10)
NOON = datetime(2026, 11, 10, 17, 0, tzinfo=UTC)  # 12:00 in Durham


def tap(team, action, minutes, incident=None):
    extra = {"incident_id": incident.id} if action == Action.ASSIGN else {}
    if action == Action.CLEAR:
        extra["outcome"] = OutcomeInput(disposition="resolved_on_scene", people_served=1)
    status.apply(
        db.session,
        team,
        Tap(
            action=action,
            client_uuid=str(uuid.uuid4()),
            occurred_at=NOON + timedelta(minutes=minutes),
            **extra,
        ),
        None,
    )


def call(cad, **fields):
    return make_incident(cad, received_at=NOON, **fields)


@pytest.fixture
def fixture(app):
    """Ten calls, counted by hand below."""
    a, b, c = make_team("A"), make_team("B"), make_team("C")
    # 1. In person and cleared: assigned after 4 min.
    one = call("1")
    for action, minute in (
        (Action.ASSIGN, 4),
        (Action.EN_ROUTE, 5),
        (Action.ON_SCENE, 12),
        (Action.CLEAR, 30),
    ):
        tap(a, action, minute, one)
    # 2. In person, still on scene: assigned after 10 min.
    two = call("2")
    for action, minute in ((Action.ASSIGN, 10), (Action.EN_ROUTE, 11), (Action.ON_SCENE, 20)):
        tap(b, action, minute, two)
    # 3, 4. By phone, never assigned.
    steering.end_call(db.session, call("3"), "handled_by_phone", None)
    steering.end_call(db.session, call("4"), "callback_arranged", None)
    # 5. Sent to police while waiting.
    steering.end_call(db.session, call("5"), "sent_to_police", None)
    # 6. Caller cancelled while the team was en route: assigned after 2 min.
    six = call("6")
    tap(c, Action.ASSIGN, 2, six)
    tap(c, Action.EN_ROUTE, 3, six)
    steering.end_call(db.session, six, "caller_cancelled", None, reason="Rang back")
    # 7. A duplicate: not counted among eligible calls.
    steering.end_call(db.session, call("7"), "duplicate", None)
    # 8. Outside city limits: not eligible.
    call(
        "8",
        within_city_limits=False,
        fallback_reason="outside_city_limits",
        status="routed_elsewhere",
    )
    # 9. Still waiting.
    call("9", fallback_reason="no_team_available")
    # 10. Waited with no team free, EMS went (recorded the old way, on the board's Record who went).
    call("10", fallback_reason="no_team_available", status="routed_elsewhere", routed_to="ems")
    # The resolutions above were made now: put them at 6, 8 and 15 minutes after receipt.
    for cad, minutes in (("3", 6), ("4", 8), ("5", 15)):
        resolution = db.session.scalar(
            select(CallResolution).join(Incident).where(Incident.cad_number == cad)
        )
        resolution.resolved_at = NOON + timedelta(minutes=minutes)
    db.session.commit()
    # Another day: out of the range.
    make_incident("X", received_at=NOON + timedelta(days=2))
    return Scope(Period(DAY, DAY, NY))


def test_reach_counted_by_hand(fixture):
    report = reach(db.session, fixture)
    served = {row[0]: row[1:] for row in report.served.rows}
    # Eligible: 1, 2, 3, 4, 5, 6, 9, 10 (7 is a duplicate, 8 outside city limits).
    assert served["Eligible calls"] == [8, None]
    assert served["Served in person"] == [2, 25.0]  # 1, 2
    assert served["Served by phone"] == [2, 25.0]  # 3, 4
    assert served["Not served by HEART"] == [3, 37.5]  # 5, 6, 10
    assert served["Not served: Sent to police"] == [1, 12.5]
    assert served["Not served: Sent to EMS"] == [1, 12.5]
    assert served["Not served: Caller cancelled"] == [1, 12.5]
    assert served["Still open"] == [1, 12.5]  # 9
    assert "Duplicates left out: 1." in report.served.note


def test_waiting_before_assignment_counted_by_hand(fixture):
    rows = {row[0].split(":")[0]: row[1:] for row in reach(db.session, fixture).waiting.rows}
    # Waits of 4, 10 and 2 minutes: median 4; 90th percentile h = 2 * 0.9 = 1.8, 4 + 0.8 * 6.
    assert rows["Eligible calls that got a team"] == [3, 4.0, 8.8]
    # Calls 3, 4, 5, resolved after 6, 8 and 15 minutes: median 8; 90th 8 + 0.8 * 7.
    assert rows["Eligible calls that never got a team"] == [3, 8.0, 13.6]


def test_cancellations_by_reason_counted_by_hand(fixture):
    rows = {row[0]: row[1:] for row in reach(db.session, fixture).endings.rows if row[-1]}
    # Columns: while waiting, team assigned, team en route, total. Every code has a row.
    assert len(reach(db.session, fixture).endings.rows) == 11
    assert rows == {
        "Handled by phone (Crisis Call Diversion)": [1, 0, 0, 1],
        "Callback arranged": [1, 0, 0, 1],
        "Sent to police": [1, 0, 0, 1],
        "Caller cancelled": [0, 0, 1, 1],
        "Duplicate call": [1, 0, 0, 1],
    }


def test_the_page_and_csv_show_reach(fixture, sign_in):
    from heart_field.models import Role
    from tests.conftest import make_user

    session = sign_in(make_user("sup", Role.SUPERVISOR))
    query = f"start={DAY}&end={DAY}&unit="
    page = session.get(f"/reports/?{query}")
    assert page.status_code == 200
    assert "Eligible calls HEART served" in page.text
    assert "Cancellations and waiting calls resolved, by reason" in page.text
    csv = session.get(f"/reports/reach.csv?{query}").get_data(as_text=True)
    assert "Served in person,2,25.0" in csv
    assert "Rang back" not in session.get(f"/reports/cancellations.csv?{query}").text
