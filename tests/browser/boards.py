"""Helpers for browser tests that drive the dispatch board."""

import re

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from tests.browser.conftest import wait_until


def settle(page, quiet_ms=800):
    """Wait until the page has loaded (its scripts run: a list focused before team_choices.js
    is never filled) and its regions have stopped refreshing (the catch-up refreshes after it
    loads), so a list reached for is not replaced under the pointer."""
    wait_until(
        page,
        """quiet => document.readyState === "complete" && !document.querySelector(".htmx-request")
             && (!window.HeartRefresh ||
                 window.HeartRefresh.decisions().every(d => Date.now() - d.at > quiet))""",
        quiet_ms,
    )


def reach_for(choices, more_than=1, tries=5):
    """Focus a call's team list until it is filled (more than `more_than` options): a board
    refresh landing between the focus and the fill replaces the list with an unfilled one."""
    for _ in range(tries):
        choices.focus()
        try:
            expect(choices.locator("option")).not_to_have_count(more_than, timeout=2000)
            return
        except AssertionError:
            choices.blur()
    raise AssertionError("the team list was never filled when reached for")


def assign(board, cad, call_sign):
    """Assign through the call's team list, again if a board refresh replaced the list meanwhile
    (on a busy machine the refresh can land between reaching for the list and choosing)."""
    call = board.locator(f"article.call-row[data-cad='{cad}']")
    settle(board)
    for _ in range(5):
        choices = call.get_by_label(re.compile("Team for call"))
        choices.focus()
        try:
            expect(choices.locator(f'option[value="{call_sign}"]')).to_have_count(1, timeout=3000)
            choices.select_option(call_sign, timeout=3000)
        except (AssertionError, PlaywrightTimeout):
            continue
        call.get_by_role("button", name="Assign", exact=True).click()
        break
    expect(board.locator(f"#team-{call_sign} .status")).to_have_text("Assigned", timeout=10_000)
