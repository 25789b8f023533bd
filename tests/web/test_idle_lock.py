"""Shared devices: an idle session locks on the server, whatever the page's script does."""

import uuid

import pytest
from sqlalchemy import func, select

from heart_field.extensions import db
from heart_field.models import StatusEvent
from tests.conftest import PASSWORD, reload
from tests.web import session_helpers
from tests.web.test_field import assign


@pytest.fixture
def responder_session(sign_in, responder):
    return sign_in(responder)


def idle_for(session, minutes):
    session_helpers.idle_for(session.client, minutes)


def active_at(session):
    return session_helpers.session_row(session.client).active_at


def test_idle_session_is_sent_to_the_lock_screen(app, responder_session):
    idle_for(responder_session, 16)
    response = responder_session.get("/field/")
    assert response.status_code == 303
    assert response.headers["Location"] == "/lock?next=/field/"
    locked = responder_session.get("/lock")
    assert locked.status_code == 200 and "Screen locked" in locked.text
    assert "737 Ninth St" not in locked.text


def test_the_idle_time_is_configurable(app, responder_session):
    app.config["HEART_IDLE_LOCK_MINUTES"] = 2
    idle_for(responder_session, 1)
    assert responder_session.get("/field/").status_code == 200
    idle_for(responder_session, 3)
    assert responder_session.get("/field/").status_code == 303


def test_a_locked_session_cannot_tap(app, responder_session, team, incident):
    assign(team, incident)
    idle_for(responder_session, 20)
    data = {"action": "accept", "version": reload(team).version, "client_uuid": str(uuid.uuid4())}
    response = responder_session.post("/field/status", data, htmx=True)
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/lock"
    assert (
        db.session.scalar(
            select(func.count()).select_from(StatusEvent).where(StatusEvent.action == "accept")
        )
        == 0
    )


def test_polling_is_not_activity_but_a_tap_or_a_touch_is(app, responder_session):
    idle_for(responder_session, 5)
    before = active_at(responder_session)
    responder_session.get("/field/card", headers={"HX-Request": "true"})
    assert active_at(responder_session) == before
    assert responder_session.post("/activity", htmx=True).status_code == 204
    assert active_at(responder_session) > before


def test_a_poll_on_a_locked_session_is_told_to_go_to_the_lock_screen(app, responder_session):
    idle_for(responder_session, 16)
    response = responder_session.get("/field/card", headers={"HX-Request": "true"})
    assert response.status_code == 401 and response.headers["HX-Redirect"] == "/lock"
    assert "field-card" not in response.text


def test_the_right_password_unlocks_and_a_wrong_one_does_not(app, responder_session):
    idle_for(responder_session, 16)
    responder_session.get("/field/")
    wrong = responder_session.post("/lock?next=/field/", {"password": "not it"})
    assert wrong.status_code == 422 and "That password is not right." in wrong.text
    assert responder_session.get("/field/").status_code == 303
    right = responder_session.post("/lock?next=/field/", {"password": PASSWORD})
    assert right.status_code == 303 and right.headers["Location"] == "/field/"
    assert responder_session.get("/field/").status_code == 200


def test_too_many_wrong_passwords_sign_the_user_out(app, responder_session):
    responder_session.get("/lock")
    for _ in range(5):
        responder_session.post("/lock", {"password": "guess"})
    response = responder_session.get("/field/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_pages_carry_the_idle_limit_for_the_script(app, responder_session):
    page = responder_session.get("/field/").text
    assert 'data-idle-lock-seconds="900"' in page
    assert 'data-lock-url="/lock"' in page
