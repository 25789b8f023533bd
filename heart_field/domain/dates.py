"""How dates and times are written on every screen: one format, "Wed 2 Dec", "Wed 2 Dec 14:05",
with the year only where a range may span years ("Wed 2 Dec 2026"). The Jinja filters
`local_date`, `local_when` and `local_date_time` (heart_field/__init__.py) all come from here;
CSV exports keep ISO 8601 for machines."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo


def day(value: date | datetime, zone: ZoneInfo, year: bool = False) -> str:
    """ "Wed 2 Dec" (or "Wed 2 Dec 2026"); a moment is first put in the local zone."""
    if isinstance(value, datetime):
        value = value.astimezone(zone).date()
    text = f"{value:%a} {value.day} {value:%b}"
    return f"{text} {value.year}" if year else text


def when(moment: datetime, zone: ZoneInfo, seconds: bool = False) -> str:
    """ "Wed 2 Dec 14:05", in the local zone (with ":07" seconds for the audit trail)."""
    local = moment.astimezone(zone)
    return (
        f"{day(local, zone)} {local:%H:%M:%S}" if seconds else f"{day(local, zone)} {local:%H:%M}"
    )


def elapsed(delta: timedelta) -> str:
    """A wait as people say it: "40 min", "3 h", "3 h 20 min", "2 days 4 h"."""
    minutes = max(0, round(delta.total_seconds() / 60))
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} days {hours} h" if hours else f"{days} days"
