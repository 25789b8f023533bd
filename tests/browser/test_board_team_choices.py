"""The board lists the available teams once; a waiting call's team list is filled from it
when the dispatcher reaches for that list, not before (teams x calls nodes would stall a big board)."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.boards import reach_for, settle
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def live_server(fresh_server):
    """This module's own freshly seeded server: what it checks depends on the demo's teams and
    calls as seeded, which other modules' tests change on the shared one."""
    return fresh_server


def test_each_waiting_call_offers_every_available_team_once_reached_for(browser, live_server):
    page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    sign_in(page, live_server, "dispatch")
    available = page.locator("#teams-table tr[data-status='available'] th").all_inner_texts()
    assert len(available) > 1
    calls = page.locator("#calls-waiting article.call-row:has(select[data-team-choices])").all()
    assert calls
    for call in calls:
        choices = call.get_by_label(re.compile("Team for call"))
        recommended = call.get_by_role("button", name=re.compile(r"^Assign \S+$"))
        recommended_sign = recommended.inner_text().split()[1] if recommended.count() else None
        # Untouched, a list holds only the server's choice: the recommended team, if free.
        untouched = [o.split(" (")[0] for o in choices.locator("option").all_inner_texts()]
        assert untouched in ([], [recommended_sign])

        reach_for(choices, more_than=len(untouched))
        expect(choices.locator("option")).to_have_count(len(available))
        offered = choices.locator("option").all_inner_texts()
        assert [o.split(" (")[0] for o in offered] == sorted(a.split()[0] for a in available)
        if recommended_sign:
            assert choices.input_value() == recommended_sign


def test_a_pointer_on_a_team_list_fills_it_before_it_opens(browser, live_server):
    page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    sign_in(page, live_server, "dispatch")
    settle(page)  # a catch-up refresh landing between hover and press moves the list away
    available = page.locator("#teams-table tr[data-status='available']").count()
    choices = page.locator("#calls-waiting select[data-team-choices]").last
    # A real press: pointerdown fills the list, and the focus that follows holds back a live
    # refresh (which would otherwise replace the list just filled).
    choices.hover()
    page.mouse.down()
    expect(choices.locator("option")).to_have_count(available)
    page.mouse.up()


def test_a_refresh_waits_while_the_dispatcher_is_changing_a_board_form(browser, live_server):
    """Another team chosen for a call, not yet assigned: a feed refresh would put the server's
    choice back. It waits until the dispatcher leaves that form, then comes."""
    page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    sign_in(page, live_server, "dispatch")
    settle(page)
    choices = page.locator("#calls-waiting select[data-team-choices]").first
    reach_for(choices)
    other = [
        v
        for v in choices.locator("option").evaluate_all("os => os.map(o => o.value)")
        if v != choices.input_value()
    ][0]
    choices.select_option(other)
    page.evaluate("() => { window.boardBefore = document.getElementById('board'); }")

    page.evaluate("() => htmx.trigger(document.getElementById('board'), 'sse:feed')")
    page.wait_for_timeout(1000)  # time enough for a refresh that was not held
    held = page.evaluate(
        "() => HeartRefresh.decisions().filter(d => d.region === 'board').pop().verdict"
    )
    assert held == "later:in-use"
    assert page.evaluate("() => document.getElementById('board') === window.boardBefore")
    expect(choices).to_have_value(other)
    expect(choices).to_be_focused()

    # Leaving the form lets the held refresh (the board's row update) go at once.
    with page.expect_request(re.compile(r"/dispatch/board/changes\?"), timeout=3000):
        page.get_by_role("heading", name="Teams").click()


def test_a_list_reached_for_while_the_page_loads_is_filled_when_its_script_runs(
    browser, live_server
):
    """On a slow line the dispatcher can reach a call's team list before team_choices.js has
    run: the list is filled when it does, not left holding one team until focus moves."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    held_back = []
    context.route("**/js/team_choices.js*", lambda route: held_back.append(route))
    page = context.new_page()
    sign_in(page, live_server, "dispatch")
    choices = page.locator("#calls-waiting select[data-team-choices]").first
    choices.wait_for()  # the board is drawn; the parser waits for the script held back
    page.wait_for_timeout(200)
    assert len(held_back) == 1
    choices.focus()
    assert choices.locator("option").count() <= 1
    held_back[0].continue_()
    available = page.locator("#teams-table tr[data-status='available']").count()
    expect(choices.locator("option")).to_have_count(available)
    expect(choices).to_be_focused()
    context.close()
