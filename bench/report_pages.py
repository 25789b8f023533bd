"""Every report page that takes no arguments, timed in-process at one data size, with the
sign-in page (GET /login) in the same run as the baseline. Run by hand:

    python -m bench.report_pages --scale 100 --database-url sqlite:///path/scale-100.db [--reuse]
    python -m bench.report_pages --scale 100 --database-url postgresql+psycopg://.../db

The data is `python -m bench`'s own (bench/dataset.py, built with `dataset.build`); with
--reuse an existing database already holding that scale is measured as it is. Server time is
the median of --repeats requests through Flask's test client after one warm-up (no network);
SQL statements are those the request's own thread sent. --explain also prints each statement
of /reports/ with its time when run alone (rows fully fetched) and its plan (EXPLAIN QUERY
PLAN on SQLite, EXPLAIN ANALYZE on PostgreSQL), to find the slow ones.
"""

import argparse
import os
import platform
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import event

from heart_field.config import Config
from heart_field.extensions import db
from heart_field.reports.forms import MAX_DAYS

from . import dataset, pages
from .dataset import Sizes


def _counts(url: str) -> dict[str, int]:
    with dataset.make_app(url).app_context():
        counts = dataset.row_counts()
        db.engine.dispose()
    return counts


def longer_ranges() -> list[str]:
    """/reports/ over the last year and the longest range the form takes (five years)."""
    today = datetime.now(ZoneInfo(Config.HEART_TIMEZONE)).date()
    return [
        f"/reports/?start={today - timedelta(days=days - 1)}&end={today}"
        for days in (365, MAX_DAYS - 1)
    ]


def measure(url: str, repeats: int, extra: list[str]) -> list[tuple[str, float, int, float]]:
    """(path, median ms, statements, KB) for GET /login, then every report page, then the
    extra paths (as the supervisor)."""
    rows = []
    with pages.Counted(url) as counted:
        report_pages = [p for p in pages.pages_for(counted.app) if p.path.startswith("/reports")]
        signed_out = counted.app.test_client()
        supervisor = counted.client("supervisor")[0]
        for path, client in [
            ("/login", signed_out),
            *[(p.path, counted.client(p.username)[0]) for p in report_pages],
            *[(path, supervisor) for path in extra],
        ]:
            client.get(path)  # warm: templates compiled, pool filled
            times, statements = [], []
            for _ in range(repeats):
                took, sent, answer = counted.timed(lambda: client.get(path))
                if answer.status_code != 200:
                    raise RuntimeError(f"{path} answered {answer.status_code}")
                times.append(took)
                statements.append(sent)
            rows.append(
                (path, statistics.median(times) * 1000, max(statements), len(answer.data) / 1024)
            )
    return rows


def explain(url: str, path: str = "/reports/") -> None:
    """Each statement one request sends, run again alone: its time and its plan."""
    with pages.Counted(url) as counted:
        client, _ = counted.client("supervisor")
        client.get(path)
        sent = []
        me = threading.get_ident()

        def keep(_conn, _cursor, statement, parameters, *_):
            if threading.get_ident() == me:
                sent.append((statement, parameters))

        event.listen(counted.engine, "before_cursor_execute", keep)
        client.get(path)
        event.remove(counted.engine, "before_cursor_execute", keep)
        postgresql = counted.engine.dialect.name == "postgresql"
        connection = counted.engine.raw_connection()
        try:
            for statement, parameters in sent:
                cursor = connection.cursor()
                started = time.perf_counter()
                cursor.execute(statement, parameters)
                rows = cursor.fetchall()
                took = (time.perf_counter() - started) * 1000
                print(f"\n-- {took:.1f} ms, {len(rows)} rows\n{statement}")
                prefix = "EXPLAIN ANALYZE " if postgresql else "EXPLAIN QUERY PLAN "
                cursor.execute(prefix + statement, parameters)
                for row in cursor.fetchall():
                    print("   ", row[-1] if not postgresql else row[0])
                cursor.close()
            connection.rollback()
        finally:
            connection.close()


def table(rows, scale: int, counts: dict, repeats: int, database: str) -> str:
    baseline = rows[0][1]
    lines = [
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}: {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {database}, load average "
        f"{os.getloadavg()[0]:.1f}.",
        f"Data at {scale}x: " + ", ".join(f"{n:,} {what}" for what, n in counts.items()) + ".",
        "",
        f"| page | server time (median of {repeats}) | x sign-in page | SQL statements | size |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for path, ms, statements, kb in rows:
        lines.append(
            f"| `{path}` | {ms:,.1f} ms | {ms / baseline:,.1f} | {statements} | {kb:,.0f} KB |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=100)
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary folder")
    parser.add_argument("--reuse", action="store_true", help="the database holds the data already")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--explain", action="store_true", help="each statement's time and plan")
    parser.add_argument(
        "--ranges", action="store_true", help="also /reports/ over a year and over five years"
    )
    options = parser.parse_args()
    url = options.database_url or (
        f"sqlite:///{Path(tempfile.mkdtemp(prefix='heart-report-pages-')) / 'reports.db'}"
    )
    if options.reuse:
        dataset.migrate(url)  # a reused database gets any newer migration (indexes)
    else:
        dataset.build(url, options.scale, Sizes())
    counts = _counts(url)
    rows = measure(url, options.repeats, longer_ranges() if options.ranges else [])
    database = "PostgreSQL" if dataset.is_postgresql(url) else "SQLite (WAL)"
    print(table(rows, options.scale, counts, options.repeats, database))
    if options.explain:
        explain(url)


if __name__ == "__main__":
    main()
