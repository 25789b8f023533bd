"""Hours on duty per person and per unit, on the reports page and in CSV."""

import csv
import io
from datetime import UTC, datetime

from heart_field.extensions import db
from heart_field.models import Role, Shift, StatusEvent
from tests.conftest import make_team, make_user
from tests.web.test_reports import page_tables

RANGE = {"start": "2026-06-01", "end": "2026-06-01"}


def at(hour, minute=0):
    return datetime(2026, 6, 1, hour, minute, tzinfo=UTC)  # 1 June, UTC (EDT = UTC-4)


def event(team, action, when, n):
    frm, to = ("off_duty", "available") if action == "log_on" else ("available", "off_duty")
    db.session.add(
        StatusEvent(
            team_id=team.id,
            action=action,
            from_status=frm,
            to_status=to,
            team_version=n,
            occurred_at=when,
            received_at=when,
            client_uuid=f"u-{team.id}-{n}",
        )
    )


def test_hours_on_duty_per_person_and_per_unit_with_csv(sign_in, app):
    team = make_team("CR-1", status="off_duty")
    co = make_team("CO-1", unit="co_response", status="off_duty")
    nurse = make_user("nurse", Role.RESPONDER, team, "clinician")
    medic = make_user("medic", Role.RESPONDER, team, "emt")
    # CR-1: on 12:00-20:00 UTC (8 h); nurse all of it, medic 14:00-17:30 (3.5 h).
    event(team, "log_on", at(12), 2)
    event(team, "log_off", at(20), 3)
    db.session.add_all(
        [
            Shift(
                user_id=nurse.id,
                team_id=team.id,
                role="clinician",
                started_at=at(12),
                ended_at=at(20),
            ),
            Shift(
                user_id=medic.id,
                team_id=team.id,
                role="emt",
                started_at=at(14),
                ended_at=at(17, 30),
            ),
        ]
    )
    # CO-1: on 14:00-16:00 and again 18:00-19:00 (3 h, on duty twice).
    for n, (action, when) in enumerate(
        [("log_on", at(14)), ("log_off", at(16)), ("log_on", at(18)), ("log_off", at(19))], start=2
    ):
        event(co, action, when, n)
    db.session.commit()
    boss = sign_in(make_user("boss", Role.SUPERVISOR))
    page = boss.get("/reports/", query_string=RANGE).text
    assert "Hours on duty by person" in page and "Hours on duty by unit" in page

    people = list(
        csv.reader(io.StringIO(boss.get("/reports/hours-by-person.csv", query_string=RANGE).text))
    )
    assert people[0] == ["Username", "Name", "Crew roles", "Units", "Shifts", "Hours"]
    assert people[1:] == [
        ["medic", "Medic", "EMT", "CR-1", "1", "3.5"],
        ["nurse", "Nurse", "Clinician or social worker", "CR-1", "1", "8.0"],
    ]
    shown = page_tables(boss, **RANGE)
    assert shown["hours-by-person"] == people  # the page and its CSV agree
    units = list(
        csv.reader(io.StringIO(boss.get("/reports/hours-by-unit.csv", query_string=RANGE).text))
    )
    assert shown["hours-by-unit"] == units
    assert units[1:] == [
        ["CO-1", "Co-Response", "2", "3.0"],
        ["CR-1", "Community Response", "1", "8.0"],
    ]
    only_co = boss.get("/reports/hours-by-unit.csv", query_string={**RANGE, "unit": "co_response"})
    assert "CR-1" not in only_co.text and "CO-1" in only_co.text
