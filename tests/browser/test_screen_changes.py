"""Screen changes on a Pixel 7: each shows its heading, takes focus to it and announces it; earlier
calls' Care Navigation sits folded below the current call, each button naming its call."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.boards import assign
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def live_server(fresh_server):
    """This module's own freshly seeded server: what it checks depends on the demo's teams and
    calls as seeded, which other modules' tests change on the shared one."""
    return fresh_server


def focused_heading(page, name):
    heading = page.get_by_role("heading", name=name)
    expect(heading).to_be_focused()
    expect(heading).to_be_in_viewport()
    return heading


def test_every_screen_change_shows_focuses_and_announces_its_heading(
    browser, playwright, fresh_server
):
    dispatch = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    sign_in(dispatch, fresh_server, "dispatch")
    assign(dispatch, "D2611270001", "CR-1")

    phone = browser.new_context(**playwright.devices["Pixel 7"]).new_page()
    sign_in(phone, fresh_server, "cr1-1")
    # Each tap: the card's top in view, focus on the call's heading. (Whether every tap's answer
    # says "...: saved." is the tap answer's own test: the feed's refresh can overtake it.)
    for button, status in (
        ("Accept", "Assigned"),
        ("En route", "En route"),
        ("On scene", "On scene"),
    ):
        phone.get_by_role("button", name=button, exact=True).click()
        expect(phone.locator(".team-bar .status")).to_have_text(status)
        focused_heading(phone, "Welfare check")
        expect(phone.locator(".team-bar")).to_be_in_viewport()

    # Clear opens the outcome form at Disposition (the model the others follow).
    phone.get_by_role("button", name="Clear", exact=True).click()
    expect(phone.get_by_label("Disposition")).to_be_focused()
    phone.get_by_label("Disposition").select_option(label="Resolved on scene")
    phone.get_by_role("button", name="Refer to Care Navigation", exact=True).click()

    # The referral form opens at its top: the notice, the heading, the consent question.
    heading = focused_heading(phone, "Refer to Care Navigation")
    expect(
        phone.locator(".notices").get_by_text("Outcome saved. Now the referral.")
    ).to_be_in_viewport()
    expect(phone.get_by_text("Does the person agree")).to_be_in_viewport()
    expect(heading).to_have_accessible_description("Outcome saved. Now the referral.")

    phone.get_by_label("Yes, they agree to be contacted").check()
    phone.get_by_label("Name or alias").fill("Sam T.")
    phone.get_by_label("Phone").fill("919 555 0142")
    phone.get_by_label("Housing").check()
    phone.get_by_role("button", name="Send referral").click()

    # The confirmation is on screen in full, above the focused heading.
    heading = focused_heading(phone, "No call assigned")
    sent = phone.locator(".notices").get_by_text(
        re.compile(r"Referral R-\d+ sent to Care Navigation")
    )
    expect(sent).to_be_in_viewport(ratio=1)
    expect(heading).to_have_accessible_description(re.compile("sent to Care Navigation"))

    # Back from the referral form of an earlier call: the call's screen, its heading focused.
    phone.get_by_role("button", name="Refer to Care Navigation from D2611270091").click()
    focused_heading(phone, "Refer to Care Navigation")
    phone.get_by_role("link", name="Back").click()
    focused_heading(phone, "No call assigned")


def test_earlier_calls_are_folded_below_the_current_call_with_buttons_that_name_them(
    browser, playwright, fresh_server
):
    dispatch = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    sign_in(dispatch, fresh_server, "dispatch")
    assign(dispatch, "D2611270002", "CR-2")

    phone = browser.new_context(**playwright.devices["Pixel 7"]).new_page()
    sign_in(phone, fresh_server, "cr2-1")
    for button in ("Accept", "En route", "On scene", "Clear"):
        phone.get_by_role("button", name=button, exact=True).click()
    phone.get_by_label("Disposition").select_option(label="Resolved on scene")
    phone.get_by_role("button", name="Save outcome").click()
    focused_heading(phone, "No call assigned")

    assign(dispatch, "D2611270003", "CR-2")
    current = phone.get_by_role("article", name="Current call")
    expect(current.get_by_role("heading", level=1)).not_to_have_text(
        "No call assigned", timeout=15_000
    )

    earlier = phone.locator("details.handoffs")
    expect(earlier).not_to_have_attribute("open", "")
    assert earlier.bounding_box()["y"] > current.bounding_box()["y"]
    phone.get_by_role("button", name="Accept", exact=True).click()
    phone.get_by_role("button", name="En route", exact=True).click()
    phone.get_by_role("button", name="On scene", exact=True).click()
    phone.get_by_role("button", name="Clear", exact=True).click()

    # The outcome form comes right after the call, before the earlier calls.
    outcome = phone.locator("#panel-outcome")
    expect(outcome).to_be_visible()
    assert earlier.bounding_box()["y"] > outcome.bounding_box()["y"]
    phone.locator("details.handoffs > summary").click()
    refer = phone.get_by_role("button", name=re.compile("^Refer to Care Navigation"))
    names = [refer.nth(i).inner_text() for i in range(refer.count()) if refer.nth(i).is_visible()]
    assert len(names) >= 2, names
    assert len(set(names)) == len(names), f"two identical buttons: {names}"
    assert "Refer to Care Navigation from D2611270002" in names
