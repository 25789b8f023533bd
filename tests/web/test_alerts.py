"""Call alerts by Web Push, against a push service of our own inside the test run: it checks
each request's VAPID token (audience, expiry, signature) and decrypts it with http_ece, as a
real push service and browser would."""

import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bench.push_service import Browser, PushService
from heart_field.alerts import keys
from heart_field.domain import alerts, status
from heart_field.domain.status import Action, Tap
from heart_field.extensions import db
from heart_field.models import PushMessage, PushSubscription, Role, StatusEvent, utcnow
from tests.conftest import make_user, reload


@pytest.fixture
def service(app):
    push = PushService(app.config["HEART_VAPID_PUBLIC_KEY"])
    yield push
    push.close()


@pytest.fixture
def sender(app):
    """This app's sender, its feed cursor set (as the first pass of a new server does)."""
    push = app.extensions["heart_push"]
    push.run_once()
    yield push
    push.stop()


def subscribe(session, endpoint, browser=None):
    browser = browser or Browser()
    answer = session.client.post(
        "/alerts/subscription",
        json={"endpoint": endpoint, "keys": {"p256dh": browser.p256dh, "auth": browser.auth}},
        headers={"X-CSRFToken": session.token},
    )
    assert answer.status_code == 201, answer.text
    return browser


def assign(board, incident, call_sign="CR-1"):
    answer = board.post(f"/dispatch/incidents/{incident.id}/assign", {"team": call_sign}, htmx=True)
    assert answer.status_code == 200, answer.text
    return answer


def feed_event(team, incident, action, detail=None):
    """A feed entry written directly, as the call-update and cancel features will write them."""
    team = reload(team)
    event = StatusEvent(
        team_id=team.id,
        incident_id=incident.id,
        action=action,
        from_status=team.status,
        to_status=team.status,
        team_version=team.version,
        occurred_at=utcnow(),
        received_at=utcnow(),
        client_uuid=str(uuid.uuid4()),
        detail=detail,
    )
    db.session.add(event)
    db.session.commit()
    return event


@pytest.fixture
def crew(sign_in, responder):
    return sign_in(responder)


@pytest.fixture
def board(sign_in, dispatcher):
    return sign_in(dispatcher)


def test_an_assignment_reaches_the_teams_device_encrypted_and_signed(
    crew, board, incident, service, sender
):
    """The push service gets one request: a valid VAPID token for its own origin, high urgency,
    and a payload the subscription's keys decrypt."""
    browser = subscribe(crew, service.endpoint("phone-1"))
    assign(board, incident)
    assert sender.run_once() == 1
    [request] = service.wait_for(1)
    assert service.refusals == []
    assert request.path == "/push/phone-1"
    assert request.headers["content-encoding"] == "aes128gcm"
    assert request.headers["urgency"] == "high"
    alert = browser.decrypt(request.body)
    assert alert["kind"] == "assign"
    assert alert["title"] == "New call: Welfare check"
    assert alert["priority"] == 2
    assert alert["body"].startswith("P2 · ")
    assert alert["url"] == f"/field/#call-{incident.id}"


def test_the_payload_holds_no_name_address_or_narrative(
    crew, board, responder, incident, service, sender
):
    browser = subscribe(crew, service.endpoint("phone-1"))
    incident = reload(incident)
    incident.callback_phone = "919-555-0142"
    db.session.commit()
    assign(board, incident)
    sender.run_once()
    [request] = service.wait_for(1)
    text = request.body.decode("latin-1")
    alert = browser.decrypt(request.body)
    shown = " ".join(str(v) for v in alert.values())
    for secret in ("737", "Ninth", "27705", "Man sitting", "919-555", responder.display_name):
        assert secret not in shown
        assert secret not in text
    assert alert["area"] in {f"{d} Durham" for d in ("Central", "North", "Northwest", "West")}


def test_an_urgent_update_and_a_cancellation_alert_but_an_ordinary_note_does_not(
    crew, board, team, incident, service, sender
):
    browser = subscribe(crew, service.endpoint("phone-1"))
    assign(board, incident)
    sender.run_once()
    feed_event(team, incident, "note")  # an ordinary update: no alert
    feed_event(team, incident, "note", detail="urgent")
    feed_event(team, incident, "cancel_call")
    assert sender.run_once() == 2
    kinds = [browser.decrypt(r.body)["kind"] for r in service.wait_for(3)]
    assert kinds == ["assign", "urgent", "cancel"]
    titles = [browser.decrypt(r.body)["title"] for r in service.received]
    assert titles[1:] == ["Urgent update: Welfare check", "Call cancelled: Welfare check"]


def test_a_signed_out_device_gets_nothing(crew, board, sign_in, team, incident, service, sender):
    """Two responders on the team subscribe; one signs out: only the other's phone is alerted."""
    partner = sign_in(make_user("partner", Role.RESPONDER, team, "emt"))
    subscribe(crew, service.endpoint("signed-out"))
    subscribe(partner, service.endpoint("still-in"))
    out = crew.post("/logout")
    assert out.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(PushSubscription)) == 1
    assign(board, incident)
    assert sender.run_once() == 1
    assert [r.path for r in service.wait_for(1)] == ["/push/still-in"]


def test_nothing_goes_to_another_team_or_after_the_session_expires(
    app, crew, board, other_team, incident, service, sender
):
    subscribe(crew, service.endpoint("phone-1"))
    assign(board, incident, "CR-2")
    assert sender.run_once() == 0
    db.session.execute(db.update(PushSubscription).values(expires_at=utcnow()))
    db.session.commit()
    second = reload(incident)
    assert alerts.recipients(db.session, reload(second).assignments[-1].team_id, utcnow()) == []
    assert service.received == []


@pytest.mark.parametrize("answer", [404, 410])
def test_a_subscription_the_push_service_calls_gone_is_deleted(
    crew, board, incident, service, sender, answer
):
    subscribe(crew, service.endpoint("gone"))
    service.answer = answer
    assign(board, incident)
    assert sender.run_once() == 0
    assert len(service.wait_for(1)) == 1
    assert db.session.scalar(select(func.count()).select_from(PushSubscription)) == 0
    assert db.session.scalar(select(func.count()).select_from(PushMessage)) == 0


def test_a_failed_push_is_retried_after_a_backoff(crew, board, incident, service, sender):
    browser = subscribe(crew, service.endpoint("phone-1"))
    service.answer = 503
    assign(board, incident)
    assert sender.run_once() == 0
    message = db.session.scalar(select(PushMessage))
    assert message.attempts == 1 and message.sent_at is None and message.failed_at is None
    assert message.next_try_at > utcnow()
    assert sender.run_once() == 0  # not due yet: nothing sent
    assert len(service.received) == 1
    service.answer = 201
    message.next_try_at = utcnow()
    db.session.commit()
    assert sender.run_once() == 1
    assert browser.decrypt(service.wait_for(2)[1].body)["kind"] == "assign"
    assert reload(message).attempts == 2


def test_an_assignment_not_accepted_in_time_is_sent_once_more(
    app, crew, board, incident, service, sender
):
    browser = subscribe(crew, service.endpoint("phone-1"))
    assign(board, incident)
    sender.run_once()
    assignment = reload(incident).assignments[-1]
    assignment.assigned_at = utcnow() - timedelta(seconds=app.config["HEART_PUSH_REMIND_SECONDS"])
    db.session.commit()
    sender._last_overdue = 0
    assert sender.run_once() == 1
    sender._last_overdue = 0
    assert sender.run_once() == 0  # once, not every pass
    alert = browser.decrypt(service.wait_for(2)[1].body)
    assert alert["kind"] == "reminder"
    assert alert["title"] == "Not accepted yet: Welfare check"


def test_a_team_long_on_scene_gets_the_welfare_check(app, crew, team, incident, service, sender):
    browser = subscribe(crew, service.endpoint("phone-1"))
    for action in (Action.ASSIGN, Action.ACCEPT, Action.EN_ROUTE, Action.ON_SCENE):
        status.apply(
            db.session,
            reload(team),
            Tap(action, str(uuid.uuid4()), incident_id=incident.id),
            None,
        )
    sender._last_overdue = 0
    sender.run_once()
    service.received.clear()  # the assignment's own alert
    team = reload(team)
    team.status_since = utcnow() - timedelta(minutes=app.config["HEART_ON_SCENE_WELFARE_MINUTES"])
    db.session.commit()
    sender._last_overdue = 0
    assert sender.run_once() == 1
    assert browser.decrypt(service.wait_for(1)[0].body)["kind"] == "welfare"


def test_a_tap_never_waits_for_the_push_service(crew, board, incident, app, service, sender):
    """The push service takes 2 s to answer; assigning and accepting answer long before it."""
    subscribe(crew, service.endpoint("slow"))
    service.delay = 2.0
    sender.ensure_running()
    started = time.perf_counter()
    assign(board, incident)
    assigned_in = time.perf_counter() - started
    [arrived] = service.wait_for(1)
    version = reload(incident).assignments[-1].team.version
    started = time.perf_counter()
    accepted = crew.post(
        "/field/status",
        {"action": "accept", "version": version, "client_uuid": str(uuid.uuid4()), "team": "CR-1"},
        htmx=True,
    )
    accepted_in = time.perf_counter() - started
    assert accepted.status_code == 200
    assert assigned_in < 1.0 and accepted_in < 1.0, (assigned_in, accepted_in)
    sender.stop()
    assert db.session.scalar(select(PushMessage.sent_at)) is not None  # it did go, later


def test_subscribing_checks_what_it_is_given(crew, board, service):
    def post(body, session=crew, **kwargs):
        return session.client.post(
            "/alerts/subscription",
            headers={"X-CSRFToken": session.token},
            **({"json": body} if body is not None else kwargs),
        )

    assert post(None, data="not json").status_code == 400
    bad = post({"endpoint": "ftp://x", "keys": {"p256dh": "x", "auth": "y"}})
    assert bad.status_code == 422 and bad.json["error"] == "invalid_subscription"
    assert post({"endpoint": service.endpoint("x")}).status_code == 422
    assert post({"endpoint": service.endpoint("x")}, session=board).status_code == 403
    assert crew.get("/alerts/subscription").json == {"on": False}
    subscribe(crew, service.endpoint("x"))
    assert crew.get("/alerts/subscription").json == {"on": True}
    assert (
        crew.get("/alerts/key").json["key"]
        == crew.client.application.config["HEART_VAPID_PUBLIC_KEY"]
    )
    off = crew.client.delete("/alerts/subscription", headers={"X-CSRFToken": crew.token})
    assert off.json == {"on": False}
    assert crew.get("/alerts/subscription").json == {"on": False}


def test_the_same_browser_signed_in_by_someone_else_alerts_only_them(
    crew, sign_in, other_team, service
):
    browser = subscribe(crew, service.endpoint("shared-phone"))
    crew.post("/logout")
    someone_else = make_user("other", Role.RESPONDER, other_team, "emt")
    other = sign_in(someone_else)
    subscribe(other, service.endpoint("shared-phone"), browser)
    [row] = db.session.scalars(select(PushSubscription)).all()
    assert row.user_id == someone_else.id
    assert [s.id for s in alerts.recipients(db.session, other_team.id, utcnow())] == [row.id]


def test_the_vapid_key_is_made_once_and_kept(tmp_path):
    first = keys.load_or_create(None, tmp_path / "vapid.pem")
    again = keys.load_or_create(None, tmp_path / "vapid.pem")
    assert (tmp_path / "vapid.pem").stat().st_mode & 0o777 == 0o600
    assert keys.application_server_key(first) == keys.application_server_key(again)
    assert len(keys.application_server_key(first)) == 87  # 65 bytes, base64url


def test_areas_are_coarse():
    centre = (35.99, -78.90)
    assert alerts.area_of(35.995, -78.90, centre, "Durham") == "Central Durham"
    assert alerts.area_of(36.05, -78.90, centre, "Durham") == "North Durham"
    assert alerts.area_of(35.95, -78.85, centre, "Durham") == "Southeast Durham"
    assert alerts.area_of(None, None, centre, "Durham") == "Location to be confirmed"


def test_taking_the_team_off_the_call_alerts_once_even_when_the_call_is_cancelled_too(
    crew, board, team, incident, service, sender
):
    """Dispatch's "Cancel assignment" releases the team; a cancelled call that also writes the
    release alerts once for that assignment."""
    browser = subscribe(crew, service.endpoint("phone-1"))
    assign(board, incident)
    released = board.post(f"/dispatch/incidents/{incident.id}/cancel", htmx=True)
    assert released.status_code == 200, released.text
    feed_event(team, incident, "cancel_call")
    assert sender.run_once() == 2
    alert = browser.decrypt(service.wait_for(2)[1].body)
    assert (alert["kind"], alert["title"]) == ("unassign", "Taken off the call: Welfare check")
    assign(board, incident)  # the same call again: a new assignment, its own alerts
    board.post(f"/dispatch/incidents/{incident.id}/cancel", htmx=True)
    assert sender.run_once() == 2


def test_the_lock_screen_signing_out_after_wrong_passwords_ends_the_devices_alerts(crew, service):
    subscribe(crew, service.endpoint("locked-phone"))
    crew.get("/lock")
    for _ in range(5):
        crew.post("/lock", {"password": "guess"})
    assert crew.get("/field/").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(PushSubscription)) == 0
