"""The dispatch board's notices say what just happened and then go: a newer one replaces an older
one, and each fades out by itself, so none stays to contradict the board."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.boards import assign
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def test_board_notices_are_replaced_by_the_next_and_fade(browser, fresh_server):
    board = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    sign_in(board, fresh_server, "dispatch")
    board.get_by_label("CAD number").fill("UX-NOTICE-1")
    board.get_by_label("Call type").select_option(label="Welfare check")
    board.get_by_label("Address").fill("737 Ninth St, Durham, NC 27705")
    board.get_by_role("button", name="Enter call").click()
    entered = board.locator(".notice", has_text=re.compile(r"Call UX-NOTICE-1 entered"))
    expect(entered).to_be_visible()
    recommended = re.search(r"Recommended: (\S+)\.", entered.inner_text())
    assert recommended, entered.inner_text()

    # Another team than the recommended one: the old notice would now contradict the board.
    other = "CR-3" if recommended.group(1) != "CR-3" else "CR-2"
    assign(board, "UX-NOTICE-1", other)
    notices = board.locator(".notice")
    expect(notices).to_have_count(1)
    expect(notices).to_have_text(f"{other} assigned to call UX-NOTICE-1.")

    # It outlives the board's own refreshes for a few seconds, then fades by itself.
    with board.expect_response(re.compile(r"/dispatch/board/changes\?")):
        board.evaluate("htmx.trigger('#board', 'sse:feed')")
    expect(board.locator("#board.htmx-request, #board.htmx-settling")).to_have_count(0)
    expect(notices).to_have_count(1)
    expect(notices).to_have_count(0, timeout=15_000)
