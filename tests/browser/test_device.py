"""A shared device: the service worker keeps only what it should, sign-out forgets the call but
not unsent taps, and an idle screen locks."""

import uuid
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from heart_field.extensions import db
from heart_field.models import StatusEvent
from tests.browser.conftest import DEMO_PASSWORD
from tests.browser.test_offline import (
    new_responder_with_call,
    open_field_screen,
    tap,
    version_shown,
    wait_until_screen_stored,
)

pytestmark = pytest.mark.browser

CACHED_URLS = """() => caches.keys().then(names => Promise.all(names.map(name =>
    caches.open(name).then(c => c.keys()).then(keys => keys.map(k => name + " " + new URL(k.url).pathname)))))
    .then(lists => lists.flat())"""

OUTBOX = """() => new Promise(resolve => {
    const open = indexedDB.open("heart-field");
    open.onsuccess = () => {
        const request = open.result.transaction("outbox").objectStore("outbox").getAll();
        request.onsuccess = () => resolve(request.result);
    };
})"""


@pytest.fixture
def phone(browser, playwright):
    context = browser.new_context(**playwright.devices["Pixel 7"])
    yield context
    context.close()


def test_worker_caches_static_files_and_the_field_screen_only(live_app, phone, live_server):
    username, _ = new_responder_with_call(live_app)
    page = open_field_screen(phone, live_server, username)
    page.reload()  # now through the worker
    wait_until_screen_stored(page, "field-card")
    page.wait_for_timeout(6000)  # let a poll (an htmx fragment) go by
    cached = page.evaluate(CACHED_URLS)
    pages = [c for c in cached if c.startswith("heart-pages ")]
    assert pages == ["heart-pages /field/"]
    assert all(
        c.split(" ")[1].startswith("/static/") or c.endswith("/favicon.ico")
        for c in cached
        if c.startswith("heart-static-")
    )

    phone.set_offline(True)
    fragment = page.evaluate("""() => fetch("/field/card", {headers: {"HX-Request": "true"}})
        .then(r => "answered " + r.status, () => "network error")""")
    assert fragment == "network error"  # never a cached page in place of a fragment
    page.goto(f"{live_server}/dispatch/")
    expect(page.get_by_role("heading", name="No connection")).to_be_visible()
    page.goto(f"{live_server}/field/")
    expect(page.locator("#field-card")).to_be_visible()


def test_sign_out_forgets_the_call_but_warns_about_and_keeps_unsent_taps(
    live_app, phone, live_server
):
    username, call_sign = new_responder_with_call(live_app)
    page = open_field_screen(phone, live_server, username)
    tap(page, "Accept")
    expect(page.get_by_role("button", name="En route", exact=True)).to_be_visible()
    wait_until_screen_stored(page, "En route")
    version = version_shown(page)
    unsent = str(uuid.uuid4())
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    # A tap that has not reached the server, and one that has, as the outbox stores them.
    page.evaluate(
        """items => new Promise(resolve => {
        const open = indexedDB.open("heart-field");
        open.onsuccess = () => {
            const tx = open.result.transaction("outbox", "readwrite");
            items.forEach(item => tx.objectStore("outbox").add(item));
            tx.oncomplete = () => resolve();
        };
    })""",
        [
            {
                "uuid": unsent,
                "url": "/field/status",
                "label": "En route",
                "occurredAt": now,
                "team": call_sign,
                "state": "queued",
                "reason": "",
                "queuedAt": 0,
                "fields": [
                    ["action", "en_route"],
                    ["team", call_sign],
                    ["version", str(version)],
                    ["client_uuid", unsent],
                    ["occurred_at", now],
                ],
            },
            {
                "uuid": str(uuid.uuid4()),
                "url": "/field/status",
                "label": "Accept",
                "occurredAt": now,
                "team": call_sign,
                "state": "synced",
                "reason": "",
                "queuedAt": 0,
                "fields": [],
            },
        ],
    )

    warnings = []
    page.once("dialog", lambda dialog: (warnings.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Sign out").click()
    for _ in range(100):  # the warning comes after the outbox is read
        if warnings:
            break
        page.wait_for_timeout(100)
    assert "1 status tap has not reached the server yet" in warnings[0]
    expect(page).to_have_url(f"{live_server}/field/")  # stayed: nothing lost

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{live_server}/login")
    assert not [c for c in page.evaluate(CACHED_URLS) if c.startswith("heart-pages")]
    assert [(i["uuid"], i["state"]) for i in page.evaluate(OUTBOX)] == [(unsent, "queued")]

    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#outbox .outbox-synced")).to_have_count(1, timeout=15_000)
    db.session.expire_all()
    assert db.session.query(StatusEvent).filter_by(client_uuid=unsent).count() == 1


def test_an_idle_screen_locks_and_the_server_holds_it_locked(live_app, phone, live_server):
    username, _ = new_responder_with_call(live_app)
    page = phone.new_page()
    page.clock.install()
    page.goto(f"{live_server}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Accept", exact=True)).to_be_visible()

    page.clock.fast_forward("16:00")
    expect(page.get_by_role("heading", name="Screen locked")).to_be_visible()
    page.goto(f"{live_server}/field/")
    expect(page.get_by_role("heading", name="Screen locked")).to_be_visible()
    expect(page.get_by_text("101 City Hall Plaza")).to_have_count(0)

    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Unlock").click()
    expect(page.get_by_role("button", name="Accept", exact=True)).to_be_visible()
