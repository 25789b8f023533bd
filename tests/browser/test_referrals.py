"""From clear to connected in a real browser: a responder refers from a phone, a navigator on
a desktop claims the referral, logs a failed attempt, then a connection, and closes it."""

import re
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assign_from_list, sign_in

pytestmark = pytest.mark.browser


def test_referral_from_clear_to_connected(browser, playwright, fresh_server):
    live_server = fresh_server  # the demo's CR-3 and its calls, as seeded
    dispatch = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    sign_in(dispatch, live_server, "dispatch")
    call = dispatch.locator("article.call-row", has_text="D2611270003")
    assign_from_list(call, "CR-3")
    expect(dispatch.locator("#team-CR-3 .status")).to_have_text("Assigned")

    phone = browser.new_context(**playwright.devices["Pixel 7"]).new_page()
    sign_in(phone, live_server, "cr3-1")
    for button in ("Accept", "En route", "On scene", "Clear"):
        phone.get_by_role("button", name=button, exact=True).click()
    phone.get_by_label("Disposition").select_option(label="Referred to Care Navigation")
    phone.get_by_role("button", name="Refer to Care Navigation", exact=True).click()

    # The outcome is saved (the team is free) before the referral is asked for.
    expect(phone.get_by_role("heading", name="Refer to Care Navigation")).to_be_visible()
    expect(dispatch.locator("#team-CR-3 .status")).to_have_text("Available", timeout=10_000)
    send = phone.get_by_role("button", name="Send referral")
    assert send.bounding_box()["height"] >= 48

    phone.get_by_label("Yes, they agree to be contacted").check()
    phone.get_by_label("Phone").fill("919 555 0199")
    phone.get_by_label("Housing").check()
    send.click()
    expect(phone.get_by_text("Give a name or an alias.")).to_be_visible()  # nothing lost
    expect(phone.get_by_label("Phone")).to_have_value("919-555-0199")
    expect(phone.get_by_label("Housing")).to_be_checked()
    phone.get_by_label("Name or alias").fill("Kim P.")
    phone.get_by_label("Food").check()
    phone.get_by_role("button", name="Send referral").click()
    notice = phone.get_by_text(re.compile(r"Referral R-\d+ sent to Care Navigation"))
    expect(notice).to_be_visible()
    reference = re.search(r"R-\d+", notice.inner_text()).group(0)
    expect(phone.get_by_role("link", name=reference)).to_be_visible()

    navigator = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(navigator, live_server, "navigator")
    expect(navigator).to_have_url(f"{live_server}/navigation/")
    navigator.get_by_role("link", name="Unclaimed").click()
    navigator.get_by_role("link", name=f"Open {reference}").click()
    expect(navigator.get_by_role("heading", name="Kim P.")).to_be_visible()
    navigator.get_by_role("button", name="Claim").click()
    expect(navigator.get_by_text("Claimed by Nia Navigator")).to_be_visible()

    navigator.get_by_label("Phone", exact=True).check()
    navigator.get_by_label("No answer").check()
    tomorrow = (datetime.now() + timedelta(days=1)).strftime("%Y-%m-%dT10:00")
    navigator.get_by_label("Next attempt").fill(tomorrow)
    navigator.get_by_role("button", name="Save attempt").click()
    expect(navigator.get_by_text("Attempt logged.")).to_be_visible()
    expect(navigator.locator(".history", has_text="No answer")).to_be_visible()

    navigator.get_by_text("Record a connection").click()
    navigator.get_by_label("Service", exact=True).select_option(label="Housing or shelter")
    navigator.get_by_label("Organisation").fill("Urban Ministries of Durham")
    navigator.get_by_role("button", name="Save connection").click()
    expect(navigator.get_by_text("Connection recorded.")).to_be_visible()

    navigator.get_by_text("Close", exact=True).click()
    navigator.get_by_label("Connected to services").check()
    navigator.get_by_role("button", name="Close referral").click()
    expect(navigator.get_by_text("Closed.", exact=True)).to_be_visible()
    expect(navigator.get_by_role("button", name="Reopen")).to_be_visible()

    # Closed: the responder no longer sees it.
    phone.reload()
    expect(phone.get_by_role("link", name=reference)).to_have_count(0)
