"""A tap on the phone answers with what changed and says so, for every status (issue 21 item
2): the confirmation is still on screen after the card refreshes for the tap's own event,
however that refresh and the tap's answer race."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in, wait_until
from tests.browser.test_offline import new_responder_with_call

pytestmark = pytest.mark.browser


def test_every_status_confirms_and_the_confirmation_survives_the_refresh(
    live_app, browser, playwright, live_server
):
    username, _call_sign = new_responder_with_call(live_app)
    phone = browser.new_context(**playwright.devices["Pixel 7"]).new_page()
    sign_in(phone, live_server, username)
    pill = phone.locator("#team-bar .status")
    notice = phone.locator("#field-notices")
    expect(phone.locator("body[data-live='open']")).to_have_count(1, timeout=10_000)
    for button, status in (
        ("Accept", "Assigned"),
        ("En route", "En route"),
        ("On scene", "On scene"),
    ):
        heard = phone.evaluate("window.heartLive.received().length")
        phone.get_by_role("button", name=button, exact=True).click()
        expect(notice).to_have_text(f"{button}: saved.")
        expect(pill).to_have_text(status)
        # The tap's own feed event reaches the page and refreshes the card (or finds a refresh
        # already on its way); once nothing is in flight, the confirmation is still there.
        wait_until(phone, f"window.heartLive.received().length > {heard}")
        wait_until(phone, "!document.querySelector('.htmx-request')")
        expect(notice).to_have_text(f"{button}: saved.")
        expect(pill).to_have_text(status)
    expect(phone.get_by_role("link", name="Navigate")).to_have_count(1)
