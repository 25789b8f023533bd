"""Dispatch in a real browser: intake with the verdict and recommendation before the call is
entered, one-click assignment reaching the team's phone without reload, status changes
reaching the board over the feed, a call entered elsewhere showing at once, and the feed
resuming with Last-Event-ID."""

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.conftest import make_incident

pytestmark = pytest.mark.browser
expect.set_options(timeout=15_000)  # a shared machine under load: time for a slow page, not a race

NCCU = "1801 Fayetteville St, Durham, NC 27707"  # beside CR-3's last known position


def team_status(page, call_sign):
    return page.locator(f"#team-{call_sign} .status")


def feed_ids(text):
    return [int(m) for m in re.findall(r"^id: (\d+)$", text, flags=re.MULTILINE)]


@pytest.fixture
def dispatcher(browser, live_server):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    sign_in(page, live_server, "dispatch")
    expect(page.locator("#live-state")).to_have_text("Live")
    yield page
    context.close()


def open_phone(browser, playwright, live_server, username):
    context = browser.new_context(**playwright.devices["Pixel 7"])
    page = context.new_page()
    sign_in(page, live_server, username)
    expect(page).to_have_url(f"{live_server}/field/")
    expect(page.locator("body[data-live='open']")).to_have_count(1)
    return context, page


@pytest.fixture
def phone(browser, playwright, live_server):
    """CR-3's phone, beside NCCU."""
    context, page = open_phone(browser, playwright, live_server, "cr3-1")
    yield page
    context.close()


@pytest.fixture
def co_phone(browser, playwright, live_server):
    """CO-1's phone: a team no other test here moves."""
    context, page = open_phone(browser, playwright, live_server, "co1-1")
    yield page
    context.close()


def test_intake_assign_and_the_phone_rings_without_reload(dispatcher, phone):
    phone.evaluate("window.notReloaded = true")
    expect(phone.get_by_role("heading", name="No call assigned")).to_be_visible()

    dispatcher.get_by_label("CAD number").fill("D2611279001")
    dispatcher.get_by_label("Call type").select_option(label="Mental-health crisis")
    dispatcher.get_by_label("Address").fill(NCCU)
    verdict = dispatcher.locator("#verdict")
    expect(verdict).to_contain_text("Inside city limits")
    expect(verdict).to_contain_text("Recommended: CR-3 (Community Response")
    dispatcher.get_by_role("button", name="Enter call").click()

    call = dispatcher.locator("article.call-row[data-cad=D2611279001]")
    expect(call).to_contain_text("Inside city limits")
    expect(call).to_contain_text("Recommended: CR-3")
    call.get_by_role("button", name="Assign CR-3").click()
    expect(team_status(dispatcher, "CR-3")).to_have_text("Assigned")

    expect(phone.get_by_role("heading", name="Mental-health crisis")).to_be_visible()
    expect(phone.get_by_text(NCCU)).to_be_visible()
    assert phone.evaluate("window.notReloaded") is True
    expect(phone.locator("body[data-rang^='assignment-']")).to_have_count(
        1
    )  # sound and vibration ran
    backup = phone.get_by_role("button", name="Backup", exact=True)
    assert backup.bounding_box()["height"] >= 48

    # The status change reaches the board over the feed, not by reload or the timer.
    dispatcher.evaluate("window.notReloaded = true")
    phone.get_by_role("button", name="Accept", exact=True).click()
    phone.get_by_role("button", name="En route", exact=True).click()
    expect(team_status(dispatcher, "CR-3")).to_have_text("En route")
    # Brought by the feed: its event, or the catch-up after a swap that event made ("asked"),
    # never the timer.
    expect(
        dispatcher.locator("body[data-refreshed-by]:not([data-refreshed-by='timer'])")
    ).to_have_count(1)
    assert dispatcher.evaluate("window.notReloaded") is True

    # Backup: one tap on the phone, an alert on the board until acknowledged.
    backup.click()
    expect(phone.locator(".backup-state")).to_contain_text("Dispatch has been alerted")
    alert = dispatcher.locator("[data-alert='backup'][data-team='CR-3']")
    expect(alert).to_contain_text("CR-3 asks for backup")
    expect(dispatcher.locator("body[data-rang^='backup-']")).to_have_count(1)
    alert.get_by_role("button", name="Acknowledge backup").click()
    expect(alert).to_have_count(0)

    phone.get_by_role("button", name="On scene", exact=True).click()
    phone.get_by_role("button", name="Clear", exact=True).click()
    phone.get_by_label("Disposition").select_option(label="Resolved on scene")
    phone.get_by_role("button", name="Save outcome").click()
    expect(team_status(dispatcher, "CR-3")).to_have_text("Available")


def test_the_board_resumes_with_last_event_id_after_the_stream_ends(
    dispatcher, co_phone, live_server
):
    """Streams end every few seconds here; the browser reconnects with Last-Event-ID and
    misses nothing written while it was away."""
    reconnects = []
    dispatcher.on("request", lambda r: "/live/events" in r.url and reconnects.append(r))

    co_phone.locator(".team-members summary").click()  # out of service sits away from the thumb
    co_phone.get_by_role("button", name="Out of service", exact=True).click()
    expect(team_status(dispatcher, "CO-1")).to_have_text("Out of service")
    before_gap = dispatcher.evaluate("heartLive.lastEventId()")
    assert before_gap is not None

    # The server ends the stream; while the browser waits to reconnect, the team comes back.
    expect(dispatcher.locator("body[data-live='polling']")).to_have_count(1, timeout=10_000)
    co_phone.get_by_role("button", name="Back in service", exact=True).click()
    expect(dispatcher.locator("body[data-live='open']")).to_have_count(1, timeout=10_000)
    expect(team_status(dispatcher, "CO-1")).to_have_text("Available")

    sent = [r.all_headers().get("last-event-id") for r in reconnects]
    assert before_gap in sent, sent
    # Everything after the cursor, as the server has it, reached the page.
    since = dispatcher.request.get(f"{live_server}/live/events?after={before_gap}").text()
    missed = feed_ids(since)
    assert missed, "the tap during the gap is in the feed"
    received = dispatcher.evaluate("heartLive.received()")
    assert set(missed) <= set(received), (missed, received)


def test_a_call_entered_elsewhere_shows_on_the_board_at_once(dispatcher, live_app):
    """The CAD's API (here: straight into the database, as another instance would) enters a
    call no team has touched: the board shows it within seconds, not at its 20-second tick."""
    dispatcher.wait_for_timeout(1000)  # the board's first refreshes done; its tick is 20 s off
    cad = f"CAD-{uuid.uuid4().hex[:6]}"
    make_incident(cad, priority=1)
    expect(dispatcher.locator(f"#calls-waiting article[data-cad='{cad}']")).to_be_visible(
        timeout=5000
    )
    heard = dispatcher.evaluate(
        "() => HeartRefresh.decisions().filter(d => d.region === 'board' && d.cause === 'calls')"
    )
    assert heard and all(d["verdict"] == "sent" for d in heard), heard
