"""The board lists the available teams once; every waiting call's team list is filled from it."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def test_each_waiting_call_offers_every_available_team_with_the_recommended_one_chosen(browser, live_server):
    page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    sign_in(page, live_server, "dispatch")
    available = page.locator("#teams-table tr[data-status='available'] th").all_inner_texts()
    assert len(available) > 1
    lists = page.locator("#calls-waiting select[data-team-choices]")
    expect(lists.first.locator("option")).to_have_count(len(available))
    for call in page.locator("#calls-waiting article.call-row").all():
        offered = call.get_by_label(re.compile("Team for call")).locator("option").all_inner_texts()
        assert [o.split(" (")[0] for o in offered] == sorted(a.split()[0] for a in available)
        recommended = call.get_by_role("button", name=re.compile(r"^Assign \S+$"))
        if recommended.count():
            chosen = call.get_by_label(re.compile("Team for call")).input_value()
            assert recommended.inner_text() == f"Assign {chosen}"
