"""The responder's screen over HTTP: the call, the legal buttons, taps, decline and outcome."""

import re
import uuid

import pytest
from sqlalchemy import func, select

from heart_field.domain import status
from heart_field.domain.status import Action, Tap
from heart_field.extensions import db
from heart_field.models import Outcome, StatusEvent, TeamStatus
from tests.conftest import make_user, reload

BUTTONS = ("Accept", "Decline", "En route", "On scene", "Clear")


def assign(team, incident):
    status.apply(
        db.session, team, Tap(Action.ASSIGN, str(uuid.uuid4()), incident_id=incident.id), None
    )


def buttons_on(page):
    """The status buttons the screen shows now: the first step (later steps wait, hidden,
    for taps made without the network)."""
    match = re.search(r'<nav [^>]*data-step="0".*?</nav>', page.text, re.S)
    shown = match.group(0) if match else ""
    return [name for name in BUTTONS if f">{name}</button>" in shown]


def tap(session, team, action, htmx=True, **extra):
    data = {"action": action, "version": reload(team).version, "client_uuid": str(uuid.uuid4())}
    return session.post("/field/status", {**data, **extra}, htmx=htmx)


@pytest.fixture
def responder_session(sign_in, responder):
    return sign_in(responder)


def test_no_call_shows_waiting_and_no_status_buttons(responder_session):
    page = responder_session.get("/field/")
    assert "No call assigned" in page.text
    assert buttons_on(page) == []


def test_assigned_call_shows_details_and_only_accept_and_decline(responder_session, team, incident):
    assign(team, incident)
    page = responder_session.get("/field/")
    assert incident.cad_number in page.text and "737 Ninth St" in page.text
    assert "Welfare check" in page.text
    assert buttons_on(page) == ["Accept", "Decline"]


def test_each_tap_moves_the_team_and_shows_the_next_button(responder_session, team, incident):
    """A tap answers with what changed: the buttons, the team bar (out of band) and a notice
    that confirms every status, which the card keeps when it refreshes for the tap's event."""
    assign(team, incident)
    steps = [
        ("accept", "assigned", ["En route"], "Accept: saved."),
        ("en_route", "en_route", ["On scene"], "En route: saved."),
        ("on_scene", "on_scene", ["Clear"], "On scene: saved."),
    ]
    for action, expected_status, expected_buttons, notice in steps:
        response = tap(responder_session, team, action)
        assert response.status_code == 200
        assert response.text.lstrip().startswith('<div id="field-steps"')
        assert 'id="field-card"' not in response.text and "<html" not in response.text
        bar = re.search(
            r'<section class="team-bar" id="team-bar"[^>]*>.*?</section>', response.text, re.S
        )
        assert 'hx-swap-oob="true"' in bar.group(0)
        assert f">{TeamStatus(expected_status).label}</span>" in bar.group(0)
        assert notice in response.text
        assert reload(team).status == expected_status
        assert buttons_on(response) == expected_buttons
        card = responder_session.get("/field/card", headers={"HX-Request": "true"})
        assert notice in card.text  # the refresh the tap's own event brings keeps it


def test_the_confirmation_goes_once_the_team_changes_again(responder_session, team, incident):
    assign(team, incident)
    tap(responder_session, team, "accept")
    status.apply(db.session, reload(team), Tap(Action.CANCEL, str(uuid.uuid4())), None)
    card = responder_session.get("/field/card", headers={"HX-Request": "true"})
    assert "Accept: saved." not in card.text and "No call assigned" in card.text


def test_full_page_tap_redirects_after_post(responder_session, team, incident):
    assign(team, incident)
    response = tap(responder_session, team, "accept", htmx=False)
    assert response.status_code == 303
    assert response.headers["Location"] == "/field/"


def test_stale_tap_gets_409_and_current_state(responder_session, team, incident):
    assign(team, incident)
    stale_version = reload(team).version
    tap(responder_session, team, "accept")
    response = responder_session.post(
        "/field/status",
        {"action": "accept", "version": stale_version, "client_uuid": str(uuid.uuid4())},
        htmx=True,
    )
    assert response.status_code == 409
    assert "Not applied" in response.text
    assert "En route</button>" in response.text  # the current state's button


def test_double_tap_with_same_uuid_is_applied_once(responder_session, team, incident):
    assign(team, incident)
    data = {"action": "accept", "version": reload(team).version, "client_uuid": str(uuid.uuid4())}
    first = responder_session.post("/field/status", data, htmx=True)
    second = responder_session.post("/field/status", data, htmx=True)
    assert first.status_code == second.status_code == 200
    count = db.session.scalar(
        select(func.count())
        .select_from(StatusEvent)
        .where(StatusEvent.client_uuid == data["client_uuid"])
    )
    assert count == 1


def test_device_time_is_recorded(responder_session, team, incident):
    assign(team, incident)
    tap(responder_session, team, "accept", occurred_at="2026-11-27T14:03:05.120Z")
    event = db.session.scalar(select(StatusEvent).where(StatusEvent.action == "accept"))
    assert event.occurred_at.isoformat() == "2026-11-27T14:03:05.120000+00:00"


def test_decline_needs_a_reason(responder_session, team, incident):
    assign(team, incident)
    form = responder_session.get("/field/decline", headers={"HX-Request": "true"})
    assert "Why decline?" in form.text
    data = {"version": reload(team).version, "client_uuid": str(uuid.uuid4())}
    missing = responder_session.post("/field/decline", data, htmx=True)
    assert missing.status_code == 422 and "Choose a reason." in missing.text
    assert reload(team).status == TeamStatus.ASSIGNED
    done = responder_session.post("/field/decline", {**data, "reason": "unsafe"}, htmx=True)
    assert done.status_code == 200
    assert reload(team).status == TeamStatus.AVAILABLE
    assert reload(incident).status == "open"


def test_clear_opens_outcome_form_and_saving_it_makes_team_available(
    responder_session, team, incident
):
    assign(team, incident)
    for action in ("accept", "en_route", "on_scene"):
        tap(responder_session, team, action)
    form = responder_session.get("/field/outcome", headers={"HX-Request": "true"})
    assert '<label for="disposition">Disposition</label>' in form.text
    assert ">Save outcome</button>" in form.text
    response = responder_session.post(
        "/field/outcome",
        {
            "version": reload(team).version,
            "client_uuid": str(uuid.uuid4()),
            "disposition": "referred_care_navigation",
            "people_served": "2",
            "services": ["crisis_counseling", "peer_support"],
            "ems_requested": "y",
            "notes": "ok",
        },
        htmx=True,
    )
    assert response.status_code == 200
    assert reload(team).status == TeamStatus.AVAILABLE
    outcome = db.session.scalar(select(Outcome))
    assert (outcome.disposition, outcome.people_served) == ("referred_care_navigation", 2)
    assert outcome.services == ["crisis_counseling", "peer_support"]
    assert outcome.ems_requested and not outcome.police_requested


def test_responder_sees_only_their_own_teams_call(sign_in, team, other_team, incident):
    other = make_user("other", "responder", other_team, "emt")
    assign(team, incident)
    page = sign_in(other).get("/field/")
    assert incident.cad_number not in page.text
    assert "No call assigned" in page.text


def test_responder_cannot_tap_for_another_team(sign_in, team, other_team, incident):
    """The team comes from the signed-in user, never from the request."""
    other = sign_in(make_user("other", "responder", other_team, "emt"))
    assign(team, incident)
    response = other.post(
        "/field/status",
        {
            "action": "accept",
            "version": reload(team).version,
            "client_uuid": str(uuid.uuid4()),
            "team": "CR-1",
        },
        htmx=True,
    )
    assert response.status_code == 409
    assert reload(team).status == TeamStatus.ASSIGNED
    assert (
        db.session.scalar(
            select(func.count()).select_from(StatusEvent).where(StatusEvent.action == "accept")
        )
        == 0
    )


def test_responder_without_team_gets_404(sign_in, app):
    loner = sign_in(make_user("loner", "responder"))
    assert loner.get("/field/").status_code == 404


def test_out_of_service_and_back(responder_session, team):
    assert tap(responder_session, team, "out_of_service").status_code == 200
    assert reload(team).status == TeamStatus.OUT_OF_SERVICE
    page = responder_session.get("/field/")
    assert "Back in service</button>" in page.text
    tap(responder_session, team, "back_in_service")
    assert reload(team).status == TeamStatus.AVAILABLE


def steps_on(page):
    """Each step's buttons and the version its taps expect, in order."""
    steps = []
    for block in re.findall(r'<nav [^>]*data-step="\d+".*?</nav>', page.text, re.S):
        versions = set(re.findall(r'name="version" value="(\d+)"', block))
        names = [name for name in BUTTONS if f">{name}</button>" in block]
        steps.append((names, versions))
    return steps


def test_the_card_carries_the_next_steps_each_expecting_the_version_before_it(
    responder_session, team, incident
):
    assign(team, incident)
    v = reload(team).version
    page = responder_session.get("/field/")
    # Accept and Decline now; En route, On scene and Clear hidden, for taps made offline.
    assert steps_on(page) == [
        (["Accept", "Decline"], {str(v)}),
        (["En route"], {str(v + 1)}),
        (["On scene"], {str(v + 2)}),
        (["Clear"], set()),
    ]
    assert re.search(r'<nav [^>]*data-step="1"[^>]*hidden', page.text)
    outcome = page.text.split('id="panel-outcome"', 1)[1].split("</form>", 1)[0]
    assert f'name="version" value="{v + 3}"' in outcome


def test_a_chain_of_taps_made_offline_applies_in_order(responder_session, team, incident):
    """Sent one after another as the outbox does, each tap expects its predecessor's version."""
    assign(team, incident)
    v = reload(team).version
    for n, action in enumerate(("accept", "en_route", "on_scene")):
        data = {
            "action": action,
            "version": v + n,
            "client_uuid": str(uuid.uuid4()),
            "team": "CR-1",
            "occurred_at": f"2026-11-27T14:0{n}:00Z",
        }
        assert responder_session.post("/field/status", data, htmx=True).status_code == 200
    assert reload(team).status == TeamStatus.ON_SCENE


def test_a_tap_made_for_another_team_is_refused(responder_session, team, incident):
    """A shared device may hold a tap queued by someone on another team: never apply it here."""
    assign(team, incident)
    data = {
        "action": "accept",
        "version": reload(team).version,
        "client_uuid": str(uuid.uuid4()),
        "team": "CR-2",
    }
    response = responder_session.post("/field/status", data, htmx=True)
    assert response.status_code == 409
    assert "That tap was made for CR-2." in response.text
    assert (
        db.session.scalar(
            select(func.count()).select_from(StatusEvent).where(StatusEvent.action == "accept")
        )
        == 0
    )


def test_a_position_sent_with_a_tap_moves_the_team(responder_session, team, incident):
    assign(team, incident)
    tap(responder_session, team, "accept", lat="36.001", lon="-78.912")
    assert (reload(team).last_lat, reload(team).last_lon) == (36.001, -78.912)
    tap(
        responder_session, team, "en_route"
    )  # no position (permission refused): nothing else changes
    assert reload(team).status == TeamStatus.EN_ROUTE
    assert (reload(team).last_lat, reload(team).last_lon) == (36.001, -78.912)
