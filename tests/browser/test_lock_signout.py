"""The lock screen's sign-out forgets the call, on a real profile on disk: after "Someone else?
Sign out" the next person finds neither the stored screen (Cache Storage) nor finished taps
(IndexedDB), not even offline through the service worker. Unsent taps stay."""

import uuid

import pytest
from playwright.sync_api import expect

from bench.browser import LAUNCH_ARGS, chromium_path
from tests.browser.conftest import sign_in, wait_until
from tests.browser.test_device import CACHED_URLS, OUTBOX
from tests.browser.test_offline import (
    new_responder_with_call,
    open_field_screen,
    wait_until_screen_stored,
)

pytestmark = pytest.mark.browser
ADDRESS = "101 City Hall Plaza"  # the call new_responder_with_call assigns


def phone_profile(playwright, folder):
    device = {k: v for k, v in playwright.devices["Pixel 7"].items() if k != "default_browser_type"}
    return playwright.chromium.launch_persistent_context(
        str(folder), executable_path=chromium_path(), args=LAUNCH_ARGS, headless=True, **device
    )


def stored(page):
    """What this origin keeps: cached page paths and outbox items (uuid, state)."""
    pages = [c for c in page.evaluate(CACHED_URLS) if c.startswith("heart-pages")]
    items = [(i["uuid"], i["state"]) for i in page.evaluate(OUTBOX)]
    return pages, items


def add_outbox_items(page, call_sign, unsent):
    """A finished tap of this team, and an unsent one (of a team not on this screen, so this
    page does not send it meanwhile)."""
    page.evaluate(
        """([team, unsent]) => new Promise(resolve => {
        const open = indexedDB.open("heart-field");
        open.onsuccess = () => {
            const tx = open.result.transaction("outbox", "readwrite");
            const base = {url: "/field/status", occurredAt: new Date().toISOString(), team: team,
                          reason: "", queuedAt: Date.now(), fields: []};
            tx.objectStore("outbox").add(Object.assign({}, base,
                {uuid: unsent, label: "En route", state: "queued", team: "X-" + team}));
            tx.objectStore("outbox").add(Object.assign({}, base,
                {uuid: crypto.randomUUID(), label: "Accept", state: "synced"}));
            tx.oncomplete = () => resolve();
        };
    })""",
        [call_sign, unsent],
    )


def test_lock_screen_sign_out_forgets_the_call_on_disk(live_app, live_server, playwright, tmp_path):
    username, call_sign = new_responder_with_call(live_app)
    profile = tmp_path / "phone-profile"
    context = phone_profile(playwright, profile)
    page = open_field_screen(context, live_server, username)
    page.reload()  # through the service worker
    wait_until_screen_stored(page, ADDRESS)
    unsent = str(uuid.uuid4())
    add_outbox_items(page, call_sign, unsent)
    assert len(stored(page)[1]) == 2

    # Left idle: the page locks itself (a POST) and shows the lock screen.
    page.evaluate("localStorage.setItem('heart-last-active', '0')")
    page.reload()
    expect(page.get_by_role("heading", name="Screen locked")).to_be_visible()
    expect(page.get_by_text(ADDRESS)).to_have_count(0)

    # Someone else picks it up. The sign-out request is held back for a moment, so what is
    # checked is what the lock screen itself forgot before signing out.
    page.on("dialog", lambda dialog: dialog.accept())  # "1 status tap has not reached..."
    page.route("**/logout", lambda route: route.abort())
    with page.expect_event("requestfailed"):
        page.get_by_role("button", name="Someone else? Sign out").click()
    check = context.new_page()
    check.goto(f"{live_server}/static/manifest.webmanifest")
    assert stored(check) == ([], [(unsent, "queued")])
    check.close()
    page.unroute("**/logout")

    page.goto(f"{live_server}/lock")
    page.get_by_role("button", name="Someone else? Sign out").click()
    expect(page).to_have_url(f"{live_server}/login")
    context.close()

    # The next person, on the same profile, offline: no call anywhere.
    context = phone_profile(playwright, profile)
    page = context.new_page()
    page.goto(f"{live_server}/static/manifest.webmanifest")
    assert stored(page) == ([], [(unsent, "queued")])
    wait_until(page, "navigator.serviceWorker.ready.then(() => true)")
    context.set_offline(True)
    page.goto(f"{live_server}/field/")
    expect(page.get_by_role("heading", name="No connection")).to_be_visible()
    assert ADDRESS not in page.content()
    context.close()


def test_a_remote_sign_out_makes_the_phone_forget_the_call(
    live_app, live_server, browser, playwright
):
    """A supervisor signs the phone out from /admin/devices: the phone's next request (its own
    refresh) goes to sign in, and the sign-in page forgets the stored call and finished taps."""
    username, call_sign = new_responder_with_call(live_app)
    phone = browser.new_context(**playwright.devices["Pixel 7"])
    page = open_field_screen(phone, live_server, username)
    wait_until_screen_stored(page, ADDRESS)
    unsent = str(uuid.uuid4())
    add_outbox_items(page, call_sign, unsent)

    desk = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    sign_in(desk, live_server, "supervisor")
    desk.goto(f"{live_server}/admin/devices")
    desk.get_by_role(
        "button", name=f"Sign out this device: {username.title()}, Chrome on Android"
    ).click()
    expect(
        desk.get_by_text(f"{username.title()}'s Chrome on Android is signed out.")
    ).to_be_visible()

    expect(page).to_have_url(f"{live_server}/login", timeout=30_000)  # no tap needed
    expect(page.locator("body[data-device-forgotten]")).to_have_count(1)
    assert stored(page) == ([], [(unsent, "queued")])
    desk.context.close()
    phone.close()
