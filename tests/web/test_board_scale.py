"""The board at city-wide scale (issue 20): a bounded page of waiting calls (most urgent
first, paged, searched, filtered), overdue calls shown whatever the page, and row updates
(GET /dispatch/board/changes) that carry only what a feed event changed."""

import re
import uuid
from datetime import timedelta

import pytest

from heart_field.domain import board, shifts, status
from heart_field.domain.status import Action, Tap
from heart_field.extensions import db
from heart_field.models import Role, utcnow
from tests.conftest import make_incident, make_team, make_user, reload

HX = {"HX-Request": "true"}


@pytest.fixture
def desk(sign_in):
    return sign_in(make_user("desk", Role.DISPATCHER))


def _calls(count: int, prefix="W", minutes_ago=5, **fields):
    """`count` waiting calls received about `minutes_ago`, a second apart (the first is the
    oldest)."""
    now = utcnow()
    return [
        make_incident(
            f"{prefix}-{i:03d}",
            received_at=now - timedelta(minutes=minutes_ago, seconds=count - i),
            **fields,
        )
        for i in range(count)
    ]


def _waiting_cads(html: str) -> list[str]:
    section = html.split('id="calls-waiting"', 1)[1].split('id="calls-active"', 1)[0]
    return re.findall(r'<article class="call-row[^>]*data-cad="([^"]+)"', section)


def _apply(team, action, **fields):
    status.apply(db.session, reload(team), Tap(action, str(uuid.uuid4()), **fields), None)


# A bounded page -------------------------------------------------------------------------------


def test_waiting_calls_come_a_page_at_a_time_most_urgent_first(desk):
    low = _calls(30, "LOW", priority=3)
    high = _calls(30, "HIGH", priority=1)
    first = desk.get("/dispatch/board", headers=HX)
    assert first.status_code == 200
    cads = _waiting_cads(first.text)
    # Priority 1 first, oldest first within a priority; 25 on a page.
    assert cads == [c.cad_number for c in high[:25]]
    assert 'id="waiting-count">60<' in first.text
    assert "1–25 of 60" in first.text
    second = _waiting_cads(desk.get("/dispatch/board?page=2", headers=HX).text)
    assert second == [c.cad_number for c in high[25:]] + [c.cad_number for c in low[:20]]
    third = desk.get("/dispatch/board?page=3", headers=HX)
    assert _waiting_cads(third.text) == [c.cad_number for c in low[20:]]
    assert "51–60 of 60" in third.text
    # A page past the last shows the last; the address bar follows the view.
    beyond = desk.get("/dispatch/board?page=9", headers=HX)
    assert _waiting_cads(beyond.text) == _waiting_cads(third.text)
    assert beyond.headers["HX-Replace-Url"] == "/dispatch/?page=3"


def test_the_full_page_and_its_board_are_bounded_however_many_calls_wait(desk):
    _calls(120)
    page = desk.get("/dispatch/?page=2")
    assert page.status_code == 200
    assert len(_waiting_cads(page.text)) == 25
    assert "W-025" in page.text and "W-024" not in page.text.split('id="calls-waiting"')[1]


def test_search_finds_calls_by_cad_number_or_address(desk):
    make_incident("CAD-7781", address="12 Lakewood Ave, Durham, NC 27707")
    make_incident("CAD-1200", address="400 Main St, Durham, NC 27701")
    make_incident("CAD-1201", address="500 Main St, Durham, NC 27701")
    by_cad = desk.get("/dispatch/board?q=7781", headers=HX)
    assert _waiting_cads(by_cad.text) == ["CAD-7781"]
    by_address = desk.get("/dispatch/board?q=main st", headers=HX)
    assert sorted(_waiting_cads(by_address.text)) == ["CAD-1200", "CAD-1201"]
    # Wildcards are text, not patterns.
    assert _waiting_cads(desk.get("/dispatch/board?q=%25", headers=HX).text) == []
    nothing = desk.get("/dispatch/board?q=no-such-call", headers=HX)
    assert "No waiting calls match." in nothing.text


def test_filters_by_priority_and_by_status(desk):
    make_incident("P1-A", priority=1)
    make_incident("P3-A", priority=3)
    team = make_team("CR-1")
    moving = make_incident("MOVING", priority=3)
    _apply(team, Action.ASSIGN, incident_id=moving.id)
    _apply(team, Action.EN_ROUTE)
    only_p1 = desk.get("/dispatch/board?priority=1", headers=HX)
    assert _waiting_cads(only_p1.text) == ["P1-A"]
    assert 'data-cad="MOVING"' not in only_p1.text
    en_route = desk.get("/dispatch/board?status=en_route", headers=HX)
    assert _waiting_cads(en_route.text) == []
    assert 'data-cad="MOVING"' in en_route.text
    # Every team is still listed, whatever the filter.
    assert 'id="team-CR-1"' in en_route.text


@pytest.mark.parametrize(
    "query, message",
    [
        ("page=abc", "Page is a number from 1."),
        ("priority=7", "Priority is 1, 2 or 3."),
        ("status=closed", "That status is not one the board shows."),
        ("q=" + "x" * 81, "Search for at most 80 characters."),
    ],
)
def test_a_view_the_board_cannot_read_is_refused_with_the_reason(desk, query, message):
    make_incident("SEEN")
    answer = desk.get(f"/dispatch/board?{query}", headers=HX)
    assert answer.status_code == 422
    assert message in answer.text
    assert "SEEN" in answer.text  # the board still shows, unfiltered


def test_an_overdue_call_on_page_3_still_shows_at_the_top(desk, app):
    _calls(55, "NEW", priority=1)  # two pages and more of more urgent calls, none overdue
    late = make_incident(
        "LATE-1", priority=3, received_at=utcnow() - timedelta(minutes=40)
    )  # most urgent is priority: this one is on page 3
    page_one = desk.get("/dispatch/board", headers=HX).text
    assert "LATE-1" not in _waiting_cads(page_one)
    alerts = page_one.split('id="call-alerts"', 1)[1].split("</section>", 1)[0]
    assert f'data-incident="{late.id}"' in alerts and "Call LATE-1 has waited 40 min" in alerts
    # Its "Go to call" finds it by its CAD number, whatever the page and filter.
    assert "/dispatch/board?q=LATE-1" in alerts
    found = desk.get("/dispatch/board?q=LATE-1&priority=&status=&page=1", headers=HX)
    assert _waiting_cads(found.text) == ["LATE-1"]
    # Also under another filter and page.
    filtered = desk.get("/dispatch/board?priority=1&page=2", headers=HX).text
    assert f'data-incident="{late.id}"' in filtered.split('id="call-alerts"', 1)[1]
    assert "LATE-1" in _waiting_cads(desk.get("/dispatch/board?page=3", headers=HX).text)


def test_many_overdue_calls_list_the_most_urgent_and_count_the_rest(desk):
    _calls(14, "OLD", minutes_ago=30)
    html = desk.get("/dispatch/board", headers=HX).text
    alerts = html.split('id="call-alerts"', 1)[1].split("</section>", 1)[0]
    assert alerts.count('data-alert="overdue"') == board.OVERDUE_LISTED
    assert "4 more calls have waited over 15 min" in alerts


def test_units_on_duty_and_their_calls_add_no_form_for_their_one_button_actions(desk):
    """Log off and Take team off are buttons outside any form (board_button), Cancel call a
    box whose form comes when opened: Chromium's autofill reads every form and field again
    after each live update, so their number must not grow with the teams."""
    make_team("CR-1")
    small = desk.get("/dispatch/board", headers=HX).text
    for i in range(10):
        make_team(f"CR-{i + 2}")
    _apply(make_team("CR-20"), Action.ASSIGN, incident_id=make_incident("HELD-1").id)
    big = desk.get("/dispatch/board", headers=HX).text
    assert big.count('aria-label="Log off ') == small.count('aria-label="Log off ') + 10
    assert ">Take team off</button>" in big
    # The held call keeps one form with fields: reassign (its team list is filled when used).
    assert big.count("<form") == small.count("<form") + 1


# Row updates --------------------------------------------------------------------------------


def _cursor(html: str) -> int:
    return int(re.search(r'id="board"[^>]*data-cursor="(\d+)"', html, re.S).group(1))


def test_no_change_since_the_cursor_answers_no_content(desk):
    make_team("CR-1")
    cursor = _cursor(desk.get("/dispatch/board", headers=HX).text)
    answer = desk.get(f"/dispatch/board/changes?after={cursor}", headers=HX)
    assert answer.status_code == 204 and answer.data == b""


def test_an_assignment_sends_only_that_teams_rows_and_the_waiting_page(desk):
    teams = [make_team(f"CR-{i}") for i in range(1, 9)]
    calls = _calls(3)
    cursor = _cursor(desk.get("/dispatch/board", headers=HX).text)
    _apply(teams[2], Action.ASSIGN, incident_id=calls[0].id)
    answer = desk.get(f"/dispatch/board/changes?after={cursor}", headers=HX)
    assert answer.status_code == 200
    html = answer.text
    assert int(answer.headers["X-Board-Cursor"]) > cursor
    # The changed team's row (in a <template>: a table row) and its slot of held calls.
    assert re.findall(r'<tr id="team-([^"]+)" hx-swap-oob="true"', html) == ["CR-3"]
    slot = html.split('id="calls-of-CR-3" hx-swap-oob="true">', 1)[1].split("</div>\n", 1)[0]
    assert f'id="incident-{calls[0].id}"' in slot
    assert 'id="calls-of-CR-1"' not in html
    # The call left the waiting page: the page comes again, without it.
    assert 'id="calls-waiting-section" hx-swap-oob="true"' in html
    assert _waiting_cads(html) == [calls[1].cad_number, calls[2].cad_number]
    # Counters and alerts by id.
    assert 'id="held-count" hx-swap-oob="true">1<' in html
    assert re.search(r'id="alerts" [^>]*hx-swap-oob="true"', html)


def test_a_status_tap_sends_its_team_row_and_not_the_waiting_page(desk):
    teams = [make_team(f"CR-{i}") for i in range(1, 4)]
    call = make_incident("HELD")
    make_incident("WAITING")
    _apply(teams[0], Action.ASSIGN, incident_id=call.id)
    cursor = _cursor(desk.get("/dispatch/board", headers=HX).text)
    _apply(teams[0], Action.ACCEPT)
    html = desk.get(f"/dispatch/board/changes?after={cursor}", headers=HX).text
    assert re.findall(r'<tr id="team-([^"]+)" hx-swap-oob="true"', html) == ["CR-1"]
    assert 'id="calls-waiting-section"' not in html
    assert 'id="waiting-count" hx-swap-oob="true">1<' in html


def test_the_view_applies_to_row_updates(desk):
    team = make_team("CR-1")
    call = make_incident("P3-CALL", priority=3)
    cursor = _cursor(desk.get("/dispatch/board?priority=1", headers=HX).text)
    _apply(team, Action.ASSIGN, incident_id=call.id)
    html = desk.get(f"/dispatch/board/changes?after={cursor}&priority=1", headers=HX).text
    slot = html.split('id="calls-of-CR-1" hx-swap-oob="true">', 1)[1].split("</div>", 1)[0]
    assert "P3-CALL" not in slot  # filtered out: the slot is empty


def test_units_logging_on_redraw_the_whole_board(desk, app):
    make_team("CR-1")
    off = make_team("CR-9", status="off_duty")
    cursor = _cursor(desk.get("/dispatch/board", headers=HX).text)
    shifts.log_on(db.session, reload(off), make_user("chief", Role.DISPATCHER))
    answer = desk.get(f"/dispatch/board/changes?after={cursor}", headers=HX)
    assert answer.status_code == 200
    assert answer.headers["HX-Reswap"] == "outerHTML"
    assert 'id="board"' in answer.text and _cursor(answer.text) > cursor


def test_a_board_far_behind_gets_the_whole_board(desk):
    team = make_team("CR-1")
    cursor = _cursor(desk.get("/dispatch/board", headers=HX).text)
    for _ in range(board.CHANGES_AT_MOST // 2 + 1):
        _apply(team, Action.OUT_OF_SERVICE)
        _apply(team, Action.BACK_IN_SERVICE)
    answer = desk.get(f"/dispatch/board/changes?after={cursor}", headers=HX)
    assert answer.headers["HX-Reswap"] == "outerHTML" and 'id="board"' in answer.text


def test_the_timer_tick_redraws_the_waiting_page_for_calls_entered_elsewhere(desk):
    make_team("CR-1")
    cursor = _cursor(desk.get("/dispatch/board", headers=HX).text)
    make_incident("FROM-CAD")  # no feed entry: entered by another dispatcher or the CAD
    assert desk.get(f"/dispatch/board/changes?after={cursor}", headers=HX).status_code == 204
    tick = desk.get(f"/dispatch/board/changes?after={cursor}&tick=1", headers=HX)
    assert tick.status_code == 200 and _waiting_cads(tick.text) == ["FROM-CAD"]


@pytest.mark.parametrize("after", ["", "abc", "-1"])
def test_a_cursor_that_is_not_one_is_refused(desk, after):
    answer = desk.get(f"/dispatch/board/changes?after={after}", headers=HX)
    assert answer.status_code == 400
    assert answer.json["error"] == "bad_request"


def test_row_updates_are_for_the_board_only(sign_in):
    team = make_team("CR-1")
    responder = sign_in(make_user("r1", Role.RESPONDER, team=team))
    assert responder.get("/dispatch/board/changes?after=0", headers=HX).status_code == 403


def test_a_row_update_leaves_out_the_parts_the_board_already_shows(desk):
    teams = [make_team(f"CR-{i}") for i in range(1, 4)]
    board_html = desk.get("/dispatch/board", headers=HX).text
    digests = re.findall(r'data-digest="([0-9a-f]+)"', board_html)
    assert len(digests) == 3  # the teams' alerts, the call alerts, the available teams
    cursor = _cursor(board_html)
    _apply(teams[0], Action.OUT_OF_SERVICE)  # CR-1 is no longer available
    have = "have=" + ",".join(digests)
    html = desk.get(f"/dispatch/board/changes?after={cursor}&{have}", headers=HX).text
    assert 'id="alerts"' not in html and 'id="call-alerts"' not in html  # unchanged
    choices = html.split('id="team-choices-holder"', 1)[1]
    assert 'data-value="CR-1"' not in choices and 'data-value="CR-2"' in choices  # changed: sent
    # Without the digests, every part comes.
    full = desk.get(f"/dispatch/board/changes?after={cursor}", headers=HX).text
    assert 'id="alerts"' in full and 'id="call-alerts"' in full


@pytest.mark.parametrize(
    "form_path, field, label",
    [
        ("note-form", "<textarea", "Update for the team on call W-000"),
        ("end-form", '<select name="code"', "Outcome for waiting call W-000"),
    ],
)
def test_a_calls_forms_come_when_the_dispatcher_opens_them(desk, sign_in, form_path, field, label):
    """ "Add update" and "Resolve call" / "Cancel call": the board carries no form per call."""
    call = _calls(1)[0]
    board_html = desk.get("/dispatch/board", headers=HX).text
    row = board_html.split(f'id="incident-{call.id}"', 1)[1].split("</article>", 1)[0]
    assert field not in row and f"/dispatch/incidents/{call.id}/{form_path}" in row
    form = desk.get(f"/dispatch/incidents/{call.id}/{form_path}", headers=HX)
    assert form.status_code == 200
    assert label in form.text and field in form.text and 'name="csrf_token"' in form.text
    assert desk.get(f"/dispatch/incidents/99999/{form_path}", headers=HX).status_code == 404
    watcher = sign_in(make_user("sup", Role.SUPERVISOR))
    assert watcher.get(f"/dispatch/incidents/{call.id}/{form_path}", headers=HX).status_code == 403


def test_the_tick_redraws_unplaced_calls_and_calls_sent_elsewhere(desk):
    make_team("CR-1")
    cursor = _cursor(desk.get("/dispatch/board", headers=HX).text)
    unplaced = make_incident("NO-PLACE", lat=None, lon=None, within_city_limits=None)
    make_incident("ELSEWHERE", status="routed_elsewhere", fallback_reason="outside_city_limits")
    tick = desk.get(f"/dispatch/board/changes?after={cursor}&tick=1", headers=HX)
    assert tick.status_code == 200
    assert _waiting_cads(tick.text) == ["NO-PLACE"]
    assert f"/dispatch/incidents/{unplaced.id}/place" in tick.text  # its place form
    elsewhere = tick.text.split('id="calls-elsewhere-section" hx-swap-oob="true"', 1)[1]
    assert 'data-cad="ELSEWHERE"' in elsewhere or "ELSEWHERE" in elsewhere
