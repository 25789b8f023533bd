"""Supervisors' reports: numbers worked out by hand from a known handful of calls, filters,
an empty range, daylight-saving edges, CSV exports equal to the page, and access."""

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from heart_field.domain import status
from heart_field.domain.status import Action, OutcomeInput, Tap
from heart_field.extensions import db
from heart_field.models import AuditEvent, IncidentStatus, Role
from heart_field.reports.routes import EXPORTS
from tests.conftest import make_incident, make_team, make_user

NY = ZoneInfo("America/New_York")
RANGE = {"start": "2026-06-01", "end": "2026-06-02"}  # a Monday and a Tuesday (EDT, UTC-4)


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=NY).astimezone(UTC)


def tap(team, action, at, **fields):
    status.apply(db.session, team, Tap(action, str(uuid.uuid4()), occurred_at=at, **fields), None)


def call(cad, received, unit="community_response", **fields):
    return make_incident(cad, received_at=local(received), recommended_unit_type=unit, **fields)


def respond(team, incident, assign, en_route, on_scene, outcome=None):
    """Send the team at the given minutes after receipt; clear with the outcome, if any."""
    start = incident.received_at
    tap(team, Action.ASSIGN, start + timedelta(minutes=assign), incident_id=incident.id)
    tap(team, Action.EN_ROUTE, start + timedelta(minutes=en_route))
    tap(team, Action.ON_SCENE, start + timedelta(minutes=on_scene))
    if outcome:
        tap(team, Action.CLEAR, start + timedelta(minutes=on_scene + 20), outcome=outcome)


@pytest.fixture
def handful(app):
    """Six HEART calls and five routed elsewhere. Minutes after receipt:

    call  team        received        assign  en route  on scene
    A     CR-1        Mon 09:00       2       3         10
    B     CR-2        Mon 09:30       4       6         12
    C     CR-1        Mon 14:00       1       4         20
    D     CR-2        Mon 14:10       3       8         18
    E     CO-1        Tue 22:00       6       7         15   (still on scene)
    F     CR-1, CR-2  Mon 10:00       CR-1 1, declines at 2; CR-2 5, 9, 14
    """
    cr1, cr2, co1 = make_team("CR-1"), make_team("CR-2"), make_team("CO-1", unit="co_response")
    o = OutcomeInput
    respond(cr1, call("A", "2026-06-01 09:00"), 2, 3, 10, o("resolved_on_scene", people_served=1))
    respond(
        cr2,
        call("B", "2026-06-01 09:30"),
        4,
        6,
        12,
        o("referred_care_navigation", people_served=2, transport=True),
    )
    respond(cr1, call("C", "2026-06-01 14:00"), 1, 4, 20, o("no_person_found", people_served=0))
    respond(cr2, call("D", "2026-06-01 14:10"), 3, 8, 18, o("handed_to_ems", ems_requested=True))
    respond(co1, call("E", "2026-06-02 22:00", "co_response"), 6, 7, 15)
    f = call("F", "2026-06-01 10:00")
    tap(cr1, Action.ASSIGN, f.received_at + timedelta(minutes=1), incident_id=f.id)
    tap(cr1, Action.DECLINE, f.received_at + timedelta(minutes=2), reason="Too far")
    respond(cr2, f, 5, 9, 14, o("resolved_on_scene", people_served=1, police_requested=True))

    elsewhere = IncidentStatus.ROUTED_ELSEWHERE.value
    call("G", "2026-06-01 03:00", None, fallback_reason="outside_city_limits", status=elsewhere)
    call("H", "2026-06-01 14:30", fallback_reason="no_team_available", status=elsewhere)
    call("I", "2026-06-02 14:45", None, fallback_reason="safety_risk", status=elsewhere)
    call(
        "J",
        "2026-06-02 22:30",
        "co_response",
        fallback_reason="no_team_available",
        status=elsewhere,
    )
    call("K", "2026-06-01 09:45", None, status=elsewhere)  # reason never recorded
    # Outside the range: the Sunday before and the Wednesday after, local time.
    call("early", "2026-05-31 23:59", None, fallback_reason="no_team_available", status=elsewhere)
    call("late", "2026-06-03 00:00", None, fallback_reason="no_team_available", status=elsewhere)


@pytest.fixture
def supervisor(app):
    return make_user("supervisor", Role.SUPERVISOR)


class Tables(HTMLParser):
    """The report tables in a page, by id: header and rows as the text a reader sees
    (a "no data" cell reads as an empty string, as in the CSV)."""

    def __init__(self, html):
        super().__init__()
        self.tables, self._table, self._row, self._cell, self._none = {}, None, None, None, False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and (attrs.get("id") or "").startswith("table-"):
            self._table = self.tables.setdefault(attrs["id"][6:], [])
        elif self._table is not None and tag == "tr":
            self._row = []
        elif self._row is not None and tag in ("th", "td"):
            self._cell, self._none = "", "none" in (attrs.get("class") or "")

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self._cell is not None:
            self._row.append("" if self._none else self._cell.strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self._table.append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data


def page_tables(session, **params):
    response = session.get("/reports/", query_string=params)
    assert response.status_code == 200, response.text
    return Tables(response.text).tables


def rows_by_label(table):
    return {row[0]: row[1:] for row in table[1:]}


def test_response_times_worked_by_hand(handful, supervisor, sign_in):
    """Medians and 90th percentiles (linear between closest ranks) match the hand-worked values.

    Community Response (A, B, C, D, F), minutes:
      received -> assigned   1 1 2 3 4   median 2,   p90: h = 4 * 0.9 = 3.6 -> 3 + 0.6 * 1 = 3.6
      assigned -> en route   1 2 3 4 5   median 3,   p90 4 + 0.6 * 1 = 4.6 (F: CR-2's own assignment)
      en route -> on scene   5 6 7 10 16 median 7,   p90 10 + 0.6 * 6 = 13.6
      received -> on scene   10 12 14 18 20 median 14, p90 18 + 0.6 * 2 = 19.2
    All units add E (6, 1, 8, 15); six values, h = 5 * 0.9 = 4.5:
      received -> assigned   1 1 2 3 4 6      median 2.5,  p90 4 + 0.5 * 2 = 5.0
      assigned -> en route   1 1 2 3 4 5      median 2.5,  p90 4.5
      en route -> on scene   5 6 7 8 10 16    median 7.5,  p90 13.0
      received -> on scene   10 12 14 15 18 20 median 14.5, p90 19.0
    """
    tables = page_tables(sign_in(supervisor), **RANGE)
    by_unit = rows_by_label(tables["response-by-unit"])
    assert by_unit["Community Response"] == [
        "5",
        "2.0",
        "3.6",
        "3.0",
        "4.6",
        "7.0",
        "13.6",
        "14.0",
        "19.2",
    ]
    assert by_unit["Co-Response"] == ["1", "6.0", "6.0", "1.0", "1.0", "8.0", "8.0", "15.0", "15.0"]
    assert by_unit["All units"] == ["6", "2.5", "5.0", "2.5", "4.5", "7.5", "13.0", "14.5", "19.0"]

    by_hour = rows_by_label(tables["response-by-hour"])
    # 09:00 holds A and B: received -> on scene 10 and 12: median 11, p90 10 + 0.9 * 2 = 11.8.
    assert by_hour["09:00"][0] == "2" and by_hour["09:00"][-2:] == ["11.0", "11.8"]
    assert by_hour["14:00"][-2:] == ["19.0", "19.8"]
    assert by_hour["22:00"][-2:] == ["15.0", "15.0"]
    assert by_hour["03:00"] == ["0"] + [""] * 8

    by_day = rows_by_label(tables["response-by-weekday"])
    assert by_day["Monday"][0] == "5" and by_day["Monday"][-2:] == ["14.0", "19.2"]
    assert by_day["Tuesday"][0] == "1" and by_day["Sunday"][0] == "0"


def test_outcomes_worked_by_hand(handful, supervisor, sign_in):
    """Counts of dispositions, people, transports, requests, and calls missing an outcome."""
    tables = page_tables(sign_in(supervisor), **RANGE)
    assert rows_by_label(tables["outcome-summary"]) == {
        "Calls a team was sent to": ["6"],
        "Calls with an outcome": ["5"],
        "People served": ["4"],
        "Transports": ["1"],
        "Police requested": ["1"],
        "EMS requested": ["1"],
        "Still missing an outcome": ["2"],
    }
    dispositions = rows_by_label(tables["dispositions"])
    assert dispositions["Resolved on scene"] == ["4227001", "2", "40.0"]
    assert dispositions["No person found"] == ["4227009", "1", "20.0"]
    assert dispositions["Cancelled before arrival"] == ["4227005", "0", "0.0"]
    assert tables["dispositions"][1][0] == "Resolved on scene"  # the commonest first
    missing = tables["missing-outcomes"][1:]
    assert [(r[0], r[1], r[3], r[5]) for r in missing] == [
        ("D", "2026-06-01 14:10", "CR-2", "People served"),
        ("E", "2026-06-02 22:00", "CO-1", "Outcome"),
    ]


def test_unmet_need_worked_by_hand(handful, supervisor, sign_in):
    """Routed elsewhere by reason, hour and weekday; calls outside the local days are left out."""
    tables = page_tables(sign_in(supervisor), **RANGE)
    assert rows_by_label(tables["unmet-summary"]) == {
        "Calls received": ["11", ""],
        "Taken by HEART": ["6", "54.5"],
        "Routed elsewhere": ["5", "45.5"],
    }
    assert tables["unmet-by-reason"][1:] == [
        ["No team available", "2", "40.0"],
        ["Outside city limits", "1", "20.0"],
        ["Safety risk (weapons or medical emergency)", "1", "20.0"],
        ["Reason not recorded", "1", "20.0"],
        ["Outside service hours", "0", "0.0"],
    ]
    by_hour = rows_by_label(tables["unmet-by-hour"])
    assert by_hour["14:00"] == ["4", "2", "50.0"]
    assert by_hour["09:00"] == ["3", "1", "33.3"]
    assert by_hour["03:00"] == ["1", "1", "100.0"]
    assert by_hour["10:00"] == ["1", "0", "0.0"]
    assert by_hour["23:00"] == ["0", "0", ""]
    by_day = rows_by_label(tables["unmet-by-weekday"])
    assert by_day["Monday"] == ["8", "3", "37.5"]
    assert by_day["Tuesday"] == ["3", "2", "66.7"]
    assert by_day["Sunday"] == ["0", "0", ""]


def test_unit_type_filter(handful, supervisor, sign_in):
    """With a unit chosen, only its teams' intervals, outcomes and recommended calls count."""
    session = sign_in(supervisor)
    co = page_tables(session, **RANGE, unit="co_response")
    assert list(rows_by_label(co["response-by-unit"])) == ["Co-Response"]
    assert rows_by_label(co["response-by-weekday"])["Monday"][0] == "0"
    assert rows_by_label(co["outcome-summary"])["Calls a team was sent to"] == ["1"]
    assert rows_by_label(co["unmet-summary"])["Calls received"] == ["2", ""]
    assert rows_by_label(co["unmet-summary"])["Routed elsewhere"] == ["1", "50.0"]

    cr = page_tables(session, **RANGE, unit="community_response")
    summary = rows_by_label(cr["outcome-summary"])
    assert summary["Calls a team was sent to"] == ["5"]
    assert summary["Still missing an outcome"] == ["1"]
    # F: waiting for a Community Response team is the same as for any team here.
    assert rows_by_label(cr["response-by-unit"])["Community Response"][:2] == ["5", "2.0"]


def test_date_range_filter(handful, supervisor, sign_in):
    """One local day holds only that day's calls."""
    tables = page_tables(sign_in(supervisor), start="2026-06-02", end="2026-06-02")
    assert rows_by_label(tables["unmet-summary"])["Calls received"] == ["3", ""]
    assert rows_by_label(tables["response-by-unit"])["All units"][:2] == ["1", "6.0"]


def test_empty_range(handful, supervisor, sign_in):
    """A range with no calls shows zeros and no data, not an error."""
    response = sign_in(supervisor).get("/reports/?start=2025-01-01&end=2025-01-07")
    assert response.status_code == 200
    tables = Tables(response.text).tables
    assert rows_by_label(tables["response-by-unit"])["All units"] == ["0"] + [""] * 8
    assert rows_by_label(tables["unmet-summary"])["Calls received"] == ["0", ""]
    assert "missing-outcomes" not in tables
    assert "None in this range." in response.text
    assert "No data in this range." in response.text  # the charts' descriptions


def test_late_synced_tap_does_not_stretch_intervals(app, supervisor, sign_in):
    """A tap synced hours later counts at the time it was made on the device."""
    team = make_team("CR-9")
    incident = call("S", "2026-06-01 11:00")
    respond(team, incident, 1, 2, 9)  # every event's server time is today, months later
    by_unit = rows_by_label(page_tables(sign_in(supervisor), **RANGE)["response-by-unit"])
    assert by_unit["All units"][-2:] == ["9.0", "9.0"]


def test_call_answered_by_a_second_unit(app, supervisor, sign_in):
    """Each unit's row reads the call as that unit saw it; All units reads it whole, once."""
    cr, co = make_team("CR-9"), make_team("CO-9", unit="co_response")
    incident = call("M", "2026-06-01 11:00")
    tap(cr, Action.ASSIGN, incident.received_at + timedelta(minutes=2), incident_id=incident.id)
    tap(cr, Action.DECLINE, incident.received_at + timedelta(minutes=3), reason="Needs an officer")
    respond(co, incident, 6, 8, 17)
    tables = page_tables(sign_in(supervisor), **RANGE)
    by_unit = rows_by_label(tables["response-by-unit"])
    assert by_unit["Community Response"] == ["1", "2.0", "2.0"] + [""] * 6
    assert by_unit["Co-Response"] == ["1", "6.0", "6.0", "2.0", "2.0", "9.0", "9.0", "17.0", "17.0"]
    assert by_unit["All units"] == ["1", "2.0", "2.0", "2.0", "2.0", "9.0", "9.0", "17.0", "17.0"]
    assert rows_by_label(tables["response-by-hour"])["11:00"] == by_unit["All units"]


def test_device_clock_behind_is_left_out(app, supervisor, sign_in):
    """An interval that ends before it starts is not counted as a negative time."""
    team = make_team("CR-9")
    incident = call("S", "2026-06-01 11:00")
    respond(team, incident, 5, 3, 9)  # en route "before" the assignment
    row = rows_by_label(page_tables(sign_in(supervisor), **RANGE)["response-by-unit"])["All units"]
    assert row[3:5] == ["", ""]  # assigned -> en route left out
    assert row[5:7] == ["6.0", "6.0"]  # en route -> on scene still counts


def test_daylight_saving_edges(app, supervisor, sign_in):
    """Hours are local wall-clock hours across both changes, and a local day is 23 or 25 hours."""
    elsewhere = dict(
        fallback_reason="no_team_available", status=IncidentStatus.ROUTED_ELSEWHERE.value
    )
    utc = UTC
    # 8 March 2026: 02:00 EST jumps to 03:00 EDT (07:00 UTC).
    make_incident(
        "s1", received_at=datetime(2026, 3, 8, 6, 30, tzinfo=utc), **elsewhere
    )  # 01:30 EST
    make_incident(
        "s2", received_at=datetime(2026, 3, 8, 7, 30, tzinfo=utc), **elsewhere
    )  # 03:30 EDT
    make_incident(
        "s3", received_at=datetime(2026, 3, 9, 3, 59, tzinfo=utc), **elsewhere
    )  # 23:59 EDT
    make_incident("s4", received_at=datetime(2026, 3, 9, 4, 0, tzinfo=utc), **elsewhere)  # 9 March
    # 1 November 2026: 02:00 EDT falls back to 01:00 EST (06:00 UTC): 01:30 happens twice.
    make_incident("f1", received_at=datetime(2026, 11, 1, 5, 30, tzinfo=utc), **elsewhere)
    make_incident("f2", received_at=datetime(2026, 11, 1, 6, 30, tzinfo=utc), **elsewhere)
    make_incident(
        "f3", received_at=datetime(2026, 11, 2, 4, 59, tzinfo=utc), **elsewhere
    )  # 23:59 EST
    make_incident("f4", received_at=datetime(2026, 11, 1, 3, 59, tzinfo=utc), **elsewhere)  # 31 Oct

    session = sign_in(supervisor)
    spring = page_tables(session, start="2026-03-08", end="2026-03-08")
    hours = rows_by_label(spring["unmet-by-hour"])
    assert (hours["01:00"][0], hours["02:00"][0], hours["03:00"][0], hours["23:00"][0]) == (
        "1",
        "0",
        "1",
        "1",
    )
    assert rows_by_label(spring["unmet-by-weekday"])["Sunday"][0] == "3"

    autumn = page_tables(session, start="2026-11-01", end="2026-11-01")
    hours = rows_by_label(autumn["unmet-by-hour"])
    assert (hours["01:00"][0], hours["23:00"][0], hours["02:00"][0]) == ("2", "1", "0")
    assert rows_by_label(autumn["unmet-summary"])["Calls received"][0] == "3"


@pytest.mark.parametrize(
    "name",
    sorted(
        n
        for n in EXPORTS
        # referrals and hours on duty have their own (test_report_hours.py for hours)
        if n != "calls" and not n.startswith(("referral-", "hours-"))
    ),
)
def test_export_equals_the_page(handful, supervisor, sign_in, name):
    """Each table's CSV holds exactly the header and rows the page shows."""
    session = sign_in(supervisor)
    shown = page_tables(session, **RANGE, unit="")[name]
    response = session.get(f"/reports/{name}.csv", query_string=RANGE)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.is_streamed
    assert (
        f'filename="heart-{name}-2026-06-01-to-2026-06-02.csv"'
        in response.headers["Content-Disposition"]
    )
    assert list(csv.reader(io.StringIO(response.text))) == shown


def test_every_call_export(handful, supervisor, sign_in):
    """One row per call in the range, in the order received, with its own times and outcome."""
    session = sign_in(supervisor)
    assert (
        "/reports/calls.csv?start=2026-06-01&amp;end=2026-06-02"
        in session.get("/reports/", query_string=RANGE).text
    )
    response = session.get("/reports/calls.csv", query_string=RANGE)
    assert response.is_streamed
    header, *rows = list(csv.reader(io.StringIO(response.text)))
    assert header[:3] == ["CAD number", "Received", "Call type"]
    assert [r[0] for r in rows] == ["G", "A", "B", "K", "F", "C", "D", "H", "I", "E", "J"]
    by_cad = {r[0]: dict(zip(header, r)) for r in rows}
    f = by_cad["F"]  # CR-1 declined; CR-2 assigned at 5, en route at 9, on scene at 14
    assert (
        f["Team"],
        f["Received → assigned (min)"],
        f["Assigned → en route (min)"],
        f["En route → on scene (min)"],
        f["Received → on scene (min)"],
    ) == ("CR-2", "1.0", "4.0", "5.0", "14.0")
    assert (
        f["Disposition"],
        f["NEMSIS eDisposition.27"],
        f["People served"],
        f["Police requested"],
        f["Transport"],
    ) == ("Resolved on scene", "4227001", "1", "yes", "no")
    assert by_cad["H"]["Routed elsewhere because"] == "No team available"
    assert by_cad["H"]["Team"] == "" and by_cad["E"]["Disposition"] == ""
    assert "Narrative" not in header and "Man sitting outside" not in response.text
    co = session.get("/reports/calls.csv", query_string={**RANGE, "unit": "co_response"}).text
    assert [r[0] for r in list(csv.reader(io.StringIO(co)))[1:]] == ["E", "J"]


def test_each_export_is_audited(handful, supervisor, sign_in):
    """An export records who took which table for which range; nothing personal."""
    sign_in(supervisor).get(
        "/reports/dispositions.csv", query_string={**RANGE, "unit": "co_response"}
    )
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export_csv")).one()
    assert (event.actor_id, event.action, event.object_type, event.object_id) == (
        supervisor.id,
        "export_csv",
        "report",
        "dispositions",
    )
    assert event.detail == "2026-06-01..2026-06-02 co_response"


def test_csv_neutralises_formulas(app, supervisor, sign_in):
    """A CAD number that looks like a spreadsheet formula is exported as text."""
    team = make_team("CR-9")
    incident = call("=HYPERLINK(1)", "2026-06-01 11:00")
    respond(team, incident, 1, 2, 9)
    text = sign_in(supervisor).get("/reports/missing-outcomes.csv", query_string=RANGE).text
    assert "'=HYPERLINK(1)" in text


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"start": "2026-06-02", "end": "2026-06-01"},
            "The last day must be on or after the first day.",
        ),
        ({"start": "2026-13-01", "end": "2026-06-01"}, "Not a valid date value."),
        ({"start": "", "end": "2026-06-01"}, "Give the first day."),
        ({"start": "2020-01-01", "end": "2026-06-01"}, "Choose a range of at most five years."),
        ({**RANGE, "unit": "police"}, "Not a valid choice."),
    ],
)
def test_bad_filter_is_refused(supervisor, sign_in, params, message):
    """A bad filter re-renders the form with the field's message (422), and so does its export."""
    session = sign_in(supervisor)
    page = session.get("/reports/", query_string=params)
    assert page.status_code == 422
    assert message in page.text
    assert 'aria-invalid="true"' in page.text
    export = session.get("/reports/dispositions.csv", query_string=params)
    assert export.status_code == 422
    assert message in export.text
    assert (
        db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export_csv")).all() == []
    )


def test_unknown_table_is_404(supervisor, sign_in):
    assert sign_in(supervisor).get("/reports/passwords.csv", query_string=RANGE).status_code == 404


def test_default_is_the_last_four_weeks(supervisor, sign_in):
    response = sign_in(supervisor).get("/reports/")
    today = datetime.now(NY).date()
    assert f'value="{today.isoformat()}"' in response.text
    assert f'value="{(today - timedelta(days=27)).isoformat()}"' in response.text
    assert "28 days" in response.text


def test_htmx_gets_the_report_fragment(handful, supervisor, sign_in):
    """The filter form swaps in just the report; a full load gets the whole page."""
    session = sign_in(supervisor)
    fragment = session.get("/reports/", query_string=RANGE, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.text and 'id="report"' in fragment.text
    assert "table-dispositions" in fragment.text
    page = session.get("/reports/", query_string=RANGE)
    assert "<html" in page.text and 'id="report"' in page.text


def test_charts_are_accessible_svg_without_inline_style(handful, supervisor, sign_in):
    """Each chart is an SVG image with a title and description; nothing uses a style attribute."""
    text = sign_in(supervisor).get("/reports/", query_string=RANGE).text
    charts = text.count('<figure class="chart">')
    assert charts >= 9 and text.count('role="img"') == charts == text.count("<desc id=")
    assert 'id="chart-dispositions-title">Calls by disposition</title>' in text
    assert "style=" not in text
    assert "<script>" not in text


@pytest.mark.parametrize("role", [Role.RESPONDER, Role.DISPATCHER, Role.NAVIGATOR, Role.ADMIN])
def test_only_supervisors_see_reports(app, sign_in, role):
    team = make_team() if role == Role.RESPONDER else None
    session = sign_in(make_user(f"user-{role.value}", role, team))
    assert session.get("/reports/").status_code == 403
    assert session.get("/reports/dispositions.csv", query_string=RANGE).status_code == 403
    assert (
        db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export_csv")).all() == []
    )


def test_visitor_is_sent_to_sign_in(client):
    for url in ("/reports/", "/reports/dispositions.csv"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
