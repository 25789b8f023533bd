"""Sign-in events in the audit trail, and the supervisors' page that searches it."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from heart_field.extensions import db
from heart_field.models import AuditEvent, Role, utcnow
from tests.conftest import PASSWORD, csrf_token, make_user
from tests.web.test_abuse import attempt


def events():
    db.session.expire_all()
    return [
        (e.action, e.actor_id, e.object_id)
        for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))
    ]


def test_sign_in_failures_sign_out_and_holds_are_audited(app, client, dispatcher):
    me = str(dispatcher.id)
    attempt(client, "dispatcher", "wrong password")
    attempt(client, "nobody-by-this-name", "wrong password")
    attempt(client, "dispatcher", PASSWORD)
    page = client.get("/dispatch/")
    client.post("/logout", data={"csrf_token": csrf_token(page)})
    assert events() == [
        ("sign_in_failed", None, me),
        ("sign_in_failed", None, None),
        ("sign_in", dispatcher.id, me),
        ("sign_out", dispatcher.id, me),
    ]
    # The first failure, a minute ago at most, counts too (failures are rows in the database).
    app.config["HEART_SIGNIN_LIMIT_ACCOUNT"] = "2 per minute"
    attempt(client, "dispatcher", "wrong again")
    attempt(client, "dispatcher", PASSWORD)
    assert events()[-2:] == [("sign_in_failed", None, me), ("sign_in_throttled", None, me)]
    details = {e.detail for e in db.session.scalars(select(AuditEvent))}
    assert details == {"from 192.0.2.10", None}  # the address at most; never what was typed


@pytest.fixture
def trail(app):
    """A supervisor, and events by two people over three days."""
    boss = make_user("boss", Role.SUPERVISOR)
    nav = make_user("nav", Role.NAVIGATOR)
    now = utcnow()
    for actor, action, kind, oid, days_ago in [
        (boss, "sign_in", "user", boss.id, 2),
        (nav, "view_referral", "referral", 7, 1),
        (nav, "export_csv", "referral", None, 0),
        (boss, "view_incident", "incident", 12, 0),
    ]:
        db.session.add(
            AuditEvent(
                actor_id=actor.id,
                action=action,
                object_type=kind,
                object_id=None if oid is None else str(oid),
                at=now - timedelta(days=days_ago),
            )
        )
    db.session.commit()
    return boss


def rows(response):
    return response.text.count("<tr>") - 1  # minus the header row


def test_supervisor_searches_the_trail(sign_in, trail):
    """By person, by action, by record and by date; newest first; htmx gets the table alone."""
    desk = sign_in(trail)  # signing in adds one more event
    everything = desk.get("/reports/audit/")
    assert everything.status_code == 200
    assert rows(everything) == 5
    assert everything.text.index("Signed in") < everything.text.index("View referral")
    assert rows(desk.get("/reports/audit/?actor=nav")) == 2
    assert rows(desk.get("/reports/audit/?action=view_referral")) == 1
    assert rows(desk.get("/reports/audit/?object_type=referral&object_id=7")) == 1
    yesterday = (utcnow() - timedelta(days=1)).date().isoformat()
    assert rows(desk.get(f"/reports/audit/?since={yesterday}&until={yesterday}")) >= 1
    fragment = desk.get("/reports/audit/?actor=nav", headers={"HX-Request": "true"})
    assert fragment.text.startswith('<section class="panel" id="audit-results"')
    assert "<html" not in fragment.text


def test_a_backwards_date_range_is_422_with_the_reason(sign_in, trail):
    response = sign_in(trail).get("/reports/audit/?since=2026-11-20&until=2026-11-10")
    assert response.status_code == 422
    assert "The end date is before the start date." in response.text


@pytest.mark.parametrize("role", [Role.RESPONDER, Role.DISPATCHER, Role.NAVIGATOR])
def test_only_supervisors_and_admins_see_the_trail(sign_in, team, role):
    user = make_user(f"u-{role.value}", role, team if role == Role.RESPONDER else None)
    assert sign_in(user).get("/reports/audit/").status_code == 403
    assert (
        sign_in(make_user(f"admin-{role.value}", Role.ADMIN)).get("/reports/audit/").status_code
        == 200
    )
