"""The responder's phone without a network: taps queue on the device, survive a reload, and
reach the server once each, in order, with the device's time, when the network returns."""

import re
import uuid

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from heart_field.access import team_by_call_sign
from heart_field.domain import status
from heart_field.domain.status import Action, Tap
from heart_field.extensions import db
from heart_field.models import Incident, Outcome, Role, StatusEvent
from tests.browser.conftest import DEMO_PASSWORD, sign_in, wait_until
from tests.conftest import make_team, make_user

pytestmark = pytest.mark.browser

# Where the emulated phone says it is; taps carry it rounded to about 100 m.
PHONE_AT = {"latitude": 35.99412, "longitude": -78.89867}


def assign_new_call(live_app, call_sign):
    """A fresh call, assigned to the team as the dispatcher would."""
    cad = f"T{uuid.uuid4().hex[:10]}"
    incident = Incident(
        cad_number=cad,
        call_type="welfare_check",
        priority=2,
        address="101 City Hall Plaza, Durham, NC 27701",
        lat=35.9961,
        lon=-78.9017,
        within_city_limits=True,
    )
    db.session.add(incident)
    db.session.commit()
    team = team_by_call_sign(call_sign)
    status.apply(
        db.session, team, Tap(Action.ASSIGN, str(uuid.uuid4()), incident_id=incident.id), None
    )
    return cad


def new_responder_with_call(live_app):
    """A team of its own with a call assigned, so a test does not depend on the others."""
    call_sign = f"T-{uuid.uuid4().hex[:4]}"
    team = make_team(call_sign)
    user = make_user(f"u{uuid.uuid4().hex[:8]}", Role.RESPONDER, team, "clinician")
    user.set_password(DEMO_PASSWORD)
    db.session.commit()
    assign_new_call(live_app, call_sign)
    return user.username, call_sign


def events(uuids):
    db.session.expire_all()
    return db.session.scalars(
        select(StatusEvent).where(StatusEvent.client_uuid.in_(uuids)).order_by(StatusEvent.id)
    ).all()


@pytest.fixture
def phone(browser, playwright):
    context = browser.new_context(
        **playwright.devices["Pixel 7"], permissions=["geolocation"], geolocation=PHONE_AT
    )
    yield context
    context.close()


def open_field_screen(context, live_server, username):
    """Sign in on the phone and wait until the service worker controls the page and it has
    loaded."""
    page = context.new_page()
    sign_in(page, live_server, username)
    expect(page).to_have_url(f"{live_server}/field/")
    # Controlled from the document's start: wait for its scripts too, or a tap made at once
    # finds no handler (the alerts button stayed off in two whole runs).
    wait_until(
        page,
        "navigator.serviceWorker.controller !== null && document.readyState === 'complete'",
    )
    return page


def tap(page, name):
    page.get_by_role("button", name=name, exact=True).click()


def wait_until_screen_stored(page, text):
    """outbox.js keeps a copy of the screen for opening offline; wait until it shows `text`."""
    wait_until(
        page,
        """text => caches.open("heart-pages").then(c => c.match("/field/"))
                   .then(r => r ? r.text() : "").then(html => html.includes(text))""",
        text,
        timeout=10,
    )


def outbox_items(page):
    return page.evaluate("""() => new Promise((resolve, reject) => {
        const open = indexedDB.open("heart-field");
        open.onsuccess = () => {
            const request = open.result.transaction("outbox").objectStore("outbox").getAll();
            request.onsuccess = () => resolve(request.result);
            request.onerror = () => reject(request.error);
        };
    })""")


def go_offline_and_tap_en_route_and_on_scene(context, page):
    context.set_offline(True)
    tap(page, "En route")
    expect(page.locator("#outbox .outbox-queued")).to_have_count(1)
    tap(page, "On scene")
    queued = page.locator("#outbox .outbox-queued")
    expect(queued).to_have_count(2)
    expect(queued.nth(0)).to_contain_text("En route")
    expect(queued.nth(1)).to_contain_text("On scene")
    expect(queued.nth(1)).to_contain_text("Waiting to send")
    return outbox_items(page)


def version_shown(page) -> int:
    """The team version the screen shows: a tap's answer replaces only the buttons and the team
    bar (#field-steps carries the new version), the card's root keeps the version it was drawn
    with until the next refresh (as refresh.js reads it)."""
    return max(
        int(v)
        for v in page.locator("#field-card, #field-card [data-team-version]").evaluate_all(
            "els => els.map(e => e.getAttribute('data-team-version')).filter(v => v)"
        )
    )


def accept_online(live_app, context, live_server, username, call_sign=None):
    """Sign in and accept the team's call (a new call for `call_sign`, when named)."""
    if call_sign is not None:
        assign_new_call(live_app, call_sign)
    page = open_field_screen(context, live_server, username)
    tap(page, "Accept")
    expect(page.get_by_role("button", name="En route", exact=True)).to_be_visible()
    version = version_shown(page)
    wait_until_screen_stored(page, f'data-team-version="{version}"')
    return page


def test_offline_taps_survive_a_reload_and_reach_the_server_once(live_app, phone, live_server):
    page = accept_online(live_app, phone, live_server, "cr2-1", "CR-2")
    queued = go_offline_and_tap_en_route_and_on_scene(phone, page)
    expect(page.get_by_role("button", name="Clear", exact=True)).to_be_visible()  # walked ahead

    page.reload()  # still offline: the service worker opens the stored screen
    items = page.locator("#outbox .outbox-item")
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_contain_text("En route")
    expect(items.nth(1)).to_contain_text("On scene")
    expect(page.locator("#outbox .outbox-queued")).to_have_count(2)
    expect(page.get_by_role("button", name="Clear", exact=True)).to_be_visible()

    phone.set_offline(False)
    expect(page.locator("#outbox .outbox-synced")).to_have_count(2, timeout=15_000)
    expect(page.locator(".team-bar .status")).to_have_text("On scene", timeout=10_000)

    stored = events([item["uuid"] for item in queued])
    assert [e.action for e in stored] == ["en_route", "on_scene"]
    for event, item in zip(stored, queued):
        assert (
            event.occurred_at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
            == item["occurredAt"]
        )
        assert event.received_at > event.occurred_at
        assert (event.lat, event.lon) == (35.994, -78.899)  # coarse, not the exact point


def test_the_same_outbox_sent_twice_is_applied_once(live_app, phone, live_server):
    page = accept_online(live_app, phone, live_server, "cr3-1", "CR-3")
    queued = go_offline_and_tap_en_route_and_on_scene(phone, page)
    phone.set_offline(False)
    expect(page.locator("#outbox .outbox-synced")).to_have_count(2, timeout=15_000)

    # As if the answers had been lost on the way back: put the same items back and send again.
    page.evaluate(
        """items => new Promise(resolve => {
        const open = indexedDB.open("heart-field");
        open.onsuccess = () => {
            const tx = open.result.transaction("outbox", "readwrite");
            items.forEach(item => tx.objectStore("outbox").put(item));
            tx.oncomplete = () => resolve();
        };
    })""",
        queued,
    )
    page.evaluate("HeartOutbox.sync()")
    expect(page.locator("#outbox .outbox-synced")).to_have_count(2, timeout=15_000)
    expect(page.locator("#outbox .outbox-refused")).to_have_count(0)

    stored = events([item["uuid"] for item in queued])
    assert [e.action for e in stored] == ["en_route", "on_scene"]


def test_a_call_cancelled_while_offline_shows_the_refusal_and_the_true_state(
    live_app, phone, browser, live_server
):
    page = accept_online(live_app, phone, live_server, "co1-1", "CO-1")
    queued = go_offline_and_tap_en_route_and_on_scene(phone, page)

    dispatch = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    sign_in(dispatch, live_server, "dispatch")
    row = dispatch.locator("article.call-row", has=dispatch.get_by_text(re.compile("CO-1")))
    row.get_by_role("button", name="Take team off").click()
    expect(dispatch.locator("#team-CO-1 .status")).to_have_text("Available")

    phone.set_offline(False)
    refused = page.locator("#outbox .outbox-refused")
    expect(refused).to_have_count(2, timeout=15_000)
    expect(refused.nth(0)).to_contain_text("Not applied: CO-1 changed before this tap arrived")
    expect(refused.nth(1)).to_contain_text("not sent")
    expect(page.locator(".team-bar .status")).to_have_text("Available", timeout=10_000)
    expect(page.get_by_role("heading", name="No call assigned")).to_be_visible()
    assert events([item["uuid"] for item in queued]) == []
    dispatch.context.close()


def test_queued_taps_survive_a_browser_restart(
    live_app, playwright, browser_type_launch_args, live_server, tmp_path
):
    """Close the browser with taps queued and open it again offline: the screen and the queue
    are there. Online, the sign-in the restart ended holds them until the responder signs in."""
    device = {k: v for k, v in playwright.devices["Pixel 7"].items() if k != "default_browser_type"}
    launch = lambda: playwright.chromium.launch_persistent_context(
        tmp_path / "profile", **browser_type_launch_args, **device
    )
    context = launch()
    username, _ = new_responder_with_call(live_app)
    page = accept_online(live_app, context, live_server, username)
    queued = go_offline_and_tap_en_route_and_on_scene(context, page)
    context.close()

    context = launch()
    context.set_offline(True)
    page = context.pages[0] if context.pages else context.new_page()
    page.goto(f"{live_server}/field/")
    expect(page.locator("#outbox .outbox-queued")).to_have_count(2)
    expect(page.get_by_role("button", name="Clear", exact=True)).to_be_visible()

    context.clear_cookies()  # a restart ends the browser session's cookies
    with page.expect_response(lambda r: r.url.startswith(f"{live_server}/login")):
        context.set_offline(False)  # the outbox tries, and is sent to sign in: the taps stay
    page.reload()
    expect(page).to_have_url(re.compile("/login"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#outbox .outbox-synced")).to_have_count(2, timeout=15_000)
    assert [e.action for e in events([item["uuid"] for item in queued])] == ["en_route", "on_scene"]
    context.close()


def test_an_outcome_saved_offline_clears_the_call_once_back_online(live_app, phone, live_server):
    username, call_sign = new_responder_with_call(live_app)
    page = accept_online(live_app, phone, live_server, username)
    go_offline_and_tap_en_route_and_on_scene(phone, page)
    tap(page, "Clear")
    page.get_by_role("button", name="Save outcome").click()
    expect(page.locator("#outbox .outbox-queued")).to_have_count(2)  # no disposition: not queued
    page.get_by_label("Disposition").select_option(label="Resolved on scene")
    page.get_by_label("Notes").fill("Walked him to the shelter.")
    page.get_by_role("button", name="Save outcome").click()
    queued = page.locator("#outbox .outbox-queued")
    expect(queued).to_have_count(3)
    expect(queued.nth(2)).to_contain_text("Clear")

    phone.set_offline(False)
    expect(page.locator("#outbox .outbox-synced")).to_have_count(3, timeout=15_000)
    expect(page.get_by_role("heading", name="No call assigned")).to_be_visible(timeout=10_000)
    db.session.expire_all()
    team = team_by_call_sign(call_sign)
    assert team.status == "available"
    outcome = db.session.scalar(select(Outcome).where(Outcome.team_id == team.id))
    assert (outcome.disposition, outcome.notes) == (
        "resolved_on_scene",
        "Walked him to the shelter.",
    )


def test_a_refresh_already_on_its_way_does_not_close_the_outcome_form(live_app, phone, live_server):
    """The feed asks for a new card, the responder taps Clear before it arrives: the late card
    must not replace the open outcome form."""
    username, _ = new_responder_with_call(live_app)
    page = accept_online(live_app, phone, live_server, username)
    tap(page, "En route")
    tap(page, "On scene")
    expect(page.get_by_role("button", name="Clear", exact=True)).to_be_visible()

    held = []
    page.route("**/field/card", lambda route: held.append(route))
    for _ in range(50):  # htmx drops a trigger while a refresh is in flight: ask until one is held
        if held:
            break
        page.evaluate("() => htmx.trigger(document.getElementById('field-card'), 'sse:feed')")
        page.wait_for_timeout(100)
    assert held, "the refresh did not leave"
    tap(page, "Clear")
    disposition = page.get_by_label("Disposition")
    expect(disposition).to_be_visible()
    page.evaluate("""() => document.addEventListener("htmx:afterRequest",
                                                    () => { window.cardAnswered = true; }, {once: true})""")
    held[0].continue_()
    wait_until(page, "() => window.cardAnswered === true")
    expect(disposition).to_be_visible()
    disposition.select_option(label="Resolved on scene")
    page.get_by_role("button", name="Save outcome").click()
    expect(page.locator(".team-bar .status")).to_have_text("Available")
