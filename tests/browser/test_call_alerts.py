"""Reaching the responder, in Chromium on an emulated Pixel 7: the call-alerts step and its
states, a pushed alert shown by the service worker and opening the call (the push handed to
the worker through the DevTools protocol, as no push service is reachable here), and Backup
without a signal reaching the board first, then dispatch's acknowledgement reaching the phone."""

import json
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from heart_field.access import team_by_call_sign
from heart_field.domain import alerts
from heart_field.extensions import db
from heart_field.models import Incident, StatusEvent
from tests.browser.conftest import sign_in
from tests.browser.test_offline import PHONE_AT, new_responder_with_call, open_field_screen

pytestmark = pytest.mark.browser

SHOTS = Path("/work/shots/alerts")


def shoot(page, name):
    if SHOTS.parent.exists():
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


def phone_context(browser, playwright, **extra):
    return browser.new_context(**playwright.devices["Pixel 7"], geolocation=PHONE_AT, **extra)


@pytest.fixture
def phone(browser, playwright):
    context = phone_context(browser, playwright, permissions=["geolocation", "notifications"])
    yield context
    context.close()


def alerts_bar(page):
    return page.locator("#call-alerts")


def test_alerts_off_is_a_reminder_and_a_failed_subscribe_is_said_while_the_screen_works_on(
    live_app, live_server, phone
):
    """Here pushManager.subscribe() fails (no push service): the phone says so, and the tap
    still unlocked sound; Accept works as ever."""
    username, _ = new_responder_with_call(live_app)
    page = open_field_screen(phone, live_server, username)
    bar = alerts_bar(page)
    expect(bar).to_have_attribute("data-state", "off")
    expect(bar).to_contain_text("Call alerts are off on this phone")
    expect(bar.get_by_role("button", name="Turn on call alerts")).to_be_visible()
    expect(bar.get_by_role("button", name="Sound off", exact=True)).to_have_attribute(
        "aria-pressed", "false"
    )
    shoot(page, "phone-alerts-off")

    bar.get_by_role("button", name="Turn on call alerts").click()
    expect(bar).to_have_attribute("data-state", "failed", timeout=15_000)
    expect(bar).to_contain_text("Call alerts could not be turned on on this phone")
    expect(bar).to_contain_text("Keep this screen open")
    expect(bar.get_by_role("button", name="Try again")).to_be_visible()
    sound = bar.get_by_role("button", name="Sound on")
    expect(sound).to_have_attribute("aria-pressed", "true")  # the same tap unlocked sound
    shoot(page, "phone-alerts-failed")

    sound.click()
    expect(bar.get_by_role("button", name="Sound off", exact=True)).to_have_attribute(
        "aria-pressed", "false"
    )
    assert page.evaluate("document.body.dataset.sound") == "off"
    bar.get_by_role("button", name="Sound off", exact=True).click()
    expect(bar.get_by_role("button", name="Sound on")).to_be_visible()

    page.get_by_role("button", name="Accept", exact=True).click()
    expect(page.get_by_role("button", name="En route", exact=True)).to_be_visible()


def test_alerts_on_once_the_browser_subscribes_and_the_server_keeps_it(
    live_app, live_server, phone
):
    """The browser's half of a push service, which this machine lacks, is the one thing
    replaced: subscribe() answers a subscription as a real one would. Everything after it
    (the server keeping it for this sign-in, the bar, a reload) is the app's own."""
    phone.add_init_script("""
        PushManager.prototype.subscribe = function () {
            const sub = {endpoint: "https://push.example.invalid/send/" + Math.random().toString(36).slice(2),
                         keys: {p256dh: "B" + "A".repeat(86), auth: "c2VjcmV0LWF1dGgtMTY"}};
            sub.toJSON = () => ({endpoint: sub.endpoint, keys: sub.keys});
            window.__subscribed = sub;
            return Promise.resolve(sub);
        };
        PushManager.prototype.getSubscription = function () {
            return Promise.resolve(window.__subscribed || null);
        };
    """)
    username, _ = new_responder_with_call(live_app)
    page = open_field_screen(phone, live_server, username)
    bar = alerts_bar(page)
    bar.get_by_role("button", name="Turn on call alerts").click()
    expect(bar).to_have_attribute("data-state", "on", timeout=15_000)
    expect(bar).to_contain_text("Call alerts on: a locked phone rings for a new call.")
    expect(bar.get_by_role("button", name="Turn on call alerts")).to_be_hidden()
    state = page.evaluate(
        "fetch('/alerts/subscription', {credentials: 'same-origin'}).then(r => r.json())"
    )
    assert state == {"on": True}
    shoot(page, "phone-alerts-on")


def test_blocked_notifications_say_how_to_allow_them(browser, playwright, live_app, live_server):
    context = phone_context(browser, playwright, permissions=["geolocation"])
    try:
        username, _ = new_responder_with_call(live_app)
        page = open_field_screen(context, live_server, username)
        assert page.evaluate("Notification.permission") == "denied"  # headless, not granted
        bar = alerts_bar(page)
        expect(bar).to_have_attribute("data-state", "blocked")
        bar.get_by_role("button", name="Try again").click()
        expect(bar).to_have_attribute("data-state", "blocked")
        expect(bar).to_contain_text("Allow notifications in the browser's site settings")
    finally:
        context.close()


def registration_id(page, cdp, origin):
    """The worker's registration id, from the event DevTools sends once enabled (events are
    delivered while Playwright waits, so the loop waits through the page)."""
    found = {}

    def seen(event):
        for registration in event["registrations"]:
            if registration["scopeURL"] == origin + "/" and not registration["isDeleted"]:
                found["id"] = registration["registrationId"]

    cdp.on("ServiceWorker.workerRegistrationUpdated", seen)
    cdp.send("ServiceWorker.enable")
    deadline = time.monotonic() + 10
    while "id" not in found and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert "id" in found, "the service worker's registration was not reported"
    return found["id"]


def notifications(page):
    return page.evaluate(
        """navigator.serviceWorker.ready.then(r => r.getNotifications()).then(list =>
             list.map(n => ({title: n.title, body: n.body, tag: n.tag, data: n.data})))"""
    )


def test_a_pushed_alert_shows_a_notification_and_a_tap_opens_the_call(live_app, live_server, phone):
    username, call_sign = new_responder_with_call(live_app)
    page = open_field_screen(phone, live_server, username)
    incident = db.session.scalar(
        select(Incident)
        .join(Incident.assignments)
        .where(Incident.assignments.any(team_id=team_by_call_sign(call_sign).id))
    )
    alert = alerts.payload(alerts.ASSIGN, incident, live_app.extensions["heart_push"].place)
    cdp = phone.new_cdp_session(page)
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {
            "origin": live_server,
            "registrationId": registration_id(page, cdp, live_server),
            "data": json.dumps(alert),
        },
    )
    deadline = time.monotonic() + 10
    shown = notifications(page)
    while not shown and time.monotonic() < deadline:
        page.wait_for_timeout(100)
        shown = notifications(page)
    assert shown == [
        {
            "title": "New call: Welfare check",
            "body": f"P2 · {alert['area']}. Open to accept.",
            "tag": f"call-{incident.id}",
            "data": {
                "url": f"/field/#call-{incident.id}",
                "kind": "assign",
                "incident": incident.id,
            },
        }
    ]
    assert "City Hall" not in json.dumps(shown)

    page.goto(f"{live_server}/field/card")  # the responder is elsewhere when the alert comes
    worker = phone.service_workers[0]
    worker.evaluate(
        """self.registration.getNotifications().then(list => {
             self.dispatchEvent(new NotificationEvent("notificationclick", {notification: list[0]}));
           })"""
    )
    expect(page).to_have_url(f"{live_server}/field/#call-{incident.id}")
    expect(page.locator("article.call h1")).to_have_text("Welfare check")
    assert notifications(page) == []  # the tap closed it


def test_backup_without_signal_goes_first_and_dispatchs_acknowledgement_reaches_the_phone(
    browser, live_app, live_server, phone
):
    username, call_sign = new_responder_with_call(live_app)
    page = open_field_screen(phone, live_server, username)
    phone.set_offline(True)
    page.get_by_role("button", name="Accept", exact=True).click()
    expect(page.locator("#outbox .outbox-queued")).to_have_count(1)
    backup = page.get_by_role("button", name="Backup", exact=True)
    expect(backup).to_be_visible()  # still there, in the step the screen walked on to
    backup.click()
    expect(page.locator(".backup-offline")).to_have_text(
        "No signal: use your radio. Backup is queued and goes first when the signal returns."
    )
    expect(page.locator("#outbox .outbox-queued")).to_have_count(2)
    expect(backup).to_be_visible()

    phone.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("#outbox .outbox-queued")).to_have_count(0, timeout=15_000)
    team = team_by_call_sign(call_sign)
    db.session.expire_all()
    sent = db.session.scalars(
        select(StatusEvent.action)
        .where(StatusEvent.team_id == team.id, StatusEvent.action.in_(("backup", "accept")))
        .order_by(StatusEvent.id)
    ).all()
    assert sent == ["backup", "accept"]  # Backup first, though tapped second
    expect(page.locator(".backup-state")).to_contain_text("Dispatch has been alerted")

    board = browser.new_context(viewport={"width": 1440, "height": 900})
    try:
        desk = board.new_page()
        sign_in(desk, live_server, "dispatch")
        alert = desk.locator(f"[data-alert='backup'][data-team='{call_sign}']")
        expect(alert).to_contain_text(f"{call_sign} asks for backup")
        alert.get_by_role("button", name="Acknowledge backup").click()
        expect(alert).to_have_count(0)
    finally:
        board.close()
    acknowledged = page.locator(".backup-state[data-backup='acknowledged']")
    expect(acknowledged).to_contain_text("Dispatch acknowledged at", timeout=10_000)
    shoot(page, "phone-backup-acknowledged")

    # Navigate after En route: an outline apart from the status button, which keeps its place.
    en_route = page.get_by_role("button", name="En route", exact=True)
    before = en_route.bounding_box()
    shoot(page, "phone-before-en-route")
    en_route.click()
    on_scene = page.get_by_role("button", name="On scene", exact=True)
    expect(on_scene).to_be_visible()
    expect(acknowledged).to_be_visible()  # until the call clears
    after = on_scene.bounding_box()
    assert abs(after["y"] - before["y"]) < 2 and after["height"] == before["height"]
    navigate = page.get_by_role("link", name="Navigate")
    expect(navigate).to_have_count(1)
    box = navigate.bounding_box()
    assert "btn-outline" in navigate.get_attribute("class")
    assert after["y"] - (box["y"] + box["height"]) >= 16  # a clear gap, not stacked together
    expect(page.locator("#field-card.htmx-request, #field-card .htmx-request")).to_have_count(0)
    shoot(page, "phone-navigate-apart")
