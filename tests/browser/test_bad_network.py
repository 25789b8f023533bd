"""The phone on a bad network (issue 25) and the browser's side of faults (issue 24): a tap
with no answer in time, or a 5xx, waits in the outbox and is applied once; the connection line
says Offline and back, and the card catches up; the page's own tap costs no second card fetch;
and the one refresh policy keeps each of its rules."""

import time
import uuid

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from heart_field.access import team_by_call_sign
from heart_field.domain import status
from heart_field.domain.status import Action, Tap
from heart_field.extensions import db
from heart_field.models import StatusEvent
from tests.browser.conftest import sign_in, wait_for, wait_until
from tests.browser.test_offline import (
    PHONE_AT,
    assign_new_call,
    new_responder_with_call,
    open_field_screen,
    tap,
)

pytestmark = pytest.mark.browser

DEADLINE_SECONDS = 7  # HEART_TAP_DEADLINE_SECONDS's default


@pytest.fixture
def phone(browser, playwright):
    context = browser.new_context(
        **playwright.devices["Pixel 7"], permissions=["geolocation"], geolocation=PHONE_AT
    )
    # What the page said, shown when a test fails.
    context.on("page", lambda page: page.on("console", lambda m: print("console:", m.text)))
    context.on("page", lambda page: page.on("pageerror", lambda e: print("page error:", e)))
    yield context
    context.close()


def events_with(uuid_value):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).where(StatusEvent.client_uuid == uuid_value))


def team_version(call_sign):
    db.session.expire_all()
    return team_by_call_sign(call_sign).version


def tap_uuid(page, name):
    form = page.locator("form[data-outbox]", has=page.get_by_role("button", name=name, exact=True))
    return form.locator("input[name=client_uuid]").first.input_value()


@pytest.fixture
def plain_phone(browser, playwright):
    """A phone with no service worker: requests that pass through a worker escape the page's
    CDP interception, which the tests below use to hold or break a tap's answer."""
    context = browser.new_context(**playwright.devices["Pixel 7"], service_workers="block")
    context.on("page", lambda page: page.on("console", lambda m: print("console:", m.text)))
    yield context
    context.close()


def open_plain_screen(context, live_server, username):
    page = context.new_page()
    sign_in(page, live_server, username)
    expect(page).to_have_url(f"{live_server}/field/")
    expect(page.locator("#connection")).to_have_text("Live")
    return page


def intercept_taps(page, stage):
    """Pause every POST to /field/status at the CDP Fetch `stage` (Request or Response);
    returns (cdp session, list of paused request ids)."""
    cdp = page.context.new_cdp_session(page)
    paused = []
    cdp.on("Fetch.requestPaused", lambda event: paused.append(event))
    cdp.send(
        "Fetch.enable",
        {"patterns": [{"urlPattern": "*/field/status*", "requestStage": stage}]},
    )
    return cdp, paused


def test_a_tap_without_an_answer_waits_in_the_outbox_and_is_applied_once(
    live_app, plain_phone, live_server
):
    """The server answers after 30 s: within the deadline (+0.5 s) the tap shows as waiting,
    the screen moves on, and the late answer settles it; the team moved exactly once."""
    username, call_sign = new_responder_with_call(live_app)
    page = open_plain_screen(plain_phone, live_server, username)
    version = team_version(call_sign)
    uuid_value = tap_uuid(page, "Accept")
    cdp, paused = intercept_taps(page, "Request")

    started = time.monotonic()
    tap(page, "Accept")
    expect(page.locator("#outbox .outbox-queued")).to_contain_text(
        "Waiting to send", timeout=(DEADLINE_SECONDS + 2) * 1000
    )
    waited = time.monotonic() - started
    assert waited <= DEADLINE_SECONDS + 0.5 + 0.5, waited  # + the click's own round trip
    expect(page.locator(".team-bar .status-queued")).to_contain_text("waiting to send")
    expect(page.get_by_role("button", name="En route", exact=True)).to_be_visible()
    # held: while the tap waits, the card keeps the screen walked ahead without the server.
    page.evaluate("HeartRefresh.request(document.getElementById('field-card'), 'test')")
    assert page.evaluate("HeartRefresh.decisions().at(-1).verdict") == "skip:held:outbox"

    # 30 s later the request goes on: the server applies it, and the answer settles the item.
    page.wait_for_timeout(30_000 - (time.monotonic() - started) * 1000)
    assert len(paused) == 1, "the outbox waits for the tap's own request"
    assert events_with(uuid_value) == 0
    cdp.send("Fetch.continueRequest", {"requestId": paused[0]["requestId"]})
    expect(page.locator("#outbox .outbox-synced")).to_have_count(1, timeout=15_000)
    cdp.send("Fetch.disable")
    assert events_with(uuid_value) == 1
    assert team_version(call_sign) == version + 1
    expect(page.locator(".team-bar .status-queued")).to_have_count(0, timeout=10_000)


def test_a_tap_answered_500_is_kept_and_applied_once(live_app, plain_phone, live_server):
    """The server applied the tap but its answer was lost in a 500: the outbox keeps it,
    retries with backoff, and the UUID makes the retry harmless."""
    username, call_sign = new_responder_with_call(live_app)
    page = open_plain_screen(plain_phone, live_server, username)
    version = team_version(call_sign)
    uuid_value = tap_uuid(page, "Accept")
    cdp, paused = intercept_taps(page, "Request")

    tap(page, "Accept")
    wait_for(page, lambda: len(paused) == 1)
    # The tap reaches the server and is applied (sent here as the page sent it) ...
    held = paused[0]["request"]
    applied = page.request.post(
        held["url"],
        data=held["postData"],
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-CSRFToken": held["headers"]["X-CSRFToken"],
            "HX-Request": "true",
        },
    )
    assert applied.status == 200
    # ... but the answer the page gets is a server fault.
    cdp.send(
        "Fetch.fulfillRequest",
        {"requestId": paused[0]["requestId"], "responseCode": 500, "body": ""},
    )
    cdp.send("Fetch.disable")
    expect(page.locator("#outbox .outbox-queued")).to_contain_text("Waiting to send")
    assert events_with(uuid_value) == 1  # applied on the server; the answer was lost
    expect(page.locator("#outbox .outbox-synced")).to_have_count(1, timeout=15_000)
    assert events_with(uuid_value) == 1
    assert team_version(call_sign) == version + 1


def test_a_tap_refused_with_a_4xx_says_not_applied(live_app, phone, live_server):
    """Only a 4xx ends a waiting tap, as "Not applied: reason"."""
    username, call_sign = new_responder_with_call(live_app)
    page = open_field_screen(phone, live_server, username)
    phone.set_offline(True)
    tap(page, "Accept")
    expect(page.locator("#outbox .outbox-queued")).to_have_count(1)
    # Meanwhile the dispatcher moved the team on: the queued tap expects a stale version.
    team = team_by_call_sign(call_sign)
    status.apply(db.session, team, Tap(Action.CANCEL, str(uuid.uuid4())), None)
    phone.set_offline(False)
    refused = page.locator("#outbox .outbox-refused")
    expect(refused).to_contain_text("Not applied", timeout=15_000)


def test_the_connection_line_goes_offline_and_back_and_the_card_catches_up(
    live_app, phone, live_server
):
    username, call_sign = new_responder_with_call(live_app)
    page = open_field_screen(phone, live_server, username)
    line = page.locator("#connection")
    expect(line).to_have_text("Live")

    phone.set_offline(True)
    started = time.monotonic()
    expect(line).to_contain_text("Offline · updated ", timeout=2_000)
    assert time.monotonic() - started <= 2
    # A new call while the phone is in a dead zone: the card cannot know yet.
    team = team_by_call_sign(call_sign)
    status.apply(db.session, team, Tap(Action.CANCEL, str(uuid.uuid4())), None)
    cad = assign_new_call(live_app, call_sign)
    page.wait_for_timeout(1_000)
    expect(page.get_by_text(cad)).to_have_count(0)

    phone.set_offline(False)
    # The card catches up at once (the signal's return asks for it); the line says Live again
    # when the stream has reconnected (the browser's own retry, a few seconds at most).
    expect(page.get_by_text(cad)).to_be_visible(timeout=5_000)
    expect(line).to_have_text("Live", timeout=15_000)


def test_the_phones_own_tap_causes_no_second_card_fetch(live_app, phone, live_server):
    username, call_sign = new_responder_with_call(live_app)
    page = open_field_screen(phone, live_server, username)
    fetched = []
    page.on("request", lambda r: "/field/card" in r.url and fetched.append(r.url))

    tap(page, "Accept")
    expect(page.get_by_role("button", name="En route", exact=True)).to_be_visible()
    version = team_version(call_sign)
    # The tap's own event arrives over the stream, carrying the version the card shows.
    wait_until(page, "v => heartLive.events().some(e => e.version === v)", version)
    page.wait_for_timeout(1_000)
    assert fetched == []
    assert page.evaluate("HeartRefresh.behind(document.getElementById('field-card'))") is False


def test_no_idle_polling_while_the_stream_is_up(live_app, phone, live_server):
    """quiet: the card's 5 s timer is skipped while the stream is live."""
    username, _ = new_responder_with_call(live_app)
    page = open_field_screen(phone, live_server, username)
    fetched = []
    page.on("request", lambda r: "/field/card" in r.url and fetched.append(r.url))
    wait_until(
        page,
        "HeartRefresh.decisions().some(d => d.cause === 'timer' && d.verdict === 'skip:quiet')",
    )
    assert fetched == []


def test_refresh_rule_offline(live_app, plain_phone, live_server):
    """offline: a refresh asked for offline is owed, and made when the signal returns."""
    username, call_sign = new_responder_with_call(live_app)
    page = open_plain_screen(plain_phone, live_server, username)
    plain_phone.set_offline(True)
    expect(page.locator("#connection")).to_contain_text("Offline")
    page.evaluate("HeartRefresh.request(document.getElementById('field-card'), 'test')")
    assert page.evaluate("HeartRefresh.owed()") == ["field-card"]
    assert page.evaluate("HeartRefresh.decisions().at(-1).verdict") == "later:offline"

    plain_phone.set_offline(False)
    wait_until(page, "HeartRefresh.owed().length === 0", timeout=5)
    assert page.evaluate("HeartRefresh.decisions().at(-1).verdict") == "sent"


def test_refresh_rule_in_use_waits_for_the_form_and_then_refreshes(browser, live_server):
    """in-use: a board refresh waits while the dispatcher is choosing in one of its forms, and
    comes as soon as focus leaves it."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    sign_in(page, live_server, "dispatch")
    expect(page.locator("#live-state")).to_have_text("Live")
    page.locator("#board form select").first.focus()
    page.evaluate("HeartRefresh.request(document.getElementById('board'), 'test')")
    assert page.evaluate("HeartRefresh.decisions().at(-1).verdict") == "later:in-use"
    assert page.evaluate("HeartRefresh.owed()") == ["board"]
    page.locator("#board form select").first.blur()
    wait_until(page, "HeartRefresh.owed().length === 0", timeout=5)
    assert page.evaluate("HeartRefresh.decisions().at(-1).verdict") == "sent"
    context.close()
