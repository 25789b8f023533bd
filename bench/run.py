"""The benchmark run: baselines, then each data size in turn, then RESULTS.md."""

import argparse
import asyncio
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import browser, client, dataset, pages, wrk
from .dataset import Sizes
from .results import (
    Figure,
    Report,
    at_least,
    at_most,
    below,
    format_number,
    median,
    percentile,
    write_json,
    write_section,
)
from .servers import ROOT, Gunicorn, app_env, gunicorn

RESULTS = ROOT / "bench" / "RESULTS.md"
BOARD_RESPONDER, BOARD_TEAM = "cr1-1", "CR-1"  # the demo shift's first responder and team


@dataclass(frozen=True)
class Plan:
    scales: tuple[int, ...] = (1, 10, 100)
    sizes: Sizes = field(default_factory=Sizes)
    responders: int = 100
    tap_interval: float = 5.0
    paced_seconds: float = 15.0
    saturate_seconds: float = 10.0
    connections: int = 32
    board_taps: int = 30
    page_repeats: int = 3
    tap_cycles: int = 5  # in-process, for server time and SQL statements per tap
    server: Gunicorn = field(default_factory=Gunicorn)


# Seconds, not minutes: keeps the harness working in CI; its figures mean little.
SMOKE = Plan(
    sizes=Sizes(teams_per_x=1, open_per_x=1, history_per_x=5),
    responders=4,
    tap_interval=0.5,
    paced_seconds=1.5,
    saturate_seconds=1,
    connections=4,
    board_taps=3,
    page_repeats=1,
    tap_cycles=1,
)


@dataclass
class Options:
    plan: Plan
    database_url: str | None
    use_wrk: bool
    folder: Path


_START = time.monotonic()


def progress(message: str) -> None:
    """One line on stderr as each phase starts, with the seconds since the run started."""
    print(f"bench [{time.monotonic() - _START:6.1f} s] {message}", file=sys.stderr, flush=True)


def scale_key(key: str, scale: int) -> str:
    return f"{key}@{scale}x"


async def run(options: Options) -> Report:
    plan = options.plan
    report = Report()
    report.settings = _settings(options)
    folder = options.folder
    baseline_url = options.database_url or f"sqlite:///{folder / 'baseline.db'}"
    baseline_table = "bench_baseline.baseline_writes" if options.database_url else "baseline_writes"
    dataset.create_baseline_table(baseline_url, baseline_table)
    baseline_env = {
        **os.environ,
        "BENCH_BASELINE_DATABASE_URL": baseline_url,
        "BENCH_BASELINE_TABLE": baseline_table,
    }
    with gunicorn(
        "bench.baseline_app:app", baseline_env, plan.server, folder / "baseline.log", "/const"
    ) as baseline:
        const = await _saturate_url(options, f"{baseline}/const", "GET")
        report.add(
            Figure(
                "baseline.const.rps",
                "Bare constant endpoint (for scale)",
                const.per_second,
                "req/s",
                note=_failures(const),
            )
        )
        for scale in plan.scales:
            await _run_scale(options, report, scale, baseline)
    _growth_table(report, plan)
    progress("done")
    return report


async def _run_scale(options: Options, report: Report, scale: int, baseline: str) -> None:
    plan = options.plan
    url = options.database_url or f"sqlite:///{options.folder / f'scale-{scale}.db'}"
    progress(f"{scale}x: building the data")
    counts = dataset.build(url, scale, plan.sizes)
    progress(f"{scale}x: measuring pages")
    report.settings[f"data at {scale}x"] = ", ".join(f"{n:,} {what}" for what, n in counts.items())

    for cost in pages.measure(url, plan.page_repeats):
        name = cost.page.name
        report.add(
            Figure(
                scale_key(f"page.ms:{name}", scale),
                f"{name} server time at {scale}x",
                cost.milliseconds,
                "ms",
                note=f"median of {plan.page_repeats}, in-process",
            ),
            Figure(
                scale_key(f"page.queries:{name}", scale),
                f"{name} SQL statements at {scale}x",
                cost.queries,
                "",
            ),
            Figure(
                scale_key(f"page.kb:{name}", scale),
                f"{name} size at {scale}x",
                cost.kilobytes,
                "KB",
                note="uncompressed HTML",
            ),
        )

    progress(f"{scale}x: starting the app")
    with gunicorn(
        "app:app", app_env(url), plan.server, options.folder / "app.log", "/login"
    ) as base:
        dispatcher = await client.sign_in(base, "dispatch")
        try:
            if scale == plan.scales[0]:
                await _browser_figures(report, base, url, dispatcher, plan)
            await _load_figures(options, report, scale, base, url, dispatcher, baseline)
        finally:
            await dispatcher.close()


async def _browser_figures(report: Report, base: str, url: str, dispatcher, plan: Plan) -> None:
    progress("first load")
    downloads = await browser.first_load(base, BOARD_RESPONDER)
    total = sum(d.gzipped_bytes for d in downloads) / 1024
    report.add(
        Figure(
            "first_load.kb",
            "Responder's first visit, gzipped",
            total,
            "KB",
            at_most(60, " KB"),
            note=f"{len(downloads)} responses, headers included; "
            f"{sum(d.raw_bytes for d in downloads) / 1024:.1f} KB uncompressed",
        )
    )
    report.table(
        "First visit (sign-in page, sign in, the responder's screen; not the service worker's offline copies)",
        ["response", "status", "bytes", "gzipped"],
        [
            [d.url.replace(base, ""), str(d.status), f"{d.raw_bytes:,}", f"{d.gzipped_bytes:,}"]
            for d in downloads
        ],
    )

    progress("tap to board")
    calls = dataset.open_calls_without_team(url, math.ceil(plan.board_taps / 3) + 1)
    seen = await browser.tap_to_board(
        base, BOARD_RESPONDER, BOARD_TEAM, dispatcher, calls, plan.board_taps
    )
    report.add(
        Figure(
            "board.median",
            "Tap to board, median",
            median(seen.seconds),
            "s",
            note=f"{len(seen.seconds)} taps",
        ),
        Figure(
            "board.p95",
            "Tap to board, p95",
            percentile(seen.seconds, 95),
            "s",
            below(0.5, " s"),
            note=f"{len(seen.seconds)} taps (En route, On scene, Clear)",
        ),
    )
    report.table(
        "Tap to board, by tap",
        ["tap", "taps", "median", "p95", "slowest"],
        [
            [
                action,
                str(len(s)),
                f"{median(s):.3f} s",
                f"{percentile(s, 95):.3f} s",
                f"{max(s):.3f} s",
            ]
            for action, s in seen.by_action.items()
        ],
    )


async def _load_figures(options, report, scale, base, url, dispatcher, baseline) -> None:
    plan = options.plan
    busy = min(plan.connections, plan.responders)
    # Calls each team may be sent: plenty for the saturating teams, a few for the others.
    calls = [
        math.ceil(plan.saturate_seconds * 60)
        if i < busy
        else math.ceil(plan.paced_seconds / plan.tap_interval / 4) + 2
        for i in range(plan.responders)
    ]
    progress(f"{scale}x: adding responders, tapping in-process")
    # One more team, tapped in this process to count each tap's SQL statements.
    *teams, counted = dataset.add_load_teams(
        url, plan.responders + 1, [*calls, plan.tap_cycles + 2]
    )
    for cost in pages.measure_taps(url, counted, plan.tap_cycles):
        what = "Assign (dispatcher)" if cost.action == "assign" else f"Tap {cost.action}"
        report.add(
            Figure(
                scale_key(f"tap.ms:{cost.action}", scale),
                f"{what} server time at {scale}x",
                cost.milliseconds,
                "ms",
                note=f"median of {plan.tap_cycles}, in-process",
            ),
            Figure(
                scale_key(f"tap.queries:{cost.action}", scale),
                f"{what} SQL statements at {scale}x",
                cost.queries,
                "",
            ),
        )
    progress(f"{scale}x: signing in {len(teams)} responders")
    responders = await client.sign_in_responders(base, teams, keep_alive=True)
    try:
        progress(f"{scale}x: paced taps")
        paced = await client.paced(responders, dispatcher, plan.tap_interval, plan.paced_seconds)
        taps = [s * 1000 for s in paced.all_taps]
        failures = sum(paced.failures.values())
        note = (
            f"{len(taps)} taps by {plan.responders} responders, one every "
            f"{format_number(plan.tap_interval)} s each, for {format_number(plan.paced_seconds)} s; "
            f"{failures} failed"
        )
        report.add(
            Figure(
                scale_key("tap.p50", scale),
                f"Tap latency p50 at {scale}x",
                percentile(taps, 50),
                "ms",
                note=note,
            ),
            Figure(
                scale_key("tap.p95", scale),
                f"Tap latency p95 at {scale}x",
                percentile(taps, 95),
                "ms",
                below(50, " ms"),
                note=note,
            ),
            Figure(
                scale_key("tap.p99", scale),
                f"Tap latency p99 at {scale}x",
                percentile(taps, 99),
                "ms",
                note=note,
            ),
        )
        if failures:
            report.notes.append(f"{scale}x: {failures} paced taps failed: {dict(paced.failures)}")
        report.table(
            f"Tap latency by tap at {scale}x",
            ["tap", "taps", "p50", "p95", "slowest"],
            [
                [
                    a,
                    str(len(s)),
                    f"{percentile(s, 50) * 1000:.1f} ms",
                    f"{percentile(s, 95) * 1000:.1f} ms",
                    f"{max(s) * 1000:.1f} ms",
                ]
                for a, s in sorted(paced.latencies.items())
            ],
        )

        progress(f"{scale}x: saturating the baseline and the app")
        insert = await _saturate_url(options, f"{baseline}/insert", "POST")
        if options.use_wrk:
            changes = wrk.saturate_taps(
                base, responders[:busy], dispatcher, plan.saturate_seconds, options.folder
            )
        else:
            changes = await client.saturate_taps(
                responders[:busy], dispatcher, plan.saturate_seconds
            )
        ratio = changes.per_second / insert.per_second if insert.per_second else None
        report.add(
            Figure(
                scale_key("baseline.insert.rps", scale),
                f"Baseline: one insert + commit at {scale}x",
                insert.per_second,
                "req/s",
                note=_failures(insert),
            ),
            Figure(
                scale_key("tap.rps", scale),
                f"Status changes at saturation at {scale}x",
                changes.per_second,
                "/s",
                note=f"{busy} connections, one team each: 4 taps and 1 assignment a cycle; "
                + _failures(changes),
            ),
            Figure(
                scale_key("tap.ratio", scale),
                f"Status changes / baseline inserts at {scale}x",
                ratio,
                "",
                at_least(0.5),
            ),
        )
    finally:
        await asyncio.gather(*(r.signed_in.close() for r in responders))


async def _saturate_url(options: Options, url: str, method: str) -> client.Saturation:
    plan = options.plan
    if options.use_wrk:
        return wrk.saturate_url(
            url, method, plan.connections, plan.saturate_seconds, options.folder
        )
    return await client.saturate_url(url, method, plan.connections, plan.saturate_seconds)


def _failures(run: client.Saturation) -> str:
    return f"{run.ok:,} in {run.seconds:.1f} s, {run.failed} failed ({run.client})"


def _growth_table(report: Report, plan: Plan) -> None:
    """Each per-size figure beside itself at the other sizes."""
    rows: dict[str, list[str]] = {}
    for f in report.figures:
        if "@" not in f.key:
            continue
        key, size = f.key.rsplit("@", 1)
        label = f.label.rsplit(" at ", 1)[0]
        rows.setdefault(label, ["-"] * len(plan.scales))
        rows[label][plan.scales.index(int(size[:-1]))] = f.shown()
    report.table(
        "Growth",
        ["figure", *[f"{s}x" for s in plan.scales]],
        [[label, *values] for label, values in rows.items()],
    )


def _settings(options: Options) -> dict:
    plan = options.plan
    sizes = plan.sizes
    wrk_version = ""
    if options.use_wrk:
        out = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
        wrk_version = " " + (out.stdout or out.stderr).split(" [")[0].replace("wrk ", "")
    return {
        "server": f"{plan.server.describe()}, production settings (SECRET_KEY set, no debug)",
        "database": (
            "PostgreSQL (given URL)"
            if options.database_url
            else "SQLite file in a temporary folder (WAL, synchronous=NORMAL)"
        ),
        "load client": (
            f"wrk{wrk_version}, one thread per connection, Lua tap cycle"
            if options.use_wrk
            else "Python asyncio (aiohttp)"
        ),
        "data size 1x": f"{sizes.teams_per_x} teams, {sizes.open_per_x} open calls, "
        f"{sizes.history_per_x:,} closed calls with their events (plus the demo shift)",
        "runs": f"saturation {format_number(plan.saturate_seconds)} s at {plan.connections} connections; "
        f"paced taps {format_number(plan.paced_seconds)} s",
        "caution": "the machine is shared with other engineers' work; compare ratios, not absolute rates",
    }


def parse(argv: list[str]) -> tuple[argparse.Namespace, Plan]:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--smoke", action="store_true", help="tiny sizes and seconds-long runs (CI)"
    )
    parser.add_argument("--scales", help="data sizes, e.g. 1,10,100 (default)")
    parser.add_argument(
        "--database-url",
        help="an EMPTY PostgreSQL database to use instead of "
        "temporary SQLite files: its public schema is dropped and rebuilt",
    )
    parser.add_argument(
        "--client",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="closed-loop load client (auto: wrk when installed)",
    )
    parser.add_argument("--seconds", type=float, help="length of each saturation run")
    parser.add_argument(
        "--results",
        type=Path,
        help=f"markdown file whose harness section is rewritten "
        f"(default {RESULTS.relative_to(ROOT)}; none for --smoke)",
    )
    parser.add_argument("--json", type=Path, help="also write every figure as JSON here")
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary folder (logs, databases)"
    )
    args = parser.parse_args(argv)
    plan = SMOKE if args.smoke else Plan()
    if args.scales:
        plan = replace(plan, scales=tuple(int(s) for s in args.scales.split(",")))
    if args.seconds:
        plan = replace(plan, saturate_seconds=args.seconds)
    return args, plan


def main(argv: list[str] | None = None) -> int:
    args, plan = parse(sys.argv[1:] if argv is None else argv)
    if args.client == "wrk" and not wrk.available():
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    if browser.chromium_path() is None:
        print("Chromium is not installed (apt-get install chromium)", file=sys.stderr)
        return 2
    folder = Path(tempfile.mkdtemp(prefix="heart-bench-"))
    options = Options(
        plan,
        args.database_url,
        use_wrk=args.client == "wrk" or (args.client == "auto" and wrk.available()),
        folder=folder,
    )
    try:
        report = asyncio.run(run(options))
    except Exception:
        traceback.print_exc()
        print(f"bench: the run failed; logs are in {folder}", file=sys.stderr)
        return 2
    else:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    results = args.results or (None if args.smoke else RESULTS)
    if results:
        write_section(results, report.markdown())
    if args.json:
        write_json(args.json, report)
    print(report.markdown())
    for f in report.missed:
        print(f"bench: goal missed: {f.label}: {f.shown()} (goal {f.goal.text})", file=sys.stderr)
    return 1 if report.missed else 0
