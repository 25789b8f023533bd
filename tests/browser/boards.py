"""Helpers for browser tests that drive the dispatch board."""

import re

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect


def assign(board, cad, call_sign):
    """Assign through the call's team list, again if a board refresh replaced the list meanwhile
    (on a busy machine the refresh can land between reaching for the list and choosing)."""
    call = board.locator(f"article.call-row[data-cad='{cad}']")
    for _ in range(3):
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
