"""Sessions kept on the server: a copy of the cookie opens nothing once its session ended (signed
out here, signed out remotely, too many wrong unlocks), and the lock holds for every copy."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from heart_field.auth.sessions import COOKIE_KEY
from heart_field.extensions import db
from heart_field.models import AuditEvent, Role, SignInFailure, UserSession, utcnow
from tests.conftest import PASSWORD, csrf_token, make_user
from tests.web.referral_helpers import make_referral
from tests.web.session_helpers import idle_for, session_key, session_row, set_row

COOKIE = "session"


def cookie_of(client) -> str:
    return client.get_cookie(COOKIE).value


def replay(app, value):
    """A second browser holding a copy of the cookie."""
    thief = app.test_client()
    thief.set_cookie(COOKIE, value)
    return thief


@pytest.fixture
def supervisor(app):
    return make_user("sup", Role.SUPERVISOR)


@pytest.fixture
def phone(sign_in, responder):
    return sign_in(responder)


def assert_opens_nothing(client):
    """Pages send it to sign in; htmx and JSON requests get 401."""
    page = client.get("/field/")
    assert page.status_code == 302 and page.headers["Location"].startswith("/login")
    poll = client.get("/field/card", headers={"HX-Request": "true"})
    assert poll.status_code == 401 and poll.headers["HX-Redirect"] == "/login"
    assert "field-card" not in poll.text
    data = client.get("/field/card", headers={"Accept": "application/json"})
    assert data.status_code == 401 and data.json["error"] == "unauthorized"


def test_the_cookie_carries_only_the_session_key(app, phone):
    with phone.client.session_transaction() as stored:
        assert set(stored) <= {COOKIE_KEY, "csrf_token", "_flashes"}
    row = session_row(phone.client)
    assert row.user.username == "responder" and row.ended_at is None
    assert row.device  # a label, e.g. "Browser" for the test client


def test_a_new_session_key_at_every_sign_in(app, client, responder):
    """Signing in on the same browser again gives a new key and a new row."""

    def sign_in():
        page = client.get("/login")
        data = {"username": "responder", "password": PASSWORD, "csrf_token": csrf_token(page)}
        assert client.post("/login", data=data).status_code == 303
        return session_key(client)

    first = sign_in()
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/field/"))})
    assert sign_in() != first
    assert db.session.scalar(select(func.count()).select_from(UserSession)) == 2


def test_a_cookie_copied_before_sign_out_opens_nothing_after_it(
    app, team, responder, phone, supervisor, sign_in
):
    """The copy does not open the field screen, a referral's personal details or the audit."""
    referral = make_referral(team, responder)
    assert phone.get(f"/field/referrals/{referral.id}").status_code == 200
    copy = cookie_of(phone.client)
    desk = sign_in(supervisor)
    desk_copy = cookie_of(desk.client)
    assert phone.post("/logout").status_code == 303
    assert desk.post("/logout").status_code == 303

    thief = replay(app, copy)
    assert_opens_nothing(thief)
    assert thief.get(f"/field/referrals/{referral.id}").status_code == 302
    assert replay(app, desk_copy).get("/reports/audit/").status_code == 302
    assert session_row(thief) is None  # the dead key was dropped from that browser's cookie
    ended = db.session.scalars(select(UserSession)).all()
    assert [row.end_reason for row in ended] == ["sign_out", "sign_out"]


def test_a_remote_sign_out_is_seen_on_the_next_request(app, phone, supervisor, sign_in):
    desk = sign_in(supervisor)
    row = session_row(phone.client)
    page = desk.get("/admin/devices")
    assert page.status_code == 200
    assert "Sign out this device" in page.text and "Responder" in page.text
    copy = cookie_of(phone.client)
    assert desk.client.post(f"/admin/devices/{row.id}/sign-out").status_code == 400  # no CSRF
    assert phone.get("/field/").status_code == 200
    done = desk.post(f"/admin/devices/{row.id}/sign-out")
    assert done.status_code == 303

    poll = phone.get("/field/card", headers={"HX-Request": "true"})
    assert poll.status_code == 401 and poll.headers["HX-Redirect"] == "/login"
    login = phone.get("/login")
    assert "This device was signed out by a supervisor." in login.text
    assert "data-forget-device" in login.text  # device.js forgets the stored call there
    assert_opens_nothing(replay(app, copy))
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "sign_out_device"))
    assert event.actor_id == supervisor.id and event.object_id == str(row.id)
    assert session_row(desk.client).ended_at is None  # the supervisor's own stays


def test_the_devices_page_is_for_supervisors_and_admins(app, phone, sign_in):
    assert phone.get("/admin/devices").status_code == 403
    row = session_row(phone.client)
    assert phone.post(f"/admin/devices/{row.id}/sign-out").status_code == 403
    dispatcher = sign_in(make_user("desk", Role.DISPATCHER))
    assert dispatcher.get("/admin/devices").status_code == 403
    admin = sign_in(make_user("root", Role.ADMIN))
    assert admin.get("/admin/devices").status_code == 200
    assert session_row(phone.client).ended_at is None


def test_a_cookie_copied_before_the_lock_is_locked_too(app, phone):
    copy = cookie_of(phone.client)
    assert phone.post("/lock").status_code == 303
    assert phone.get("/field/").status_code == 303
    replayed = replay(app, copy).get("/field/")
    assert replayed.status_code == 303 and replayed.headers["Location"].startswith("/lock")


def test_get_lock_changes_nothing(app, phone):
    """A link on another site cannot lock a responder mid-call."""
    assert phone.get("/lock").status_code == 200
    assert phone.get("/field/").status_code == 200
    assert session_row(phone.client).locked is False


def test_the_unlock_counter_holds_across_cookie_copies(app, phone):
    """Five wrong passwords, spread over copies of the cookie, end the session for them all."""
    copies = [replay(app, cookie_of(phone.client)) for _ in range(5)]
    token = phone.token
    idle_for(phone.client, 16)
    for n, copy in enumerate(copies):
        answer = copy.post("/lock", data={"password": "guess", "csrf_token": token})
        if n < 4:
            assert answer.status_code == 422, n
    assert answer.status_code == 303 and answer.headers["Location"] == "/login"
    ended = session_row(phone.client)  # the phone's own cookie names the same, ended, session
    assert ended.end_reason == "unlock_failures" and ended.unlock_failures == 5
    assert_opens_nothing(phone.client)
    right = copies[0].post("/lock", data={"password": PASSWORD, "csrf_token": token})
    assert right.status_code == 302 and right.headers["Location"].startswith("/login")


def test_unlock_failures_count_against_the_account_limit(app, phone, sign_in):
    """Guesses on the lock screen and at sign-in share one budget per account."""
    app.config["HEART_SIGNIN_LIMIT_ACCOUNT"] = "3 per minute"
    phone.post("/lock")
    for _ in range(3):
        assert phone.post("/lock", {"password": "guess"}).status_code == 422
    held = phone.post("/lock", {"password": PASSWORD})
    assert held.status_code == 429 and int(held.headers["Retry-After"]) > 0
    assert phone.get("/field/").status_code == 303  # still locked


def test_last_seen_is_written_at_most_once_a_minute(app, phone):
    before = session_row(phone.client).last_seen_at
    for _ in range(3):
        phone.get("/field/card", headers={"HX-Request": "true"})
    assert session_row(phone.client).last_seen_at == before
    set_row(phone.client, last_seen_at=utcnow() - timedelta(minutes=2))
    phone.get("/field/card", headers={"HX-Request": "true"})
    assert session_row(phone.client).last_seen_at > before


def test_failed_sign_ins_are_counted_in_the_database(app, client, responder):
    page = client.get("/login")
    for _ in range(2):
        client.post(
            "/login",
            data={"username": "Responder", "password": "nope", "csrf_token": csrf_token(page)},
        )
    assert db.session.scalar(select(func.count()).select_from(SignInFailure)) == 4
    client.post(
        "/login",
        data={"username": "responder", "password": PASSWORD, "csrf_token": csrf_token(page)},
    )
    assert db.session.scalar(select(func.count()).select_from(SignInFailure)) == 4


def test_a_person_s_old_rows_go_when_they_sign_in_again(app, phone, sign_in, responder):
    set_row(phone.client, created_at=utcnow() - timedelta(days=31))
    sign_in(responder)
    assert db.session.scalar(select(func.count()).select_from(UserSession)) == 1
