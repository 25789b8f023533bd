"""Figures, their goals, and bench/RESULTS.md.

The harness owns one section of RESULTS.md, between two marker comments; other sections
(written by hand or by other benchmarks) are left as they are.
"""

import json
import os
import platform
import sqlite3
import statistics
import subprocess
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START = "<!-- bench:harness:start (written by python -m bench; edits inside are overwritten) -->"
END = "<!-- bench:harness:end -->"


@dataclass
class Goal:
    text: str  # as the issue states it, e.g. "p95 < 50 ms"
    check: Callable[[float], bool]
    # How far off a measured value is: > 1 means missed, by that factor.
    miss: Callable[[float], float]


def at_least(limit: float, unit: str = "") -> Goal:
    return Goal(
        f">= {limit:g}{unit}", lambda v: v >= limit, lambda v: limit / v if v else float("inf")
    )


def below(limit: float, unit: str = "") -> Goal:
    return Goal(f"< {limit:g}{unit}", lambda v: v < limit, lambda v: v / limit)


def at_most(limit: float, unit: str = "") -> Goal:
    return Goal(f"<= {limit:g}{unit}", lambda v: v <= limit, lambda v: v / limit)


@dataclass
class Figure:
    key: str  # stable name, e.g. "tap.p95@10x"
    label: str
    value: float | None
    unit: str
    goal: Goal | None = None
    note: str = ""

    @property
    def met(self) -> bool | None:
        if self.goal is None:
            return None
        return self.value is not None and self.goal.check(self.value)

    def shown(self) -> str:
        if self.value is None:
            return "not measured"
        return f"{format_number(self.value)} {self.unit}".strip()


def format_number(value: float) -> str:
    if float(value).is_integer() and abs(value) < 1000:
        return str(int(value))
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0-100), nearest rank; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))  # ceil
    return ordered[int(rank) - 1]


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


@dataclass
class Report:
    """Everything one run measured, plus the tables that explain the headline figures."""

    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    settings: dict = field(default_factory=dict)
    figures: list[Figure] = field(default_factory=list)
    tables: list[tuple[str, list[str], list[list[str]]]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    machine: str = field(default_factory=lambda: machine())

    def add(self, *figures: Figure) -> None:
        self.figures.extend(figures)

    def get(self, key: str) -> Figure | None:
        return next((f for f in self.figures if f.key == key), None)

    def table(self, title: str, header: list[str], rows: list[list[str]]) -> None:
        self.tables.append((title, header, rows))

    @property
    def missed(self) -> list[Figure]:
        return [f for f in self.figures if f.met is False]

    def worst(self) -> Figure | None:
        missed = [f for f in self.missed if f.value is not None]
        return max(missed, key=lambda f: f.goal.miss(f.value), default=None) or (
            self.missed[0] if self.missed else None
        )

    def as_json(self) -> dict:
        return {
            "started": self.started.isoformat(),
            "settings": self.settings,
            "figures": [
                {
                    **{k: v for k, v in asdict(f).items() if k != "goal"},
                    "goal": f.goal.text if f.goal else None,
                    "met": f.met,
                }
                for f in self.figures
            ],
        }

    def markdown(self) -> str:
        lines = [
            START,
            "## Load, latency and page budgets",
            "",
            f"Measured {self.started:%Y-%m-%d %H:%M} UTC by `python -m bench` on commit "
            f"`{commit()}`; {self.machine}.",
            "",
            *[f"- {k}: {v}" for k, v in self.settings.items()],
            "",
            "### Goals",
            "",
            "| figure | measured | goal | met |",
            "| --- | --- | --- | --- |",
        ]
        for f in self.figures:
            if f.goal is not None:
                verdict = "yes" if f.met else "**no**"
                lines.append(f"| {f.label} | {f.shown()} | {f.goal.text} | {verdict} |")
        worst = self.worst()
        lines += [
            "",
            f"Worst offender: {worst.label} ({worst.shown()}, goal {worst.goal.text})."
            if worst
            else "Every goal met.",
        ]
        lines += ["", "### Every figure", "", "| figure | measured | note |", "| --- | --- | --- |"]
        for f in self.figures:
            lines.append(f"| {f.label} | {f.shown()} | {f.note} |")
        for title, header, rows in self.tables:
            lines += [
                "",
                f"### {title}",
                "",
                "| " + " | ".join(header) + " |",
                "|" + " --- |" * len(header),
            ]
            lines += ["| " + " | ".join(row) + " |" for row in rows]
        if self.notes:
            lines += ["", "### Notes", "", *[f"- {n}" for n in self.notes]]
        lines += [END]
        return "\n".join(lines) + "\n"


def write_section(path: Path, section: str) -> None:
    """Replace the harness's section of `path`, keeping everything else in the file."""
    old = path.read_text() if path.exists() else "# Benchmark results\n\n"
    if START in old and END in old:
        before = old[: old.index(START)]
        after = old[old.index(END) + len(END) :].lstrip("\n")
        new = before + section + ("\n" + after if after else "")
    else:
        new = old.rstrip("\n") + "\n\n" + section
    path.write_text(new)


def write_json(path: Path, report: Report) -> None:
    path.write_text(json.dumps(report.as_json(), indent=2) + "\n")


def commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
        return out + ("+uncommitted changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def machine() -> str:
    memory = ""
    try:
        with open("/proc/meminfo") as meminfo:
            kb = int(next(line for line in meminfo if line.startswith("MemTotal")).split()[1])
        memory = f", {kb / 1024 / 1024:.1f} GiB memory"
    except (OSError, StopIteration, ValueError):
        pass
    load = ""
    if hasattr(os, "getloadavg"):
        load = f", load average {os.getloadavg()[0]:.2f} at the start"
    return (
        f"{os.cpu_count()} cores{memory}{load}; {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )
