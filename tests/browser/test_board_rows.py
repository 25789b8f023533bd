"""On a board of several hundred rows, one live event changes only the rows it names: every
other row stays the very same element, and no mutation touches it (issue 20)."""

import uuid

import pytest
from playwright.sync_api import expect

from bench import dataset
from bench.servers import Gunicorn, app_env, gunicorn
from heart_field.domain import status
from heart_field.domain.status import Action, Tap
from heart_field.extensions import db
from heart_field.models import Team, TeamStatus
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

TEAMS, CALLS = 240, 400  # a board of 240 units (and as many slots), 400 calls open

# Watches #board from now on: which rows (by id) any DOM mutation touched.
WATCH = """() => {
  const board = document.getElementById('board');
  window.rowsBefore = new Map(
    Array.from(board.querySelectorAll('tr[id], article[id], .team-calls[id]')).map(e => [e.id, e]));
  window.touched = new Set();
  const rowOf = node => {
    const el = node.nodeType === 1 ? node : node.parentElement;
    const row = el && el.closest('tr[id], .team-calls[id], article[id]');
    return row ? row.id : (el && el.closest('[id]') ? el.closest('[id]').id : '?');
  };
  new MutationObserver(records => records.forEach(r => window.touched.add(rowOf(r.target))))
    .observe(board, {childList: true, subtree: true, attributes: true, characterData: true});
}"""
REPLACED = """() => Array.from(window.rowsBefore.entries())
  .filter(([id, el]) => document.getElementById(id) !== el).map(([id]) => id)"""


@pytest.fixture(scope="module")
def big_board(tmp_path_factory):
    folder = tmp_path_factory.mktemp("big-board")
    url = f"sqlite:///{folder / 'big.db'}"
    dataset.build(url, 1, dataset.Sizes(teams_per_x=TEAMS, open_per_x=CALLS, history_per_x=0))
    env = {**app_env(url), "HEART_LIVE_STREAM_SECONDS": "30"}
    with gunicorn("app:app", env, Gunicorn(threads=8), folder / "server.log", "/login") as base:
        app = dataset.make_app(url)
        with app.app_context():
            yield base
            db.session.remove()
            db.engine.dispose()


def _an_available_team() -> Team:
    return db.session.scalars(
        db.select(Team)
        .where(Team.status == TeamStatus.AVAILABLE, Team.call_sign.like("T-%"))
        .order_by(Team.call_sign.desc())
    ).first()


def test_one_event_on_a_big_board_changes_only_its_rows(browser, big_board):
    page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    sign_in(page, big_board, "dispatch")
    expect(page.locator("#live-state[data-state='open']")).to_be_visible(timeout=30_000)
    rows = page.locator("#teams-table tr[id]")
    assert rows.count() >= TEAMS
    page.evaluate(WATCH)

    team = _an_available_team()
    status.apply(db.session, team, Tap(Action.OUT_OF_SERVICE, str(uuid.uuid4())), None)
    row = page.locator(f"#team-{team.call_sign}")
    expect(row).to_have_attribute("data-status", "out_of_service", timeout=15_000)
    expect(page.locator("#board.htmx-request, #board.htmx-settling")).to_have_count(0)

    replaced = page.evaluate(REPLACED)
    assert sorted(replaced) == sorted([f"team-{team.call_sign}", f"calls-of-{team.call_sign}"])
    touched = set(page.evaluate("() => Array.from(window.touched)"))
    row_ids = set(page.evaluate("() => Array.from(window.rowsBefore.keys())"))
    assert len(row_ids) >= 2 * TEAMS + 25
    rows_touched = touched & row_ids
    assert rows_touched <= {f"team-{team.call_sign}", f"calls-of-{team.call_sign}"}, rows_touched
    # What else changed is the board's small parts (alerts, counters), swapped by id (a
    # mutation names the parent of what it replaced: the sections holding those parts).
    assert touched - rows_touched <= {
        "calls",
        "calls-waiting-section",
        "board",
        "alerts",
        "call-alerts",
        "held-count",
        "waiting-count",
        "teams-table",
        "calls-active",
        "team-choices-holder",
    }, touched
    assert page.locator("#calls-waiting article").count() == 25
