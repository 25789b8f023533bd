"""A real shift in a real browser: the dispatcher logs a unit off, a responder whose home
unit is off duty starts a shift on it from the phone, and the board shows the unit going
Available with its crew, live; ending the shift turns it Off duty. Screenshots of the
phone's Start shift screen and of the board go to /work/shots/shift/ when that folder exists."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser
expect.set_options(timeout=15_000)

SHOTS = Path("/work/shots/shift")


def shot(page, name):
    if SHOTS.is_dir():
        page.screenshot(path=str(SHOTS / name), full_page=True)


def test_a_responder_starts_and_ends_a_shift_and_the_board_follows_live(
    browser, playwright, fresh_server
):
    desk_context = browser.new_context(viewport={"width": 1440, "height": 900})
    board = desk_context.new_page()
    sign_in(board, fresh_server, "dispatch")
    expect(board.locator("#live-state")).to_have_text("Live")
    row = board.locator("#team-CR-3")
    expect(row.locator(".status")).to_have_text("Available")

    # CR-3's crew goes home: the dispatcher logs it off; it is listed apart, Off duty.
    row.get_by_role("button", name="Log off CR-3").click()
    off = board.locator("#teams-off-duty #team-CR-3")
    expect(off.locator(".status")).to_have_text("Off duty")
    expect(board.locator("#teams-table #team-CR-3")).to_have_count(0)

    # A new shift: cr3-1's home unit is off duty, so the phone offers Start shift.
    phone_context = browser.new_context(**playwright.devices["Pixel 7"])
    phone = phone_context.new_page()
    sign_in(phone, fresh_server, "cr3-1")
    expect(phone.get_by_role("heading", name="Start shift")).to_be_visible()
    phone.get_by_label("Unit").select_option("CR-3")
    expect(phone.get_by_label("Clinician or social worker")).to_be_checked()
    shot(phone, "phone-start-shift.png")
    phone.get_by_role("button", name="Start shift").click()
    expect(phone.locator("#field-card .call-sign")).to_have_text("CR-3")

    # The board, without a reload: CR-3 Available, its crew of one, Short-staffed.
    on = board.locator("#teams-table #team-CR-3")
    expect(on.locator(".status")).to_have_text("Available")
    expect(on.locator(".crew-roles")).to_contain_text("Clinician or social worker")
    expect(on.locator(".short-staffed")).to_have_text("Short-staffed")
    expect(board.locator("#teams-off-duty #team-CR-3")).to_have_count(0)

    # Another unit off duty and another short-staffed, for the board's picture.
    board.locator("#team-CO-1").get_by_role("button", name="Log off CO-1").click()
    expect(board.locator("#teams-off-duty #team-CO-1 .status")).to_have_text("Off duty")
    shot(board, "board-off-duty-short-staffed.png")

    # End shift: the last of the crew logs the unit off, and the board follows.
    phone.locator("details.team-members summary").click()
    phone.get_by_role("button", name="End shift").click()
    expect(phone.get_by_role("heading", name="Start shift")).to_be_visible()
    expect(phone.get_by_text("CR-3 is now off duty.")).to_be_visible()
    expect(board.locator("#teams-off-duty #team-CR-3 .status")).to_have_text("Off duty")
    phone_context.close()
    desk_context.close()


def test_the_boards_one_button_actions_work_without_javascript(browser, fresh_server):
    """Log off and Log on are buttons outside any form (board_button): without JavaScript they
    submit the board's one form, with its CSRF token, to their own address."""
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1440, "height": 900}
    )
    board = context.new_page()
    sign_in(board, fresh_server, "dispatch")
    expect(board).to_have_url(f"{fresh_server}/dispatch/")

    board.locator("#teams-table #team-CR-2").get_by_role("button", name="Log off CR-2").click()
    expect(board.locator(".notice")).to_contain_text("CR-2 is off duty")
    expect(board.locator("#teams-off-duty #team-CR-2 .status")).to_have_text("Off duty")

    board.locator("#teams-off-duty #team-CR-2").get_by_role("button", name="Log on CR-2").click()
    expect(board.locator("#teams-table #team-CR-2 .status")).to_have_text("Available")
    context.close()
