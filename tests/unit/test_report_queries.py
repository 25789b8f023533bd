"""The report's arithmetic: percentiles, local days and hours, chart scales, CSV cells."""

import statistics
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from heart_field.extensions import db
from heart_field.models import Incident
from heart_field.reports.charts import bars, columns, nice_max
from heart_field.reports.queries import Period, epoch_seconds, percentile
from heart_field.reports.tables import Table, cell_text, csv_lines
from tests.conftest import make_incident

NY = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("values", "p", "expected"),
    [
        ([4, 6, 9, 10, 15], 0.5, 9),  # odd count: the middle value
        ([4, 6, 9, 10, 15], 0.9, 13),  # h = 4 * 0.9 = 3.6: 10 + 0.6 * (15 - 10)
        ([4, 6, 9, 10], 0.5, 7.5),  # even count: halfway between the middle two
        ([4, 6, 9, 10], 0.9, 9.7),  # h = 3 * 0.9 = 2.7: 9 + 0.7 * 1
        ([7], 0.5, 7),
        ([7], 0.9, 7),
        ([1, 100], 0.9, 90.1),  # h = 0.9: 1 + 0.9 * 99
        ([2, 2, 2, 50], 0.5, 2),
    ],
)
def test_percentile_worked_by_hand(values, p, expected):
    assert percentile(values, p) == pytest.approx(expected)


def test_percentile_of_nothing_is_none():
    assert percentile([], 0.5) is None


@given(st.lists(st.integers(min_value=0, max_value=100_000), min_size=2, max_size=200))
def test_percentile_agrees_with_statistics_inclusive(values):
    """Python's statistics.quantiles(method="inclusive") uses the same definition."""
    ordered = sorted(values)
    deciles = statistics.quantiles(ordered, n=10, method="inclusive")
    assert percentile(ordered, 0.9) == pytest.approx(deciles[8])
    assert percentile(ordered, 0.5) == pytest.approx(statistics.median(ordered))


def test_percentile_agrees_with_postgresql_percentile_cont(app):
    """On PostgreSQL, percentile_cont over the same numbers gives the same answers."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("percentile_cont is PostgreSQL's")
    values = [3, 17, 4, 4, 250, 61, 9, 12, 5, 33, 2]
    rows = " UNION ALL ".join(f"SELECT {v} AS v" for v in values)
    median, p90 = db.session.execute(
        text(
            f"SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY v), "
            f"percentile_cont(0.9) WITHIN GROUP (ORDER BY v) FROM ({rows}) t"
        )
    ).one()
    assert percentile(sorted(values), 0.5) == pytest.approx(median)
    assert percentile(sorted(values), 0.9) == pytest.approx(p90)


def test_epoch_seconds_in_sql_matches_python(app):
    """The database's epoch for a stored time is the time's own timestamp (to the millisecond)."""
    when = datetime(2026, 3, 8, 6, 59, 59, 250000, tzinfo=UTC)
    make_incident("E1", received_at=when)
    stored = db.session.scalar(select(epoch_seconds(Incident.received_at)))
    assert stored == pytest.approx(when.timestamp(), abs=0.001)
    assert (
        db.session.scalar(
            select(func.count()).where(epoch_seconds(Incident.received_at) > when.timestamp() - 1)
        )
        == 1
    )


def test_local_days_across_daylight_saving():
    """A local day is 23 hours when clocks go forward and 25 when they go back."""
    spring = Period(date(2026, 3, 8), date(2026, 3, 8), NY)
    assert spring.start == datetime(2026, 3, 8, 5, tzinfo=UTC)
    assert spring.end - spring.start == timedelta(hours=23)
    autumn = Period(date(2026, 11, 1), date(2026, 11, 1), NY)
    assert autumn.end - autumn.start == timedelta(hours=25)
    week = Period(date(2026, 6, 1), date(2026, 6, 7), NY)
    assert (week.days, week.start.hour) == (7, 4)


def test_utc_offsets_of_a_period():
    """Stretches of one UTC offset, split exactly where the clocks change."""
    assert Period(date(2026, 6, 1), date(2026, 6, 30), NY).utc_offsets() == [
        (datetime(2026, 6, 1, 4, tzinfo=UTC), -4 * 3600)
    ]
    year = Period(date(2026, 1, 1), date(2026, 12, 31), NY).utc_offsets()
    assert [(t, o // 3600) for t, o in year] == [
        (datetime(2026, 1, 1, 5, tzinfo=UTC), -5),
        (datetime(2026, 3, 8, 7, tzinfo=UTC), -4),
        (datetime(2026, 11, 1, 6, tzinfo=UTC), -5),
    ]


@pytest.mark.parametrize(
    ("utc", "hour", "weekday"),
    [
        ((2026, 3, 8, 6, 59, 59), 1, 6),  # 01:59:59 EST, Sunday
        ((2026, 3, 8, 7, 0, 0), 3, 6),  # 03:00 EDT: 02:00 never happens
        ((2026, 11, 1, 5, 30, 0), 1, 6),  # 01:30 EDT
        ((2026, 11, 1, 6, 30, 0), 1, 6),  # 01:30 EST, the second time
        ((2026, 11, 2, 4, 59, 59), 23, 6),
        ((2026, 11, 2, 5, 0, 0), 0, 0),  # Monday
        ((2026, 6, 1, 13, 0, 0), 9, 0),
        ((2027, 1, 1, 4, 59, 59), 23, 3),  # New Year's Eve, a Thursday
    ],
)
def test_local_hour_and_weekday_in_sql(app, utc, hour, weekday):
    """The database's local hour and weekday agree with zoneinfo on both sides of each change."""
    when = datetime(*utc, 250000, tzinfo=UTC)
    make_incident("T1", received_at=when)
    period = Period(date(2026, 1, 1), date(2026, 12, 31), NY)
    found = db.session.scalar(select(period.hour_of_week(Incident.received_at)))
    local = when.astimezone(NY)
    assert (found % 24, found // 24) == (local.hour, local.weekday()) == (hour, weekday)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, 1), (0.4, 0.5), (7, 10), (10, 10), (12, 20), (21, 50), (26, 50), (1234, 2000)],
)
def test_chart_axis_rounds_up(value, expected):
    assert nice_max(value) == pytest.approx(expected)


def test_bar_lengths_are_proportional():
    chart = bars([("Resolved", 30), ("Transported", 15), ("None", None)])
    widths = [b.width for b in chart.bars]
    assert widths[0] == pytest.approx(2 * widths[1]) and widths[2] == 0
    assert chart.bars[2].value_text == "no data"
    long = bars([("Safety risk (weapons or medical emergency) reported", 3)]).bars[0]
    assert long.label == "Safety risk (weapons or medical emerg…"
    assert long.title.endswith("emergency) reported")
    assert not chart.empty
    hours = columns([(f"{h:02d}:00", h % 3) for h in range(24)])
    assert hours.bars[2].height == pytest.approx(2 * hours.bars[1].height)
    assert hours.bars[5].label == "05"
    assert columns([("Monday", 0)]).empty


def test_cells_read_the_same_everywhere():
    assert [cell_text(v) for v in (None, 3, 2.25, 14.0, "x")] == ["", "3", "2.2", "14.0", "x"]


def test_csv_lines_stream_one_row_at_a_time_and_neutralise_formulas():
    rows = iter([["=cmd|' /C calc'!A0", -2.5, None], ["@SUM(A1)", 3, "plain"]])
    lines = csv_lines(Table("t", "T", ["a", "b", "c"], rows))
    assert next(lines) == "a,b,c\r\n"
    assert next(lines) == "'=cmd|' /C calc'!A0,-2.5,\r\n"
    assert next(lines) == "'@SUM(A1),3,plain\r\n"
