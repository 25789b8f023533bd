"""The dispatch board at city-wide scale (issue 20): server time, statements and size of the
board's pages, and the browser's main-thread time per live event.

    python -m bench.board_scale [--scale 100] [--database sqlite:////path/scale-100.db]

At factor 100 the data is the bench's (dataset.build): 204 units, 2,003 open calls, 102,008
incidents, 500,000 status events. Built once into the folder given (or reused with
--database, which must be a database dataset.build made).

- Server: each page in this process (Flask test client, production settings), median of
  --repeats, with the sign-in page (/login) of the same run as the baseline ratio.
- Browser: the board in Chromium (1440x900) against gunicorn; for each of --events status
  changes made in another process, the main thread's busy time (CDP Performance metric
  TaskDuration) from the change until the row shows it, and the longest task; against the
  same board swapped in whole (GET /dispatch/board, as every event did before issue 20).
"""

import argparse
import gzip
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from playwright.sync_api import sync_playwright

from heart_field.domain import feed, status
from heart_field.domain.status import Action, Tap
from heart_field.extensions import db
from heart_field.models import Team, TeamStatus

from . import dataset
from .browser import LAUNCH_ARGS, chromium_path
from .pages import Counted
from .servers import DEMO_PASSWORD, Gunicorn, app_env, gunicorn

HX = {"HX-Request": "true"}
# Resolves once the selector matches, watching the page's DOM from inside (no polling).
WAIT_FOR = """selector => new Promise(done => {
  if (document.querySelector(selector)) return done();
  const watch = new MutationObserver(() => {
    if (document.querySelector(selector)) { watch.disconnect(); done(); }
  });
  watch.observe(document.body, {subtree: true, childList: true, attributes: true});
})"""


def server_figures(url: str, repeats: int) -> list[tuple[str, float, int, int, int]]:
    """(page, median ms, statements, bytes, gzipped bytes) for each page."""
    rows = []
    with Counted(url) as counted:
        client, _token = counted.client("dispatch")
        with counted.app.app_context():
            team = _available_team()
            cursor = feed.latest_cursor(db.session)
            status.apply(db.session, team, Tap(Action.OUT_OF_SERVICE, str(uuid.uuid4())), None)
            db.session.remove()
        anonymous = counted.app.test_client()
        pages = [
            ("/login (baseline)", lambda: anonymous.get("/login")),
            ("/dispatch/", lambda: client.get("/dispatch/")),
            ("/dispatch/board (htmx)", lambda: client.get("/dispatch/board", headers=HX)),
            ("/dispatch/?page=40", lambda: client.get("/dispatch/?page=40")),
            ("/dispatch/?q=O100-00012", lambda: client.get("/dispatch/?q=O100-00012")),
            (
                "/dispatch/board/changes (one event)",
                lambda: client.get(f"/dispatch/board/changes?after={cursor}", headers=HX),
            ),
        ]
        for name, request in pages:
            request()  # warm: templates compiled, caches filled
            times, counts = [], []
            for _ in range(repeats):
                seconds, statements, answer = counted.timed(request)
                assert answer.status_code == 200, (name, answer.status_code)
                times.append(seconds * 1000)
                counts.append(statements)
            body = answer.get_data()
            rows.append(
                (name, statistics.median(times), max(counts), len(body), len(gzip.compress(body)))
            )
    return rows


def _available_team() -> Team:
    return db.session.scalars(
        db.select(Team).where(Team.status == TeamStatus.AVAILABLE).order_by(Team.call_sign)
    ).first()


def browser_figures(url: str, folder: Path, events: int) -> dict:
    env = {**app_env(url), "HEART_LIVE_STREAM_SECONDS": "60"}
    app = dataset.make_app(url)
    with gunicorn("app:app", env, Gunicorn(threads=8), folder / "app.log", "/login") as base:
        with sync_playwright() as playwright, app.app_context():
            browser = playwright.chromium.launch(executable_path=chromium_path(), args=LAUNCH_ARGS)
            page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
            page.set_default_timeout(120_000)
            page.goto(f"{base}/login")
            page.get_by_label("Username").fill("dispatch")
            page.get_by_label("Password").fill(DEMO_PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_selector("#live-state[data-state='open']")
            page.wait_for_timeout(2000)  # the map and the first refreshes done
            cdp = page.context.new_cdp_session(page)
            cdp.send("Performance.enable")
            page.evaluate(
                """() => { window.longest = 0; new PerformanceObserver(list => list.getEntries()
                   .forEach(e => { window.longest = Math.max(window.longest, e.duration); }))
                   .observe({type: 'longtask'}); }"""
            )

            def busy() -> float:
                metrics = cdp.send("Performance.getMetrics")["metrics"]
                return next(m["value"] for m in metrics if m["name"] == "TaskDuration") * 1000

            def settle(selector: str | None = None) -> None:
                """Wait for the selector (watched inside the page, so no polling from here adds
                tasks), then half a second for the swap's settling and what follows it."""
                if selector:
                    page.evaluate(WAIT_FOR, selector)
                time.sleep(0.5)

            teams = list(
                db.session.scalars(
                    db.select(Team)
                    .where(Team.status == TeamStatus.AVAILABLE)
                    .order_by(Team.call_sign)
                    .limit(events)
                )
            )
            idle, per_event, longest, latency = [], [], [], []
            for team in teams:
                settle()
                before = busy()
                settle()
                idle.append(busy() - before)  # the same wait with nothing happening
                page.evaluate("() => { window.longest = 0; }")
                before = busy()
                started = time.perf_counter()
                status.apply(db.session, team, Tap(Action.OUT_OF_SERVICE, str(uuid.uuid4())), None)
                settle(f"#team-{team.call_sign}[data-status='out_of_service']")
                latency.append((time.perf_counter() - started) * 1000 - 500)
                per_event.append(busy() - before)
                longest.append(page.evaluate("() => window.longest"))
            whole = []
            for _ in range(3):
                settle()
                before = busy()
                page.evaluate(
                    """() => new Promise(done => {
                         document.addEventListener('htmx:afterSettle', () => done(), {once: true});
                         htmx.ajax('GET', '/dispatch/board', {target: '#board', swap: 'outerHTML'});
                       })"""
                )
                settle()
                whole.append(busy() - before)
            browser.close()
    quiet = statistics.median(idle)
    return {
        "idle busy ms (same wait, no event)": quiet,
        "event busy ms (minus idle)": statistics.median(per_event) - quiet,
        "event busy max ms (minus idle)": max(per_event) - quiet,
        "event longest task ms": max(longest),
        "event to row ms": statistics.median(latency),
        "whole board swap busy ms (minus idle)": statistics.median(whole) - quiet,
        "events": len(per_event),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=100)
    parser.add_argument("--database", help="a database dataset.build made (reused as it is)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--events", type=int, default=10)
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="heart-board-bench-"))
    url = options.database
    if not url:
        url = f"sqlite:///{folder / f'scale-{options.scale}.db'}"
        print(dataset.build(url, options.scale, dataset.Sizes()))
    rows = server_figures(url, options.repeats)
    baseline = rows[0][1]
    print("| page | server ms (median) | x sign-in page | SQL statements | HTML KB | gzipped KB |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, ms, statements, size, zipped in rows:
        print(
            f"| {name} | {ms:,.1f} | x{ms / baseline:.1f} | {statements} | "
            f"{size / 1024:,.0f} | {zipped / 1024:,.1f} |"
        )
    figures = browser_figures(url, folder, options.events)
    print()
    for name, value in figures.items():
        print(f"- {name}: {value:,.1f}")


if __name__ == "__main__":
    main()
