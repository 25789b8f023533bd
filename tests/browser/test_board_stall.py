"""A board that swaps itself never misses a live event (issue 24): two feed events 100-400 ms
apart, while the board (150 waiting calls) is being replaced after the first, both show.
Repeated over 20 bursts. The goal is 2 s; on a shared, loaded machine one board refresh alone
can take over a second, so the test fails only at LOST_AFTER: an event dropped by a board
mid-swap waits for the 20 s quiet refresh. Each burst's time is printed (-s) for the record."""

import random
import time
import uuid

import pytest
from playwright.sync_api import expect

from heart_field import create_app
from heart_field.access import team_by_call_sign
from heart_field.domain import status
from heart_field.domain.status import Action, Tap
from heart_field.extensions import db
from heart_field.models import Incident
from tests.browser.conftest import serve, sign_in
from tests.conftest import make_team

pytestmark = pytest.mark.browser

BURSTS = 20
GOAL = 2.0  # seconds
LOST_AFTER = 6.0  # seconds: far beyond a slow refresh, far below the 20 s quiet refresh
WAITING_CALLS = 150


@pytest.fixture(scope="module")
def busy_board(tmp_path_factory):
    """A server of its own with two teams of the test's and 150 waiting calls."""
    folder = tmp_path_factory.mktemp("stall")
    url = f"sqlite:///{folder / 'stall.db'}"
    servers = serve(folder, url)
    base = next(servers)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x", "TESTING": True})
    with app.app_context():
        for call_sign in ("ST-1", "ST-2"):
            make_team(call_sign)
        for n in range(WAITING_CALLS):
            db.session.add(
                Incident(
                    cad_number=f"S{n:05d}",
                    call_type="welfare_check",
                    priority=2 + n % 2,
                    address=f"{100 + n} Main St, Durham, NC 27701",
                    lat=35.99 + n * 1e-4,
                    lon=-78.90,
                    within_city_limits=True,
                )
            )
        db.session.commit()
        yield base, app
        db.session.remove()
        db.engine.dispose()
    servers.close()


def move(call_sign, action, incident_id=None):
    team = team_by_call_sign(call_sign)
    status.apply(db.session, team, Tap(action, str(uuid.uuid4()), incident_id=incident_id), None)


def test_events_that_arrive_while_the_board_swaps_are_never_lost(browser, busy_board):
    base, app = busy_board
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    sign_in(page, base, "dispatch")
    expect(page.locator("#live-state")).to_have_text("Live")
    mine = db.select(Incident.id).where(Incident.cad_number.like("S0%")).order_by(Incident.id)
    calls = iter(db.session.scalars(mine).all())
    rows = {c: page.locator(f"#team-{c} .status") for c in ("ST-1", "ST-2")}

    took, stalls = [], 0
    for burst in range(BURSTS):
        wanted = "Assigned" if burst % 2 == 0 else "Available"
        for n, call_sign in enumerate(("ST-1", "ST-2")):
            if wanted == "Assigned":
                move(call_sign, Action.ASSIGN, next(calls))
            else:
                move(call_sign, Action.CANCEL)
            if n == 0:
                time.sleep(random.uniform(0.1, 0.4))  # the board is swapping after the first
        written = time.monotonic()
        while not all(row.text_content() == wanted for row in rows.values()):
            if time.monotonic() - written > 25:
                break
            time.sleep(0.02)
        took.append(time.monotonic() - written)
        if took[-1] > GOAL:
            stalls += 1
        for row in rows.values():  # settled before the next burst
            expect(row).to_have_text(wanted, timeout=10_000)
    print(
        f"\nstall test: {stalls} of {BURSTS} bursts over {GOAL} s; "
        f"slowest {max(took):.2f} s, median {sorted(took)[len(took) // 2]:.2f} s"
    )
    behind = page.evaluate("HeartRefresh.decisions().filter(d => d.verdict === 'behind').length")
    print(f"regions found behind after a swap and caught up: {behind}")
    assert max(took) < LOST_AFTER, took
    context.close()
