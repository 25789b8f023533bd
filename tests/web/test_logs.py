"""Logs follow a call from intake to outcome without a person's name or phone number;
error pages carry a request id that the log lines carry too."""

import logging
import re
import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from heart_field.access import public
from heart_field.extensions import db
from heart_field.models import Incident, Outcome
from tests.conftest import reload

PERSON = "Jordan Quill-Ashby"
PHONE = "919-555-0142"


@pytest.fixture
def debug_logs(caplog):
    """Everything at DEBUG, set before the app and its database engine are made."""
    caplog.set_level(logging.DEBUG)
    return caplog


def test_a_whole_call_leaves_no_personal_details_in_the_logs(
    debug_logs, app, sign_in, dispatcher, responder, team
):
    caplog = debug_logs
    desk, phone = sign_in(dispatcher), sign_in(responder)
    call = {
        "cad_number": "D2611279999",
        "call_type": "welfare_check",
        "priority": "2",
        "address": "737 Ninth St, Durham, NC 27705",
        "callback_phone": PHONE,
        "narrative": f"{PERSON} sitting outside for hours; sister asked us to check.",
    }
    assert desk.post("/dispatch/incidents", {**call, "priority": "9"}).status_code == 422
    assert desk.post("/dispatch/incidents", call).status_code == 303
    incident = db.session.scalar(select(Incident))
    assert desk.get("/dispatch/").status_code == 200
    assert (
        desk.post(
            f"/dispatch/incidents/{incident.id}/assign", {"team": "CR-1"}, htmx=True
        ).status_code
        == 200
    )
    assert PERSON in phone.get("/field/").text  # the responder does see who they are going to
    for action in ("accept", "en_route", "on_scene"):
        answer = phone.post(
            "/field/status",
            {"action": action, "version": reload(team).version, "client_uuid": str(uuid.uuid4())},
            htmx=True,
        )
        assert answer.status_code == 200
    stale = phone.post(
        "/field/status",
        {"action": "on_scene", "version": 1, "client_uuid": str(uuid.uuid4())},
        htmx=True,
    )
    assert stale.status_code == 409
    assert (
        phone.post(
            "/field/outcome",
            {
                "version": reload(team).version,
                "client_uuid": str(uuid.uuid4()),
                "disposition": "resolved_on_scene",
                "notes": f"{PERSON} went home with his sister, {PHONE}.",
            },
            htmx=True,
        ).status_code
        == 200
    )
    assert db.session.scalar(select(Outcome)) is not None
    assert desk.get(f"/dispatch/nothing?phone={PHONE}").status_code == 404

    assert "answered 404" in caplog.text  # the capture works: the app did log
    logged = caplog.text + "".join(repr(r.args) for r in caplog.records)
    for secret in (PERSON, "Quill", PHONE, PHONE.replace("-", "")):
        assert secret not in logged, secret


def test_error_pages_and_log_lines_carry_the_request_id(app, client, caplog):
    @public
    def boom():
        """A bug that fails inside SQL holding personal details (a duplicate CAD number)."""
        for _ in range(2):
            db.session.add(
                Incident(
                    cad_number="D1",
                    call_type="welfare_check",
                    priority=2,
                    narrative=f"{PERSON} at the bus stop",
                    callback_phone=PHONE,
                )
            )
        db.session.commit()

    app.add_url_rule("/boom", "boom", boom)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    caplog.set_level(logging.INFO)

    failed = client.get("/boom")
    assert failed.status_code == 500
    request_id = failed.headers["X-Request-ID"]
    assert f"quote reference <strong>{request_id}</strong>" in failed.text
    traced = [r for r in caplog.records if getattr(r, "request_id", None) == request_id]
    assert traced and traced[0].exc_info[0] is IntegrityError
    assert PERSON not in caplog.text and PHONE not in caplog.text

    missing = client.get("/no-such-page", headers={"X-Request-ID": "proxy-id-1234"})
    assert missing.headers["X-Request-ID"] == "proxy-id-1234"
    assert "proxy-id-1234" in missing.text
    assert any(
        getattr(r, "request_id", None) == "proxy-id-1234" and "answered 404" in r.getMessage()
        for r in caplog.records
    )

    api = client.get("/api/v1/nothing", headers={"X-Request-ID": "bad id; <script>"})
    assert re.fullmatch(r"[0-9a-f]{16}", api.headers["X-Request-ID"])
    assert api.get_json()["request_id"] == api.headers["X-Request-ID"]
