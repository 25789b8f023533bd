"""A repeat address in a real browser: the crew clears a call, leaves a note on the place from
the phone, and the next call there shows its history and the note on the card (Pixel 7)."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assign_from_list, sign_in

pytestmark = pytest.mark.browser

ADDRESS = "1831 Martin Luther King Pkwy, Durham, NC 27707"  # the demo's D2611270003
NOTE = "Dog on premises; use the side gate"
SHOTS = Path(os.environ.get("HEART_SHOTS", "/work/shots/places"))


def _work_to_clear(phone):
    for button in ("Accept", "En route", "On scene", "Clear"):
        phone.get_by_role("button", name=button, exact=True).click()
    phone.get_by_label("Disposition").select_option(label="Resolved on scene")
    phone.get_by_role("button", name="Save outcome").click()
    expect(phone.get_by_role("heading", name="No call assigned")).to_be_visible()


def test_the_crew_sees_the_prior_contact_line_and_the_note_for_a_repeat_address(
    browser, playwright, fresh_server
):
    server = fresh_server
    dispatch = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    sign_in(dispatch, server, "dispatch")
    assign_from_list(dispatch.locator("article.call-row", has_text="D2611270003"), "CR-3")

    phone = browser.new_context(**playwright.devices["Pixel 7"]).new_page()
    sign_in(phone, server, "cr3-1")
    _work_to_clear(phone)

    # From the cleared-call list, a note on the place.
    phone.get_by_role("link", name="Add a place note from D2611270003").click()
    expect(phone.get_by_text("No diagnoses and no substance-use details")).to_be_visible()
    phone.get_by_label("Safety or approach note").fill(NOTE)
    phone.get_by_role("button", name="Save note").click()
    expect(phone.get_by_text("Note kept on the place for 90 days.")).to_be_visible()

    # A new call at the same address: the board's row shows the history, never the note.
    dispatch.get_by_label("CAD number").fill("D2611279301")
    dispatch.get_by_label("Call type").select_option(label="Trespass")
    dispatch.get_by_label("Address").fill(ADDRESS)
    dispatch.get_by_role("button", name="Enter call").click()
    call = dispatch.locator("article.call-row", has_text="D2611279301")
    expect(call).to_contain_text("1 prior contact here in 90 days, last today: Resolved on scene")
    assert NOTE not in dispatch.content()
    SHOTS.mkdir(parents=True, exist_ok=True)
    call.screenshot(path=SHOTS / "board-call-row.png")
    assign_from_list(call, "CR-3")

    card = phone.locator("article.call")
    expect(card).to_contain_text("D2611279301")
    expect(card.locator(".prior-contacts")).to_have_text(
        "1 prior contact here in 90 days, last today: Resolved on scene"
    )
    expect(card.locator(".place-notes")).to_contain_text(NOTE)
    phone.screenshot(path=SHOTS / "phone-card-pixel7.png", full_page=True)

    # Cleared again, the address is a repeat place in the supervisors' report.
    _work_to_clear(phone)
    report = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    sign_in(report, server, "supervisor")
    report.goto(f"{server}/reports/repeat-places")
    expect(report.locator(".repeat-blocks")).to_contain_text("1800 block of Martin Luther King")
    assert "1831" not in report.locator("#repeat-report").inner_text()
    report.screenshot(path=SHOTS / "repeat-report.png", full_page=True)
