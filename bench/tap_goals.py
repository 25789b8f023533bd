"""The status core's goals (issue 16), from one run: what a tap costs against the baselines.

    .venv/bin/python -m bench.tap_goals                    # 1x and 100x data, SQLite
    .venv/bin/python -m bench.tap_goals --quick            # seconds-long load phases

For each data size it builds a fresh SQLite database (bench/dataset.py), then:

* in this process (Flask's test client, no network): the server time, SQL statements and
  SQLite write-lock time of Accept, En route and On scene (pages.measure_taps), and of the
  authenticated one-insert baseline (bench/auth_baseline.py: signed session + CSRF + the
  user's row + one insert and commit), medians;
* under gunicorn (2 gthread workers x 8 threads, as bench/run.py): status changes at
  saturation against the bare one-insert endpoint (bench/baseline_app.py), and at 100x
  the tap p95 with 100 responders tapping every 5 s.

Prints the goal table (markdown) and writes it into bench/RESULTS.md's "Status core goals"
section. Ratios are against baselines from the same run, so a shared machine shifts both.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import statistics
import sys
import tempfile
from pathlib import Path

from . import client, dataset, pages
from .dataset import Sizes
from .results import percentile
from .servers import ROOT, Gunicorn, app_env, gunicorn

RESULTS = ROOT / "bench" / "RESULTS.md"
START, END = "<!-- tap-goals:start -->", "<!-- tap-goals:end -->"
TAPS = ("accept", "en_route", "on_scene")


def in_process(url: str, team, cycles: int) -> dict:
    costs = {c.action: c for c in pages.measure_taps(url, team, cycles)}
    base = pages.measure_auth_insert(url, team.username, cycles * 3)
    taps = [costs[a] for a in TAPS]
    return {
        "tap_ms": statistics.median(c.milliseconds for c in taps),
        "by_tap_ms": {c.action: c.milliseconds for c in taps},
        "statements": max(c.queries for c in taps),
        "by_tap_statements": {c.action: c.queries for c in taps},
        "lock_ms": statistics.median(c.lock_ms for c in taps),
        "base_ms": base.milliseconds,
        "base_statements": base.queries,
    }


async def under_load(url: str, teams, folder: Path, seconds: float, paced_seconds: float | None):
    server = Gunicorn()
    baseline_url = f"sqlite:///{folder / 'baseline.db'}"
    dataset.create_baseline_table(baseline_url, "baseline_writes")
    env = {**os.environ, "BENCH_BASELINE_DATABASE_URL": baseline_url}
    out = {}
    with gunicorn(
        "bench.baseline_app:app", env, server, folder / "baseline.log", "/const"
    ) as baseline:
        insert = await client.saturate_url(f"{baseline}/insert", "POST", 32, seconds)
        out["insert_rps"] = insert.per_second
    with gunicorn("app:app", app_env(url), server, folder / "app.log", "/login") as base:
        dispatcher = await client.sign_in(base, "dispatch")
        responders = await client.sign_in_responders(base, teams, keep_alive=True)
        try:
            if paced_seconds:
                paced = await client.paced(responders, dispatcher, 5.0, paced_seconds)
                taps = [s * 1000 for s in paced.all_taps]
                out["paced_p95_ms"] = percentile(taps, 95)
                out["paced_taps"] = len(taps)
                out["paced_failed"] = sum(paced.failures.values())
            changes = await client.saturate_taps(responders[:32], dispatcher, seconds)
            out["changes_rps"] = changes.per_second
            out["changes_failed"] = changes.failed
        finally:
            await dispatcher.close()
            await asyncio.gather(*(r.signed_in.close() for r in responders))
    return out


def measure(scale: int, folder: Path, quick: bool, responders: int) -> dict:
    url = f"sqlite:///{folder / f'goals-{scale}.db'}"
    print(f"{scale}x: building the data", file=sys.stderr, flush=True)
    dataset.build(url, scale, Sizes())
    seconds = 3.0 if quick else 10.0
    paced_seconds = (5.0 if quick else 15.0) if scale > 1 else None
    calls = [math.ceil(seconds * 60)] * responders
    cycles = 5 if quick else 20
    *teams, counted = dataset.add_load_teams(url, responders + 1, [*calls, cycles + 2])
    print(f"{scale}x: in-process taps", file=sys.stderr, flush=True)
    figures = in_process(url, counted, cycles)
    print(f"{scale}x: under gunicorn", file=sys.stderr, flush=True)
    figures.update(asyncio.run(under_load(url, teams, folder, seconds, paced_seconds)))
    return figures


def table(one: dict, hundred: dict) -> str:
    def ratio(a, b):
        return a / b if b else float("nan")

    rows = [
        (
            "tap server time vs authenticated one-insert",
            "about 10x",
            "<= 3x at 1x and at 100x",
            f"{ratio(one['tap_ms'], one['base_ms']):.1f}x at 1x "
            f"({one['tap_ms']:.2f} / {one['base_ms']:.2f} ms); "
            f"{ratio(hundred['tap_ms'], hundred['base_ms']):.1f}x at 100x "
            f"({hundred['tap_ms']:.2f} / {hundred['base_ms']:.2f} ms)",
        ),
        (
            "tap server time, 100x data vs 1x",
            "2.6x",
            "<= 1.2x",
            f"{ratio(hundred['tap_ms'], one['tap_ms']):.2f}x "
            f"({hundred['tap_ms']:.2f} / {one['tap_ms']:.2f} ms)",
        ),
        (
            "SQLite write lock held per tap",
            "about 3 ms",
            "<= 0.5 ms",
            f"{one['lock_ms']:.2f} ms at 1x, {hundred['lock_ms']:.2f} ms at 100x",
        ),
        (
            "status changes at saturation vs bare insert (2 gthread workers)",
            "0.043",
            ">= 0.25",
            f"{ratio(one['changes_rps'], one['insert_rps']):.3f} at 1x "
            f"({one['changes_rps']:.0f} / {one['insert_rps']:.0f} per s); "
            f"{ratio(hundred['changes_rps'], hundred['insert_rps']):.3f} at 100x "
            f"({hundred['changes_rps']:.0f} / {hundred['insert_rps']:.0f} per s)",
        ),
        (
            "SQL statements per tap (Accept, En route, On scene)",
            "13",
            "<= 6",
            " / ".join(str(one["by_tap_statements"][a]) for a in TAPS)
            + f" (authenticated one-insert: {one['base_statements']})",
        ),
        (
            "tap p95 with 100 responders tapping every 5 s, at 100x",
            "60 ms",
            "< 30 ms",
            f"{hundred.get('paced_p95_ms', float('nan')):.1f} ms "
            f"({hundred.get('paced_taps', 0)} taps, {hundred.get('paced_failed', 0)} failed)",
        ),
    ]
    lines = ["| figure | before | goal | now |", "| --- | --- | --- | --- |"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return "\n".join(lines)


def write(section: str) -> None:
    old = RESULTS.read_text()
    if START in old and END in old:
        new = old[: old.index(START)] + section + old[old.index(END) + len(END) :]
    else:
        new = old.rstrip("\n") + "\n\n" + section + "\n"
    RESULTS.write_text(new)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="short load phases")
    parser.add_argument("--responders", type=int, default=100)
    parser.add_argument("--no-write", action="store_true", help="print only")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        one = measure(1, Path(folder), options.quick, options.responders)
        hundred = measure(100, Path(folder), options.quick, options.responders)
    text = table(one, hundred)
    detail = (
        f"\n\nPer tap at 1x: server time {one['by_tap_ms']}, statements {one['by_tap_statements']}; "
        f"at 100x: {hundred['by_tap_ms']}, {hundred['by_tap_statements']}."
    )
    print(text + detail)
    if not options.no_write:
        write(
            f"{START}\n## Status core goals (issue 16): `python -m bench.tap_goals`\n\n"
            + text
            + detail
            + f"\n{END}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
