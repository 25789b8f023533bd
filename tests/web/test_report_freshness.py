"""The reports are worked out from the calls as they are now: a change made after a report
was viewed (an outcome recorded late, an outcome corrected, a referral reopened) shows in the
next one, page and CSV. And the page's cost in SQL statements does not grow with the data."""

import csv
import io
import threading
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import current_app
from sqlalchemy import event, select

from heart_field.domain import referrals
from heart_field.domain.status import Action, OutcomeInput
from heart_field.extensions import db
from heart_field.models import Outcome, Role, Shift, StatusEvent, utcnow
from tests.conftest import make_incident, make_team, make_user, reload
from tests.web.referral_helpers import NY, make_referral
from tests.web.test_field import assign
from tests.web.test_field import tap as tap_on_phone
from tests.web.test_reports import Tables, rows_by_label, tap


def report(session) -> dict:
    """The default report (the last four weeks, no arguments), its tables by name."""
    response = session.get("/reports/")
    assert response.status_code == 200, response.text
    return Tables(response.text).tables


def _four_weeks() -> dict[str, str]:
    """The default range as a query (the page's links and CSVs carry it)."""
    today = datetime.now(ZoneInfo(current_app.config["HEART_TIMEZONE"])).date()
    return {"start": (today - timedelta(days=27)).isoformat(), "end": today.isoformat()}


def exported(session, name: str) -> list[list[str]]:
    """A table's CSV for the same four weeks."""
    response = session.get(f"/reports/{name}.csv", query_string=_four_weeks())
    assert response.status_code == 200, response.text
    return list(csv.reader(io.StringIO(response.text)))


def test_an_outcome_recorded_or_corrected_later_shows_in_the_next_report(sign_in):
    team = make_team("CR-1")
    responder = sign_in(make_user("responder", Role.RESPONDER, team, "clinician"))
    boss = sign_in(make_user("boss", Role.SUPERVISOR))
    incident = make_incident("LATE-1", received_at=utcnow() - timedelta(minutes=40))
    assign(team, incident)
    for action in ("accept", "en_route", "on_scene"):
        answer = tap_on_phone(responder, team, action)
        assert answer.status_code == 200, answer.text

    # Viewed while the team is still on scene: the call has no outcome yet.
    before = rows_by_label(report(boss)["outcome-summary"])
    assert before["Calls a team was sent to"] == ["1"]
    assert before["Calls with an outcome"] == ["0"]
    assert before["Still missing an outcome"] == ["1"]
    assert [row[0] for row in exported(boss, "missing-outcomes")[1:]] == ["LATE-1"]

    # The responder clears with the outcome after the report was viewed.
    answer = responder.post(
        "/field/outcome",
        {
            "version": reload(team).version,
            "client_uuid": str(uuid.uuid4()),
            "disposition": "resolved_on_scene",
            "people_served": "2",
        },
        htmx=True,
    )
    assert answer.status_code == 200, answer.text

    page = report(boss)
    after = rows_by_label(page["outcome-summary"])
    assert after["Calls with an outcome"] == ["1"]
    assert after["People served"] == ["2"]
    assert after["Still missing an outcome"] == ["0"]
    assert rows_by_label(page["dispositions"])["Resolved on scene"][1] == "1"
    assert page["outcome-summary"] == exported(boss, "outcome-summary")  # the CSV agrees
    assert exported(boss, "missing-outcomes")[1:] == []
    calls = exported(boss, "calls")
    row = dict(zip(calls[0], calls[1]))
    assert (row["CAD number"], row["Disposition"], row["People served"]) == (
        "LATE-1",
        "Resolved on scene",
        "2",
    )

    # Corrected the next day (a second person found): the next report counts three.
    outcome = db.session.scalar(select(Outcome).where(Outcome.incident_id == incident.id))
    outcome.people_served = 3
    db.session.commit()
    assert rows_by_label(report(boss)["outcome-summary"])["People served"] == ["3"]
    assert rows_by_label(exported(boss, "outcome-summary"))["People served"] == ["3"]


def test_a_tap_synced_late_shows_in_the_next_report(sign_in):
    """An On scene tap made on the scene but sent hours later (the phone was offline): the
    report viewed before it arrived had no arrival; the next one measures it by device time."""
    team = make_team("CR-1")
    boss = sign_in(make_user("boss", Role.SUPERVISOR))
    incident = make_incident("LATE-2", received_at=utcnow() - timedelta(hours=3))
    tap(team, Action.ASSIGN, incident.received_at + timedelta(minutes=2), incident_id=incident.id)
    tap(team, Action.EN_ROUTE, incident.received_at + timedelta(minutes=4))
    before = rows_by_label(report(boss)["response-by-unit"])["All units"]
    assert before[0] == "1" and before[7] == ""  # received -> on scene: none yet

    tap(team, Action.ON_SCENE, incident.received_at + timedelta(minutes=16))  # arrives now
    after = rows_by_label(report(boss)["response-by-unit"])["All units"]
    assert after[7] == "16.0"  # received -> on scene, median (min), by the device's clock
    exported_after = rows_by_label(exported(boss, "response-by-unit"))["All units"]
    assert exported_after[7] == "16.0"


def test_a_reopened_referral_shows_as_overdue_in_the_next_report(sign_in, monkeypatch):
    team = make_team("CR-1")
    responder = make_user("responder", Role.RESPONDER, team, "clinician")
    navigator = make_user("nav", Role.NAVIGATOR)
    boss = sign_in(make_user("boss", Role.SUPERVISOR))
    referral = make_referral(team, responder, cad="REF-1")
    referrals.close(db.session, referral, navigator, "moved_away", None)
    # The reports are read eight days on: past any urgency's first deadline.
    later = utcnow() + timedelta(days=8)
    monkeypatch.setattr("heart_field.reports.routes.utcnow", lambda: later)
    assert "referral-overdue" not in report(boss)  # no rows: no table
    assert exported(boss, "referral-overdue")[1:] == []

    answer = sign_in(navigator).post(f"/navigation/referrals/{referral.id}/reopen")
    assert answer.status_code == 303, answer.text

    overdue = report(boss)["referral-overdue"]
    assert [row[0] for row in overdue[1:]] == [referral.reference]
    assert overdue[1][3] == "Claimed"  # closing it claimed it
    assert overdue == exported(boss, "referral-overdue")


# The page's cost ------------------------------------------------------------------------


def _busy_weeks(calls: int) -> None:
    """`calls` calls in the last four weeks, each with a team's taps and an outcome, and a
    referral for every third; every unit logged on and off each day, with its crew's shifts."""
    teams = [make_team(f"CR-{calls}-{n}") for n in range(3)]
    people = [make_user(f"r{calls}-{n}", Role.RESPONDER, teams[n], "clinician") for n in range(3)]
    now = utcnow()
    for n in range(calls):
        team = teams[n % 3]
        received = now - timedelta(hours=6 * n + 2)
        incident = make_incident(f"Q-{calls}-{n}", received_at=received)
        tap(team, Action.ASSIGN, received + timedelta(minutes=2), incident_id=incident.id)
        tap(team, Action.EN_ROUTE, received + timedelta(minutes=4))
        tap(team, Action.ON_SCENE, received + timedelta(minutes=12))
        tap(
            team,
            Action.CLEAR,
            received + timedelta(minutes=40),
            outcome=OutcomeInput("resolved_on_scene", people_served=1),
        )
        if n % 3 == 0:
            referrals.make_referral(
                db.session,
                incident,
                team,
                referrals.ReferralInput(
                    client_uuid=str(uuid.uuid4()),
                    person_name="Alias",
                    needs=("housing",),
                    urgency="within_48_hours",
                    phone="919-555-0142",
                ),
                people[n % 3],
                NY,
            )
    for day in range(calls // 4):
        start = now - timedelta(days=day, hours=12)
        for person, team in zip(people, teams):
            for action, at in (("log_on", start), ("log_off", start + timedelta(hours=8))):
                db.session.add(
                    StatusEvent(
                        team_id=team.id,
                        action=action,
                        from_status="x",
                        to_status="y",
                        team_version=0,
                        occurred_at=at,
                        received_at=at,
                        client_uuid=str(uuid.uuid4()),
                    )
                )
            db.session.add(
                Shift(
                    user_id=person.id,
                    team_id=team.id,
                    role="clinician",
                    started_at=start,
                    ended_at=start + timedelta(hours=8),
                )
            )
    db.session.commit()


def _statements(session, path: str) -> int:
    """SQL statements this thread sends while the page is served."""
    sent = []
    here = threading.get_ident()

    def count(*_):
        if threading.get_ident() == here:
            sent.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = session.get(path)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200, response.text
    return len(sent)


@pytest.mark.parametrize("unit", [None, "community_response"])
def test_the_report_sends_as_many_statements_for_three_times_the_calls(sign_in, unit):
    boss = sign_in(make_user("boss", Role.SUPERVISOR))
    path = "/reports/"  # the default four weeks
    if unit:
        weeks = _four_weeks()
        path += f"?start={weeks['start']}&end={weeks['end']}&unit={unit}"
    _busy_weeks(8)
    boss.get(path)  # warm
    small = _statements(boss, path)
    _busy_weeks(24)
    assert _statements(boss, path) == small
