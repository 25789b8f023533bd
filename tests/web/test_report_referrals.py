"""Care Navigation follow-through in the supervisors' report, worked by hand."""

import uuid
from datetime import UTC, datetime, timedelta

from heart_field.extensions import db
from heart_field.models import Role
from heart_field.models.referrals import Referral
from tests.conftest import make_team, make_user
from tests.web.test_reports import (  # noqa: F401 (supervisor is a fixture)
    RANGE,
    call,
    local,
    page_tables,
    rows_by_label,
    supervisor,
)


def referral(incident, team, made_by, created, **fields):
    values = dict(
        incident_id=incident.id,
        team_id=team.id,
        made_by_id=made_by.id,
        client_uuid=str(uuid.uuid4()),
        consented_at=created,
        person_name="Alias",
        urgency="within_48_hours",
        created_at=created,
        due_at=created + timedelta(hours=48),
        next_action_at=created + timedelta(hours=48),
        status="open",
    )
    values.update(fields)
    db.session.add(Referral(**values))
    db.session.commit()


def test_referral_follow_through_worked_by_hand(app, supervisor, sign_in):  # noqa: F811
    """Four referrals made on 1 June; three claimed; first contact after 6, 30 and 60 hours
    (two within 48); one connected. Time to first contact: median 30 h, 90th percentile
    h = 2 * 0.9 = 1.8 -> 30 + 0.8 * (60 - 30) = 54.0 h. Overdue now: the open referral whose
    next step was due, and one made long before the range; not the closed one."""
    cr, co = make_team("CR-1"), make_team("CO-1", unit="co_response")
    responder = make_user("responder", Role.RESPONDER, cr)
    incident = call("R", "2026-06-01 08:00")
    made = local("2026-06-01 09:00")
    hours = lambda n: made + timedelta(hours=n)  # noqa: E731
    referral(
        incident,
        cr,
        responder,
        made,
        status="claimed",
        claimed_at=hours(1),
        first_contact_at=hours(6),
        connected_at=hours(20),
        next_action_at=datetime.now(UTC) + timedelta(days=2),
    )
    referral(
        incident,
        cr,
        responder,
        made,
        status="closed",
        claimed_at=hours(2),
        first_contact_at=hours(30),
        closed_at=hours(31),
        next_action_at=hours(3),
    )
    referral(
        incident,
        co,
        responder,
        made,
        status="claimed",
        claimed_at=hours(3),
        first_contact_at=hours(60),
        next_action_at=datetime.now(UTC) + timedelta(days=1),
    )
    referral(incident, cr, responder, made, next_action_at=hours(48))  # never claimed: overdue now
    referral(
        incident, cr, responder, local("2026-01-05 10:00"), next_action_at=local("2026-01-07 10:00")
    )
    session = sign_in(supervisor)
    tables = page_tables(session, **RANGE)
    assert rows_by_label(tables["referral-funnel"]) == {
        "Referrals made": ["4", "100.0"],
        "Claimed by a navigator": ["3", "75.0"],
        "First contact within 48 hours": ["2", "50.0"],
        "Connected to services": ["1", "25.0"],
    }
    assert rows_by_label(tables["referral-contact-time"]) == {
        "Referrals contacted": ["3"],
        "Median": ["30.0"],
        "90th percentile": ["54.0"],
    }
    overdue = tables["referral-overdue"][1:]
    assert [(r[1], r[2], r[3]) for r in overdue] == [
        ("2026-01-05 10:00", "Within 48 hours", "Unclaimed"),
        ("2026-06-01 09:00", "Within 48 hours", "Unclaimed"),
    ]
    assert "Alias" not in session.get("/reports/", query_string=RANGE).text
    co_only = page_tables(session, **RANGE, unit="co_response")
    assert rows_by_label(co_only["referral-funnel"])["Referrals made"] == ["1", "100.0"]
    assert "referral-overdue" not in co_only


def test_referral_tables_export_as_shown(app, supervisor, sign_in):  # noqa: F811
    """Each referral table's CSV holds what the page shows, and is audited like the rest."""
    import csv
    import io

    cr = make_team("CR-1")
    responder = make_user("responder", Role.RESPONDER, cr)
    referral(call("R", "2026-06-01 08:00"), cr, responder, local("2026-06-01 09:00"))
    session = sign_in(supervisor)
    shown = page_tables(session, **RANGE)
    for name in ("referral-funnel", "referral-contact-time", "referral-overdue"):
        text = session.get(f"/reports/{name}.csv", query_string=RANGE).text
        assert list(csv.reader(io.StringIO(text))) == shown[name]
