"""A responder works a call from Accept to Save outcome on a phone while dispatch watches."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assign_from_list, sign_in

pytestmark = pytest.mark.browser


def team_status(page, call_sign):
    return page.locator(f"#team-{call_sign} .status")


def test_responder_works_a_call_while_dispatcher_watches(browser, playwright, live_server):
    dispatch = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    sign_in(dispatch, live_server, "dispatch")
    expect(dispatch).to_have_url(f"{live_server}/dispatch/")
    expect(team_status(dispatch, "CR-1")).to_have_text("Available")

    call = dispatch.locator("article.call-row[data-cad=D2611270001]")
    assign_from_list(call, "CR-1")
    expect(team_status(dispatch, "CR-1")).to_have_text("Assigned")

    phone = browser.new_context(**playwright.devices["Pixel 7"]).new_page()
    sign_in(phone, live_server, "cr1-1")
    expect(phone).to_have_url(f"{live_server}/field/")
    expect(phone.get_by_role("heading", name="Welfare check")).to_be_visible()
    expect(phone.get_by_text("737 Ninth St, Durham, NC 27705")).to_be_visible()

    for button in ("Accept", "Decline"):
        box = phone.get_by_role("button", name=button, exact=True).bounding_box()
        assert box["height"] >= 48, f"{button} is {box['height']} px tall"

    phone.get_by_role("button", name="Accept", exact=True).click()
    phone.get_by_role("button", name="En route", exact=True).click()
    expect(team_status(dispatch, "CR-1")).to_have_text("En route", timeout=10_000)

    phone.get_by_role("button", name="On scene", exact=True).click()
    expect(team_status(dispatch, "CR-1")).to_have_text("On scene", timeout=10_000)

    phone.get_by_role("button", name="Clear", exact=True).click()
    phone.get_by_role("button", name="Save outcome").click()
    expect(
        phone.get_by_text("Choose a disposition.")
    ).to_be_visible()  # nothing lost, nothing saved
    phone.get_by_label("Disposition").select_option(label="Resolved on scene")
    phone.get_by_role("button", name="Save outcome").click()
    expect(phone.get_by_role("heading", name="No call assigned")).to_be_visible()
    expect(team_status(dispatch, "CR-1")).to_have_text("Available", timeout=10_000)
    expect(dispatch.locator("article.call-row[data-cad=D2611270001]")).to_have_count(0)
