"""Outcome data in outside terms: the calls CSV with "Measuring What Matters" columns and
NEMSIS v3.5 codes, and NEMSIS times worked out from a real call's taps."""

import csv
import io
from datetime import timedelta

from sqlalchemy import select

from heart_field.domain import gpl, nemsis
from heart_field.domain.status import Action, OutcomeInput
from heart_field.extensions import db
from heart_field.models import AuditEvent, StatusEvent
from tests.conftest import make_team
from tests.web.test_reports import RANGE, call, handful, supervisor, tap  # noqa: F401


def gpl_csv(session, **query):
    response = session.get("/reports/calls.csv", query_string={"format": "gpl", **query})
    assert response.status_code == 200, response.text
    coverage, *lines = response.text.splitlines(keepends=True)
    header, *rows = list(csv.reader(io.StringIO("".join(lines))))
    return response, coverage, header, {r[0]: dict(zip(header, r)) for r in rows}, rows


def test_gpl_columns_nemsis_codes_and_a_coverage_line(handful, supervisor, sign_in):  # noqa: F811
    session = sign_in(supervisor)
    response, coverage, header, by_cad, rows = gpl_csv(session, **RANGE)
    assert response.headers["Content-Disposition"].endswith(
        'calls-gpl-2026-06-01-to-2026-06-02.csv"'
    )
    assert coverage.startswith("# Measuring What Matters") and "Person Race/Ethnicity" in coverage
    assert header == gpl.COLUMNS
    assert [r[0] for r in rows] == ["G", "A", "B", "K", "F", "C", "D", "H", "I", "E", "J"]
    f = by_cad["F"]  # CR-1 declined at 2; CR-2 assigned at 5, en route 9, on scene 14, clear 34
    assert (f["Responding Unit"], f["Dispatch Date/Time"], f["On Scene Date/Time"]) == (
        "CR-2",
        "2026-06-01 10:05:00",
        "2026-06-01 10:14:00",
    )
    assert (f["Clear Date/Time"], f["Response Time (min)"], f["Time on Scene (min)"]) == (
        "2026-06-01 10:34:00",
        "14.0",
        "20.0",
    )
    assert f["NEMSIS eDisposition.27"] == "4227001 Patient Contact Made"
    assert f["NEMSIS eDisposition.30"] == "4230013 No Transport"
    assert by_cad["B"]["NEMSIS eDisposition.30"].startswith("4230001")  # transported
    assert by_cad["D"]["NEMSIS eDisposition.29"].startswith("4229003")  # handed to EMS
    assert by_cad["C"]["NEMSIS eDisposition.28"] == "7701001 Not Applicable"  # no one found
    assert by_cad["G"]["Reason Not Dispatched"] == "Outside city limits"
    assert by_cad["E"]["Disposition"] == "" and by_cad["E"]["Clear Date/Time"] == ""
    assert "Man sitting outside" not in response.text  # no narrative, no personal details
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "export_csv"))
    assert audit.object_id == "calls-gpl"

    *_, co_rows = gpl_csv(session, **RANGE, unit="co_response")
    assert [r[0] for r in co_rows] == ["E", "J"]


def test_unknown_formats_are_404_and_format_is_not_a_filter(
    supervisor,  # noqa: F811
    sign_in,
):
    session = sign_in(supervisor)
    ok = session.get("/reports/calls.csv", query_string={"format": "gpl", **RANGE})
    assert ok.status_code == 200
    assert session.get("/reports/calls.csv?format=nemsis-xml").status_code == 404
    assert session.get("/reports/dispositions.csv?format=gpl").status_code == 404


def test_nemsis_times_of_a_worked_call(app):
    """Assign, accept, en route, on scene, clear: eTimes .01 .03 .04 .05 .06 .09 .13."""
    team = make_team("CR-1")
    incident = call("W", "2026-06-01 09:00")
    start = incident.received_at
    at = {m: start + timedelta(minutes=m) for m in (2, 3, 5, 12, 40)}
    tap(team, Action.ASSIGN, at[2], incident_id=incident.id)
    tap(team, Action.ACCEPT, at[3])
    tap(team, Action.EN_ROUTE, at[5])
    tap(team, Action.ON_SCENE, at[12])
    tap(team, Action.CLEAR, at[40], outcome=OutcomeInput("resolved_on_scene", people_served=1))
    taps = db.session.execute(
        select(StatusEvent.action, StatusEvent.occurred_at)
        .where(StatusEvent.incident_id == incident.id)
        .order_by(StatusEvent.occurred_at, StatusEvent.id)
    ).all()
    assert nemsis.times(incident.received_at, taps).by_element() == {
        "eTimes.01": start,
        "eTimes.03": at[2],
        "eTimes.04": at[3],
        "eTimes.05": at[5],
        "eTimes.06": at[12],
        "eTimes.09": at[40],
        "eTimes.13": at[40],
        "eTimes.14": None,
    }
