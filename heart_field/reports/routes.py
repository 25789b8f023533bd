"""Supervisors' reports: the page, and a streamed CSV of each of its tables.

Reports show program numbers and CAD numbers, never personal details. Supervisors see
them; dispatchers, navigators, responders and admins do not (the design gives reports to
supervisors; an admin who needs them is given a supervisor account, which is audited).
"""

import itertools
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, current_app, render_template, request, stream_with_context
from flask_login import current_user

from .. import audit
from ..access import roles
from ..domain import gpl
from ..extensions import db
from ..htmx import render_page
from ..models import Role, utcnow
from . import hours, queries, reach, referrals, standards
from .charts import chart_for
from .forms import ReportForm
from .tables import csv_lines

bp = Blueprint("reports", __name__, url_prefix="/reports")

VIEWERS = (Role.SUPERVISOR,)


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["HEART_TIMEZONE"])


def _form() -> ReportForm:
    args = request.args.copy()
    args.pop("format", None)  # which columns a CSV has, not a filter
    return ReportForm.for_request(args, datetime.now(_zone()).date())


def build_report(session, scope: queries.Scope) -> dict:
    return {
        "response": queries.response_times(session, scope),
        "outcomes": queries.outcomes(session, scope),
        "unmet": queries.unmet_need(session, scope),
        "referrals": referrals.follow_through(session, scope, utcnow()),
        "reach": reach.reach(session, scope),
        "hours": hours.hours_on_duty(session, scope, utcnow()),
    }


# Each exportable table, by the name in its URL.
EXPORTS = {
    "response-by-unit": lambda s, sc: queries.response_times(s, sc).by_unit,
    "response-by-hour": lambda s, sc: queries.response_times(s, sc).by_hour,
    "response-by-weekday": lambda s, sc: queries.response_times(s, sc).by_weekday,
    "outcome-summary": lambda s, sc: queries.outcomes(s, sc).summary,
    "dispositions": lambda s, sc: queries.outcomes(s, sc).dispositions,
    "missing-outcomes": queries.missing_outcomes,
    "calls": queries.every_call,
    "unmet-summary": lambda s, sc: queries.unmet_need(s, sc).summary,
    "unmet-by-reason": lambda s, sc: queries.unmet_need(s, sc).by_reason,
    "unmet-by-hour": lambda s, sc: queries.unmet_need(s, sc).by_hour,
    "unmet-by-weekday": lambda s, sc: queries.unmet_need(s, sc).by_weekday,
    "referral-funnel": lambda s, sc: referrals.follow_through(s, sc, utcnow()).funnel,
    "referral-contact-time": lambda s, sc: referrals.follow_through(s, sc, utcnow()).contact_time,
    "referral-overdue": lambda s, sc: referrals.follow_through(s, sc, utcnow()).overdue,
    "reach": lambda s, sc: reach.reach(s, sc).served,
    "waiting-time": lambda s, sc: reach.reach(s, sc).waiting,
    "cancellations": lambda s, sc: reach.reach(s, sc).endings,
    "hours-by-person": lambda s, sc: hours.hours_on_duty(s, sc, utcnow()).by_person,
    "hours-by-unit": lambda s, sc: hours.hours_on_duty(s, sc, utcnow()).by_unit,
}
# Other column sets for a table, as /reports/<name>.csv?format=<format>.
FORMATS = {
    ("calls", "gpl"): standards.gpl_calls,  # "Measuring What Matters" names, NEMSIS codes
}


@bp.route("/")
@roles(*VIEWERS)
def index():
    form = _form()
    if request.args and not form.validate():
        return render_page(
            "reports/index.html", "reports/_report.html", 422, form=form, report=None
        )
    scope = form.scope(_zone())
    return render_page(
        "reports/index.html",
        "reports/_report.html",
        form=form,
        scope=scope,
        report=build_report(db.session, scope),
        chart_for=chart_for,
        query=_query(form),
    )


@bp.route("/<name>.csv")
@roles(*VIEWERS)
def export(name: str):
    if name not in EXPORTS:
        return render_template(
            "error.html", code=404, message="There is no such report table."
        ), 404
    output = request.args.get("format")
    if output is not None and (name, output) not in FORMATS:
        return render_template(
            "error.html", code=404, message="That table has no such format."
        ), 404
    form = _form()
    if not form.validate():
        message = next(iter(form.errors.values()))[0]
        return render_template("error.html", code=422, message=message), 422
    scope = form.scope(_zone())
    table = FORMATS[name, output](db.session, scope) if output else EXPORTS[name](db.session, scope)
    period = scope.period
    audit.record(
        db.session,
        current_user,
        "export_csv",
        "report",
        f"{name}-{output}" if output else name,
        detail=f"{period.first_day}..{period.last_day} {scope.unit_type or 'all units'}",
    )
    db.session.commit()
    suffix = f"-{output}" if output else ""
    filename = f"heart-{name}{suffix}-{period.first_day}-to-{period.last_day}.csv"
    lines = csv_lines(table)
    if output == "gpl":
        lines = itertools.chain([gpl.COVERAGE + "\r\n"], lines)
    return Response(
        stream_with_context(lines),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _query(form: ReportForm) -> dict:
    return {
        "start": form.start.data.isoformat(),
        "end": form.end.data.isoformat(),
        "unit": form.unit.data or "",
    }
