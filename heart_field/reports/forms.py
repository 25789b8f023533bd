"""The report filter: a read-only GET form (no CSRF token: it changes nothing)."""

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from flask_wtf import FlaskForm
from wtforms import DateField, SelectField
from wtforms.validators import InputRequired, ValidationError

from ..choices import choices
from ..models import UnitType
from .queries import Period, Scope

DEFAULT_DAYS = 28
# A range longer than this is almost certainly a typo in the year.
MAX_DAYS = 366 * 5


class ReportForm(FlaskForm):
    class Meta:
        csrf = False

    start = DateField("From", validators=[InputRequired(message="Give the first day.")])
    end = DateField("To", validators=[InputRequired(message="Give the last day.")])
    unit = SelectField(
        "Unit type",
        choices=choices({u.value: u.label for u in UnitType}, blank="All units"),
        default="",
    )

    @classmethod
    def for_request(cls, args, today: date) -> "ReportForm":
        """The form from the query string; with none, the last four weeks up to today."""
        if not args:
            return cls(formdata=None, start=today - timedelta(days=DEFAULT_DAYS - 1), end=today)
        return cls(formdata=args)

    def validate_end(self, field) -> None:
        if self.start.data and field.data:
            if field.data < self.start.data:
                raise ValidationError("The last day must be on or after the first day.")
            if (field.data - self.start.data).days >= MAX_DAYS:
                raise ValidationError("Choose a range of at most five years.")

    def scope(self, zone: ZoneInfo) -> Scope:
        return Scope(Period(self.start.data, self.end.data, zone), self.unit.data or None)
