"""The navigator's queue and a referral worked from claim to close, over HTTP."""

import csv
import io
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from heart_field.extensions import db
from heart_field.models import AuditEvent, FollowUpAttempt, Role, ServiceConnection, utcnow
from tests.conftest import make_user, reload
from tests.web.referral_helpers import NY, make_referral


@pytest.fixture
def navigator(app):
    return make_user("navigator", Role.NAVIGATOR)


@pytest.fixture
def nav(sign_in, navigator):
    return sign_in(navigator)


@pytest.fixture
def referral(team, responder):
    return make_referral(
        team,
        responder,
        needs=("housing", "substance_use"),
        sensitive_notes="Uses opioids daily; wants treatment.",
    )


def audit_events(action=None):
    """Audit events about referrals and exports (sign-ins are audited too, not counted here)."""
    query = select(AuditEvent).where(AuditEvent.action.not_in(("sign_in", "sign_out")))
    if action:
        query = query.where(AuditEvent.action == action)
    return db.session.scalars(query).all()


def local_input(moment: datetime) -> str:
    return moment.astimezone(NY).strftime("%Y-%m-%dT%H:%M")


def url(referral, action=""):
    return f"/navigation/referrals/{referral.id}" + (f"/{action}" if action else "")


def test_queue_lists_referrals_by_due_time_without_personal_details(nav, team, responder):
    later = make_referral(team, responder, cad="D1", urgency="routine")
    sooner = make_referral(team, responder, cad="D2", urgency="same_day")
    page = nav.get("/navigation/")
    assert page.status_code == 200
    assert page.text.index(f'id="referral-{sooner.id}"') < page.text.index(
        f'id="referral-{later.id}"'
    )
    assert "Jamie Doe" not in page.text and "919-555-0142" not in page.text
    assert audit_events() == []


def test_overdue_referrals_are_marked_and_filtered(nav, team, responder):
    late = make_referral(team, responder, cad="D1")
    on_time = make_referral(team, responder, cad="D2")
    late.next_action_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    page = nav.get("/navigation/?show=overdue", headers={"HX-Request": "true"})
    assert 'id="queue"' in page.text and "<html" not in page.text
    assert (
        f'id="referral-{late.id}"' in page.text and f'id="referral-{on_time.id}"' not in page.text
    )
    assert "Overdue</span>" in page.text


def test_mine_and_unclaimed_filters(nav, team, responder, referral):
    other = make_referral(team, responder, cad="D2")
    nav.post(url(referral, "claim"))
    mine = nav.get("/navigation/?show=mine").text
    unclaimed = nav.get("/navigation/?show=unclaimed").text
    assert f'id="referral-{referral.id}"' in mine and f'id="referral-{other.id}"' not in mine
    assert (
        f'id="referral-{other.id}"' in unclaimed and f'id="referral-{referral.id}"' not in unclaimed
    )


def test_claim_then_a_second_navigator_gets_409(nav, sign_in, referral, navigator):
    response = nav.post(url(referral, "claim"), htmx=True)
    assert response.status_code == 200 and "Claimed by Navigator" in response.text
    claimed = reload(referral)
    assert (claimed.status, claimed.claimed_by_id) == ("claimed", navigator.id)
    assert claimed.claimed_at is not None
    rival = sign_in(make_user("rival", Role.NAVIGATOR))
    refused = rival.post(url(referral, "claim"), htmx=True)
    assert refused.status_code == 409 and "already claimed by Navigator" in refused.text
    assert reload(referral).claimed_by_id == navigator.id


def test_claim_full_page_redirects_with_303(nav, referral):
    response = nav.post(url(referral, "claim"))
    assert response.status_code == 303 and response.headers["Location"] == url(referral)


def test_a_failed_attempt_sets_the_next_step(nav, referral, navigator):
    next_time = (utcnow() + timedelta(days=1)).replace(second=0, microsecond=0)
    response = nav.post(
        url(referral, "attempts"),
        {
            "method": "phone",
            "result": "no_answer",
            "next_attempt_at": local_input(next_time),
            "note": "Rang twice.",
        },
        htmx=True,
    )
    assert response.status_code == 200 and "Attempt logged." in response.text
    worked = reload(referral)
    assert worked.status == "claimed" and worked.claimed_by_id == navigator.id  # working claims it
    assert worked.first_attempt_at is not None and worked.first_contact_at is None
    assert worked.next_action_at == next_time
    attempt = db.session.scalar(select(FollowUpAttempt))
    assert (attempt.method, attempt.result, attempt.note) == ("phone", "no_answer", "Rang twice.")


def test_reaching_the_person_records_first_contact(nav, referral):
    nav.post(url(referral, "attempts"), {"method": "in_person", "result": "reached"})
    assert reload(referral).first_contact_at is not None


def test_a_visit_logged_afterwards_keeps_when_it_happened(nav, referral):
    """Reached in person an hour ago, logged now: the attempt and the first contact carry the
    hour of the visit. A call made before it, logged after it, moves the first attempt back."""
    reload(referral).created_at = utcnow() - timedelta(hours=3)
    db.session.commit()
    visit = (utcnow() - timedelta(hours=1)).replace(second=0, microsecond=0)
    response = nav.post(
        url(referral, "attempts"),
        {"method": "in_person", "result": "reached", "attempted_at": local_input(visit)},
        htmx=True,
    )
    assert response.status_code == 200 and "Attempt logged." in response.text
    call = visit - timedelta(hours=1)
    nav.post(
        url(referral, "attempts"),
        {"method": "phone", "result": "no_answer", "attempted_at": local_input(call)},
    )
    worked = reload(referral)
    assert (worked.first_attempt_at, worked.first_contact_at) == (call, visit)
    assert [a.attempted_at for a in worked.attempts] == [call, visit]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {
                "method": "phone",
                "result": "no_answer",
                "attempted_at": local_input(utcnow() + timedelta(hours=2)),
            },
            "The time cannot be in the future.",
        ),
        (
            {"method": "phone", "result": "no_answer", "attempted_at": "2020-01-01T09:00"},
            "The referral was made after that time.",
        ),
        ({"result": "no_answer"}, "Choose how you tried."),
        ({"method": "phone"}, "Choose what happened."),
        (
            {"method": "phone", "result": "no_answer", "next_attempt_at": "tomorrow"},
            "Not a valid datetime value.",
        ),
        (
            {"method": "phone", "result": "no_answer", "next_attempt_at": "2020-01-01T09:00"},
            "Choose a time in the future.",
        ),
        ({"method": "fax", "result": "no_answer"}, "Not a valid choice"),
    ],
)
def test_bad_attempt_is_422_and_changes_nothing(nav, referral, data, message):
    response = nav.post(url(referral, "attempts"), {**data, "note": "kept"}, htmx=True)
    assert response.status_code == 422
    assert message in response.text and "kept</textarea>" in response.text
    assert db.session.scalar(select(func.count()).select_from(FollowUpAttempt)) == 0
    assert reload(referral).status == "open"


def test_connection_then_close_as_connected(nav, referral, navigator):
    refused = nav.post(url(referral, "close"), {"reason": "connected"}, htmx=True)
    assert refused.status_code == 422
    assert "Record the service they were connected to first." in refused.text
    today = utcnow().astimezone(NY).date()
    response = nav.post(
        url(referral, "connections"),
        {
            "service": "housing",
            "organisation": "Urban Ministries of Durham",
            "connected_on": today.isoformat(),
        },
        htmx=True,
    )
    assert response.status_code == 200 and "Urban Ministries of Durham" in response.text
    assert reload(referral).connected_at is not None
    closed = nav.post(
        url(referral, "close"), {"reason": "connected", "close_note": "Bed found."}, htmx=True
    )
    assert closed.status_code == 200
    done = reload(referral)
    assert (done.status, done.close_reason, done.closed_by_id) == (
        "closed",
        "connected",
        navigator.id,
    )
    assert done.closed_at is not None and done.close_note == "Bed found."
    again = nav.post(url(referral, "close"), {"reason": "declined"}, htmx=True)
    assert again.status_code == 409 and "is closed" in again.text
    assert reload(referral).close_reason == "connected"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"organisation": "Food bank", "connected_on": "2026-11-27"}, "Choose a service."),
        ({"service": "food", "connected_on": "2026-11-27"}, "Name the organisation."),
        (
            {"service": "food", "organisation": "Food bank", "connected_on": "27/11"},
            "Not a valid date value.",
        ),
        (
            {"service": "food", "organisation": "Food bank", "connected_on": "2099-01-01"},
            "The date cannot be in the future.",
        ),
    ],
)
def test_bad_connection_is_422_and_changes_nothing(nav, referral, data, message):
    response = nav.post(url(referral, "connections"), data, htmx=True)
    assert response.status_code == 422 and message in response.text
    assert db.session.scalar(select(func.count()).select_from(ServiceConnection)) == 0


def test_unreachable_needs_attempts_and_reopen_puts_it_back(nav, referral):
    refused = nav.post(url(referral, "close"), {"reason": "unreachable"}, htmx=True)
    assert refused.status_code == 422 and "Log the attempts to reach them first." in refused.text
    nav.post(url(referral, "attempts"), {"method": "phone", "result": "wrong_number"})
    assert nav.post(url(referral, "close"), {"reason": "unreachable"}).status_code == 303
    assert reload(referral).status == "closed"
    assert f'id="referral-{referral.id}"' in nav.get("/navigation/?show=closed").text
    reopened = nav.post(url(referral, "reopen"), htmx=True)
    assert reopened.status_code == 200
    back = reload(referral)
    assert back.status == "claimed" and back.closed_at is None and back.reopened_at is not None
    assert back.next_action_at > utcnow()
    assert nav.post(url(referral, "reopen"), htmx=True).status_code == 409


def test_a_reopened_referral_keeps_its_earlier_close(nav, navigator, referral):
    nav.post(url(referral, "attempts"), {"method": "phone", "result": "wrong_number"})
    nav.post(
        url(referral, "close"), {"reason": "unreachable", "close_note": "Number disconnected."}
    )
    nav.post(url(referral, "reopen"))
    nav.post(url(referral, "attempts"), {"method": "in_person", "result": "reached"})
    assert nav.post(url(referral, "close"), {"reason": "declined"}).status_code == 303

    first, second = reload(referral).closures
    assert (first.reason, first.note, first.closed_by_id, first.reopened_by_id) == (
        "unreachable",
        "Number disconnected.",
        navigator.id,
        navigator.id,
    )
    assert first.reopened_at is not None and first.reopened_at >= first.closed_at
    assert (second.reason, second.reopened_at) == ("declined", None)
    page = nav.get(url(referral)).text
    history = page[page.index("Closed before") : page.index("<h3>Attempts</h3>")]
    assert "Unreachable after attempts" in history and "Number disconnected." in history
    assert "reopened" in history


def test_close_needs_a_reason(nav, referral):
    response = nav.post(url(referral, "close"), {"close_note": "done"}, htmx=True)
    assert response.status_code == 422 and "Choose a reason." in response.text
    assert reload(referral).status == "open"


def test_each_view_of_a_referral_is_audited(nav, navigator, referral):
    page = nav.get(url(referral))
    assert "Jamie Doe" in page.text and "919-555-0142" in page.text
    nav.get(url(referral), headers={"HX-Request": "true"})
    events = audit_events("view_referral")
    assert len(events) == 2
    assert {(e.actor_id, e.object_type, e.object_id) for e in events} == {
        (navigator.id, "referral", str(referral.id))
    }
    assert all("Jamie" not in (e.detail or "") for e in events)


def test_export_is_audited_and_carries_contact_details(nav, navigator, referral):
    response = nav.get("/navigation/export.csv?show=open")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["reference"], r["name"], r["phone"]) for r in rows] == [
        (referral.reference, "Jamie Doe", "919-555-0142")
    ]
    assert rows[0]["substance_use_details"] == "Uses opioids daily; wants treatment."
    (event,) = audit_events("export_referrals")
    assert event.actor_id == navigator.id and event.detail == "1 exported, view open"


def test_export_neutralises_spreadsheet_formulas(nav, team, responder):
    make_referral(team, responder, cad="D9", other_contact='=HYPERLINK("http://x")')
    rows = list(csv.DictReader(io.StringIO(nav.get("/navigation/export.csv").text)))
    assert rows[0]["other_contact"].startswith("'=")


def test_substance_use_is_shown_to_navigators_only(nav, sign_in, team, responder, referral):
    secret = "Uses opioids daily"
    navigator_page = nav.get(url(referral)).text
    assert secret in navigator_page and "42 CFR Part 2" in navigator_page
    assert "Substance use" in nav.get("/navigation/").text
    supervisor = sign_in(make_user("boss", Role.SUPERVISOR))
    for page in (supervisor.get(url(referral)).text, supervisor.get("/navigation/?show=open").text):
        assert secret not in page and "Substance use" not in page
    rows = list(
        csv.DictReader(io.StringIO(supervisor.get("/navigation/export.csv?show=open").text))
    )
    assert "substance_use_details" not in rows[0] and "Substance use" not in rows[0]["needs"]
    responder_page = sign_in(responder).get(f"/field/referrals/{referral.id}").text
    assert secret not in responder_page and "Substance use" not in responder_page


def test_supervisor_sees_each_navigators_load_and_everything_overdue(sign_in, team, responder):
    nia = make_user("nia", Role.NAVIGATOR)
    omar = make_user("omar", Role.NAVIGATOR)
    first, second, third = (make_referral(team, responder, cad=f"D{n}") for n in range(3))
    for referral in (first, second):
        sign_in(nia).post(url(referral, "claim"))
    sign_in(omar).post(url(third, "claim"))
    first.next_action_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    page = sign_in(make_user("boss", Role.SUPERVISOR)).get("/navigation/")
    assert "Navigators&#39; load" in page.text or "Navigators' load" in page.text
    assert '<th scope="row">Nia</th><td>2</td>' in page.text
    assert '<th scope="row">Omar</th><td>1</td>' in page.text
    # The supervisor's queue opens on what is overdue.
    assert f'id="referral-{first.id}"' in page.text and f'id="referral-{third.id}"' not in page.text
    assert audit_events() == []


def test_supervisor_cannot_work_a_referral(sign_in, referral):
    boss = sign_in(make_user("boss", Role.SUPERVISOR))
    assert "Log an attempt" not in boss.get(url(referral)).text
    assert boss.post(url(referral, "claim")).status_code == 403
    assert reload(referral).status == "open"
