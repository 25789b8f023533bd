"""Due times from urgency, and overdue across midnight and clock changes (America/New_York)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from heart_field.domain.referrals import due_time, local_when
from heart_field.models import Referral

NY = ZoneInfo("America/New_York")


def local(*args, fold=0) -> datetime:
    return datetime(*args, tzinfo=NY, fold=fold)


def hours_between(start: datetime, end: datetime) -> float:
    """Real elapsed hours (Python subtracts two times in one zone by the wall clock)."""
    return (end.astimezone(UTC) - start.astimezone(UTC)) / timedelta(hours=1)


def test_same_day_is_due_by_the_end_of_the_local_day():
    made = local(2026, 11, 27, 10, 15)
    assert due_time("same_day", made, NY) == local(2026, 11, 27, 23, 59, 59)


def test_same_day_in_the_late_evening_uses_the_local_date_not_the_utc_date():
    made = local(2026, 11, 27, 21, 30)  # already 28 Nov in UTC
    assert made.astimezone(UTC).day == 28
    assert due_time("same_day", made, NY) == local(2026, 11, 27, 23, 59, 59)


def test_within_48_hours_is_48_hours_later():
    made = local(2026, 11, 27, 10, 15)
    assert hours_between(made, due_time("within_48_hours", made, NY)) == 48


def test_routine_is_due_by_the_end_of_the_seventh_local_day():
    made = local(2026, 11, 27, 10, 15)
    assert due_time("routine", made, NY) == local(2026, 12, 4, 23, 59, 59)


def test_48_hours_across_the_autumn_clock_change_is_48_real_hours():
    """Clocks go back on Sun 1 Nov 2026: 48 hours later reads an hour earlier on the clock."""
    made = local(2026, 10, 31, 12, 0)
    due = due_time("within_48_hours", made, NY)
    assert hours_between(made, due) == 48
    assert due.astimezone(NY).hour == 11
    assert local_when(due, NY) == "Mon 2 Nov 11:00"


def test_48_hours_across_the_spring_clock_change_is_48_real_hours():
    """Clocks go forward on Sun 8 Mar 2026: the due time reads an hour later."""
    made = local(2026, 3, 7, 12, 0)
    due = due_time("within_48_hours", made, NY)
    assert hours_between(made, due) == 48
    assert due.astimezone(NY).hour == 13


@pytest.mark.parametrize(
    ("made", "expected_utc"),
    [
        # Routine across the autumn change: end of the 7th day is 23:59:59 EST (UTC-5).
        (local(2026, 10, 30, 9, 0), datetime(2026, 11, 7, 4, 59, 59, tzinfo=UTC)),
        # Routine across the spring change: 23:59:59 EDT (UTC-4).
        (local(2026, 3, 5, 9, 0), datetime(2026, 3, 13, 3, 59, 59, tzinfo=UTC)),
    ],
)
def test_routine_across_clock_changes_ends_at_local_midnight(made, expected_utc):
    assert due_time("routine", made, NY) == expected_utc


def test_same_day_on_the_autumn_change_day_ends_at_local_midnight_after_25_hours():
    made = local(2026, 11, 1, 0, 30)  # the 25-hour day
    due = due_time("same_day", made, NY)
    assert due == datetime(2026, 11, 2, 4, 59, 59, tzinfo=UTC)
    assert hours_between(made, due) == pytest.approx(24 + 29 / 60 + 59 / 3600)


def _referral(due, status="open"):
    return Referral(status=status, due_at=due, next_action_at=due)


def test_a_same_day_referral_becomes_overdue_just_after_local_midnight():
    made = local(2026, 11, 27, 23, 30)
    referral = _referral(due_time("same_day", made, NY))
    assert not referral.is_overdue(local(2026, 11, 27, 23, 59))
    assert referral.is_overdue(local(2026, 11, 28, 0, 0, 30))


def test_overdue_across_the_autumn_clock_change():
    """At 01:30 EDT and 01:30 EST (the hour that happens twice) only the later is overdue
    for a referral due at 06:00 UTC, which is 01:00 EST."""
    referral = _referral(datetime(2026, 11, 1, 6, 0, tzinfo=UTC))
    first = local(2026, 11, 1, 1, 30, fold=0).astimezone(UTC)
    second = local(2026, 11, 1, 1, 30, fold=1).astimezone(UTC)
    assert not referral.is_overdue(first)
    assert referral.is_overdue(second)


def test_a_closed_referral_is_never_overdue():
    referral = _referral(local(2026, 11, 1, 9, 0), status="closed")
    assert not referral.is_overdue(local(2026, 12, 1, 9, 0))
