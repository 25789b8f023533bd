"""A report table: one structure that the page, its chart and its CSV export all read, so
the three cannot disagree."""

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

Value = str | int | float | None

# Spreadsheets run a cell that starts with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell_text(value: Value) -> str:
    """How a value reads, on the page and in the CSV alike. No data is an empty string."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


@dataclass
class Table:
    key: str  # the export's name: /reports/<key>.csv
    title: str
    columns: list[str]
    rows: Iterable[list[Value]]
    # The chart beside the table: which column holds the category, which the value.
    chart_label: int = 0
    chart_value: int | None = None
    chart_title: str = ""
    chart_kind: str = "bars"  # "bars" (horizontal, long labels) or "columns" (hours, weekdays)
    note: str = ""
    extra: dict = field(default_factory=dict)

    def text_rows(self) -> Iterator[list[str]]:
        for row in self.rows:
            yield [cell_text(v) for v in row]

    @property
    def numeric_columns(self) -> set[int]:
        """Columns holding numbers (right-aligned on the page)."""
        return {
            i
            for row in self.rows
            for i, v in enumerate(row)
            if isinstance(v, (int, float)) and not isinstance(v, bool)
        }

    @property
    def chart_points(self) -> list[tuple[str, float | None]]:
        if self.chart_value is None:
            return []
        return [(cell_text(r[self.chart_label]), r[self.chart_value]) for r in self.rows]


def _safe(text: str) -> str:
    """Neutralise spreadsheet formulas in text cells (numbers stay numbers)."""
    if text.startswith(_FORMULA_START):
        try:
            float(text)
        except ValueError:
            return "'" + text
    return text


def csv_lines(table: Table) -> Iterator[str]:
    """The table as CSV, one line at a time (the caller streams them)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(cells: list[str]) -> str:
        writer.writerow([_safe(c) for c in cells])
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield line(table.columns)
    for row in table.text_rows():
        yield line(row)
