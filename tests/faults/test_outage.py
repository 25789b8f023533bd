"""The database goes away and comes back (issue 24): every answer in between is a 503 with
Retry-After (JSON on the API, a short notice for htmx, a page that needs no database
otherwise), never an exception out of the app, even when the connection dies between the
answer and the end of the request; afterwards service is normal and the feed has each event
once. The live feed's reader says so once when it cannot read, and once when it can again.

PostgreSQL only: a proxy in front of it plays the outage (SQLite has no server to lose).
"""

import logging
import os
import time
import uuid

import pytest
from sqlalchemy import make_url, select

from heart_field import live, tokens
from heart_field.domain import status
from heart_field.domain.status import Action, Tap
from heart_field.extensions import db
from heart_field.models import Role, Team
from tests.api.conftest import Api, call
from tests.conftest import Session, make_team, make_test_app, make_user
from tests.faults.proxy import Proxy

BASE = os.environ.get("TEST_DATABASE_URL", "")
pytestmark = pytest.mark.skipif(not BASE.startswith("postgresql"), reason="needs PostgreSQL")


@pytest.fixture
def proxy():
    url = make_url(BASE)
    proxy = Proxy(url.host or "127.0.0.1", url.port or 5432)
    yield proxy
    proxy.close()


@pytest.fixture
def app(proxy):
    url = make_url(BASE).set(host="127.0.0.1", port=proxy.port)
    app = make_test_app(
        SQLALCHEMY_DATABASE_URI=url.render_as_string(hide_password=False),
        HEART_LIVE_POLL_SECONDS=0.05,
    )
    with app.app_context():
        db.drop_all()
        db.create_all()
        yield app
        proxy.restore()
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


@pytest.fixture
def api(app):
    _token, secret = tokens.issue(db.session, "Durham ECC CAD")
    return Api(app.test_client(), secret)


def assert_unavailable(response):
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"] == "5"
    assert response.mimetype == "application/json"
    assert response.json["error"] == "unavailable"


def test_api_answers_json_503_during_an_outage_then_serves_and_loses_nothing(app, api, proxy):
    team = make_team("CR-1")
    make_team("CR-2")
    first = api.post("/api/v1/incidents", call("A-1")).json["id"]
    assert api.post(f"/api/v1/incidents/{first}/assign", {"team": "CR-1"}).status_code == 200
    db.session.remove()

    proxy.cut()
    answers = [
        api.get("/api/v1/events?after=0"),
        api.get("/api/v1/teams"),
        api.post("/api/v1/incidents", call("A-2")),
        api.post(f"/api/v1/incidents/{first}/assign", {"team": "CR-2"}),
        api.get(f"/api/v1/incidents/{first}"),
    ]
    for response in answers:
        assert_unavailable(response)
    db.session.remove()

    proxy.restore()
    second = api.post("/api/v1/incidents", call("A-2"))
    assert second.status_code == 201, second.text
    assigned = api.post(f"/api/v1/incidents/{second.json['id']}/assign", {"team": "CR-2"})
    assert assigned.status_code == 200
    events = api.get("/api/v1/events?after=0").json["events"]
    ids = [e["id"] for e in events]
    assert ids == sorted(set(ids))
    assert [(e["team"], e["action"]) for e in events] == [("CR-1", "assign"), ("CR-2", "assign")]
    assert team.id  # the test's own objects are still usable


def test_a_connection_lost_after_the_answer_still_sends_the_answer(app, api, proxy):
    """The session's closing rollback fails on a dead connection: the app logs it and the
    answer already made goes out (it used to escape as the server's bare 500 page)."""
    make_team("CR-1")

    @app.after_request
    def cut_after_answering(response):
        if proxy.up:
            proxy.cut()
        return response

    with app.app_context():  # a context of its own, so its teardown closes the session
        response = api.get("/api/v1/teams")
    assert response.status_code == 200 and response.json["teams"][0]["call_sign"] == "CR-1"
    proxy.restore()


def test_htmx_and_pages_get_a_notice_not_an_error(app, proxy):
    make_user("desk", Role.DISPATCHER)
    board = Session(app.test_client(), "desk")
    db.session.remove()
    proxy.cut()
    fragment = board.get("/dispatch/board", headers={"HX-Request": "true"})
    assert fragment.status_code == 503 and fragment.headers["Retry-After"] == "5"
    assert fragment.headers["HX-Retarget"] == ".flashes"
    assert 'class="notice notice-error"' in fragment.text and "<html" not in fragment.text
    page = board.get("/dispatch/")
    assert page.status_code == 503 and "database is unavailable" in page.text
    assert "<html" in page.text
    proxy.restore()
    db.session.remove()
    assert board.get("/dispatch/board", headers={"HX-Request": "true"}).status_code == 200


def test_the_reader_logs_one_warning_and_one_recovery(app, proxy, caplog, capfd):
    team = make_team("CR-1")
    bell = live.bell_for(app)
    bell.wait_past(0, 0.5)  # starts the reader thread
    stop = time.monotonic() + 30

    def keep_waiting(seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            bell.wait_past(10**9, 0.1)  # a stream is waiting: the reader keeps polling

    caplog.set_level(logging.INFO, logger="heart_field.live")
    proxy.cut()
    keep_waiting(1.0)  # about 20 polls at 0.05 s
    proxy.restore()
    status.apply(db.session, team, Tap(Action.OUT_OF_SERVICE, str(uuid.uuid4())), None)
    while bell.latest == 0 and time.monotonic() < stop:
        keep_waiting(0.1)
    lines = [r.getMessage() for r in caplog.records if r.name == "heart_field.live"]
    assert len(lines) == 2, lines
    assert lines[0].startswith("live feed: cannot read the feed")
    assert lines[1].startswith("live feed: reading the feed again")
    assert bell.latest > 0
    assert "Logging error" not in capfd.readouterr().err
    assert db.session.scalar(select(Team.status)) == "out_of_service"
