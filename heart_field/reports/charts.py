"""Bar-chart geometry for the report's server-rendered SVG (templates/reports/_chart.html).

Pure arithmetic in SVG user units: the template draws with x, y, width and height
attributes and colours through CSS classes, so no inline style is needed (strict CSP).
"""

from dataclasses import dataclass
from math import ceil, log10

from .tables import Table, cell_text


@dataclass(frozen=True)
class Bar:
    label: str
    value_text: str
    x: float
    y: float
    width: float
    height: float
    label_x: float
    label_y: float
    value_x: float
    value_y: float
    title: str = ""  # the whole label, for the bar's tooltip


@dataclass(frozen=True)
class Tick:
    text: str
    x1: float
    y1: float
    x2: float
    y2: float
    text_x: float
    text_y: float


@dataclass(frozen=True)
class Chart:
    kind: str
    width: float
    height: float
    bars: list[Bar]
    ticks: list[Tick]
    empty: bool


def nice_max(value: float) -> float:
    """A round axis maximum at or above value: 1, 2 or 5 times a power of ten (so its
    fifths, the grid lines, are round too)."""
    if value <= 0:
        return 1.0
    power = 10 ** floor_log(value)
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def floor_log(value: float) -> int:
    return int(ceil(log10(value))) - 1


def chart_for(table: Table) -> Chart | None:
    points = table.chart_points
    if not points:
        return None
    if table.chart_kind == "columns":
        return columns(points)
    return bars(points)


def _ticks_values(top: float) -> list[float]:
    return [top * i / 5 for i in range(6)]


def _tick_text(value: float) -> str:
    return cell_text(int(value)) if float(value).is_integer() else cell_text(value)


# Charts are drawn one SVG unit to one CSS pixel (the page does not shrink them: see app.css),
# so their 16 px text reads at the page's body size. A bar chart is narrow enough for a phone:
# each label sits above its bar. What fits on that line; the full label is in the table.
LABEL_CHARS = 38


def bars(points: list[tuple[str, float | None]]) -> Chart:
    """Horizontal bars, one per category, each under its label (long names, narrow screens)."""
    left, plot_w, right = 8.0, 286.0, 56.0
    label_h, bar_h, gap, top_pad, bottom_pad = 20.0, 20.0, 10.0, 4.0, 30.0
    row_h = label_h + bar_h + gap
    values = [v or 0 for _, v in points]
    top = nice_max(max(values, default=0))
    height = top_pad + row_h * len(points) + bottom_pad
    result = []
    for i, (label, value) in enumerate(points):
        y = top_pad + i * row_h
        w = plot_w * (value or 0) / top
        short = label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1].rstrip() + "…"
        result.append(
            Bar(
                short,
                cell_text(value) if value is not None else "no data",
                left,
                y + label_h,
                w,
                bar_h,
                left,
                y + label_h - 5,
                left + w + 6,
                y + label_h + bar_h - 5,
                label,
            )
        )
    axis_y = top_pad + row_h * len(points)
    ticks = [
        Tick(
            _tick_text(v),
            left + plot_w * v / top,
            top_pad,
            left + plot_w * v / top,
            axis_y,
            left + plot_w * v / top,
            axis_y + 20,
        )
        for v in _ticks_values(top)
    ]
    return Chart("bars", left + plot_w + right, height, result, ticks, not any(values))


def columns(points: list[tuple[str, float | None]]) -> Chart:
    """Vertical columns: hours of the day or days of the week along the bottom."""
    left, col_w, plot_h, top_pad, bottom = (
        50.0,
        28.0 if len(points) > 12 else 80.0,
        200.0,
        20.0,
        30.0,
    )
    values = [v or 0 for _, v in points]
    top = nice_max(max(values, default=0))
    result = []
    for i, (label, value) in enumerate(points):
        h = plot_h * (value or 0) / top
        x = left + i * col_w
        short = label[:2] if len(points) > 12 else label[:3]
        result.append(
            Bar(
                short,
                cell_text(value) if value is not None else "no data",
                x + 3,
                top_pad + plot_h - h,
                col_w - 6,
                h,
                x + col_w / 2,
                top_pad + plot_h + 18,
                x + col_w / 2,
                top_pad + plot_h - h - 4,
                label,
            )
        )
    right = left + col_w * len(points)
    ticks = [
        Tick(
            _tick_text(v),
            left,
            top_pad + plot_h - plot_h * v / top,
            right,
            top_pad + plot_h - plot_h * v / top,
            left - 6,
            top_pad + plot_h - plot_h * v / top + 5,
        )
        for v in _ticks_values(top)
    ]
    return Chart("columns", right + 10, top_pad + plot_h + bottom, result, ticks, not any(values))
