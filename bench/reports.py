"""Benchmark the supervisors' reports on 100,000 calls. Run by hand:

    .venv/bin/python bench/reports.py                  # SQLite in a temporary folder
    DATABASE_URL=postgresql+psycopg://... .venv/bin/python bench/reports.py   # an EMPTY database

Seeds four years of calls with realistic shapes (a daytime peak in hours received, service
hours 07:00-19:00, about half the calls routed elsewhere as in HEART's first citywide year,
Community Response and Co-Response teams, declines, NEMSIS dispositions, some taps synced
late, some outcomes still missing), then measures in-process (Flask test client, so server
time only, no network):

- the report page for 28 days, one year and all four years: median wall time of 5 runs,
  and the number of SQL statements one page load runs;
- exports for one year and four years: every table on the page, and calls.csv (one row
  per call): time, and peak Python memory (tracemalloc) while streaming, to show how
  memory grows with rows;
- a baseline in the same run: GET /login (a template render with no queries), so ratios
  hold on a slower or busier machine.
"""

import os
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, insert  # noqa: E402

from heart_field import create_app  # noqa: E402
from heart_field.config import Config  # noqa: E402
from heart_field.extensions import db  # noqa: E402
from heart_field.models import (  # noqa: E402
    Assignment,
    Incident,
    Outcome,
    Role,
    StatusEvent,
    Team,
    User,
)
from heart_field.models.referrals import Referral  # noqa: E402
from heart_field.reports.routes import EXPORTS  # noqa: E402

NY = ZoneInfo("America/New_York")
CALLS = int(os.environ.get("BENCH_CALLS", 100_000))
FIRST_DAY, LAST_DAY = date(2023, 1, 1), date(2026, 12, 31)
PASSWORD = "bench-password"
# Relative call volume by local hour received: quiet nights, a long daytime plateau.
HOUR_WEIGHTS = [
    2,
    1.5,
    1.2,
    1,
    1,
    1.2,
    2,
    3,
    4,
    5,
    5.5,
    6,
    6,
    6,
    6,
    6,
    5.5,
    5,
    4.5,
    4,
    3.5,
    3,
    2.5,
    2,
]
CALL_TYPES = {
    "trespass": 21,
    "mental_health_crisis": 14,
    "welfare_check": 14,
    "suicidal_ideation": 5,
    "substance_use": 6,
    "intoxicated_person": 6,
    "homelessness": 8,
    "panhandling": 3,
    "disturbance_nonviolent": 8,
    "crisis_line": 3,
}
DISPOSITIONS = {
    "resolved_on_scene": 40,
    "referred_care_navigation": 18,
    "transported_voluntary": 5,
    "handed_to_ems": 4,
    "handed_to_police": 3,
    "declined_services": 10,
    "no_person_found": 12,
    "cancelled_on_scene": 3,
    "cancelled_prior_to_arrival": 4,
    "non_patient_incident": 1,
}
TEAMS = [(f"CR-{n}", "community_response") for n in range(1, 7)] + [
    (f"CO-{n}", "co_response") for n in range(1, 3)
]


def pick(rng, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def minutes(rng, median, spread=0.5):
    return timedelta(minutes=rng.lognormvariate(0, spread) * median)


def seed(session, calls: int) -> None:
    rng = random.Random(8)
    teams = {}
    for call_sign, unit in TEAMS:
        team = Team(call_sign=call_sign, unit_type=unit)
        session.add(team)
        teams.setdefault(unit, []).append(team)
    supervisor = User(username="supervisor", display_name="Supervisor", role=Role.SUPERVISOR)
    supervisor.set_password(PASSWORD)
    session.add(supervisor)
    session.commit()
    team_ids = {unit: [t.id for t in ts] for unit, ts in teams.items()}

    days = (LAST_DAY - FIRST_DAY).days + 1
    incidents, assignments, events, outcomes, referrals = [], [], [], [], []
    assignment_id = 0
    arrivals = []
    for _ in range(calls):
        day = FIRST_DAY + timedelta(days=rng.randrange(days))
        hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
        arrivals.append(
            datetime(
                day.year, day.month, day.day, hour, rng.randrange(60), rng.randrange(60), tzinfo=NY
            )
        )
    arrivals.sort()  # ids follow the order calls arrive in, as in production
    for n, local in enumerate(arrivals, start=1):
        day, hour = local.date(), local.hour
        received = local.astimezone(UTC)
        violent = rng.random() < 0.2
        unit = "co_response" if violent else "community_response"
        roll = rng.random()
        if not 7 <= hour < 19:
            reason = "outside_service_hours"
        elif roll < 0.08:
            reason = "outside_city_limits"
        elif roll < 0.15:
            reason = "safety_risk"
        elif roll < 0.15 + (0.20 if 11 <= hour < 17 else 0.08):
            reason = "no_team_available"
        else:
            reason = None
        incident = dict(
            id=n,
            cad_number=f"B{n:07d}",
            call_type=pick(rng, CALL_TYPES),
            priority=rng.choice((1, 2, 2, 3)),
            within_city_limits=True,
            received_at=received,
            fallback_reason=reason,
            recommended_unit_type=unit if reason in (None, "no_team_available") else None,
            status="routed_elsewhere" if reason else "closed",
        )
        incidents.append(incident)
        if reason is None:
            at = received + minutes(rng, 1.5, 0.7)
            if rng.random() < 0.08:  # first team declines
                declined = rng.choice(team_ids[unit])
                assignment_id += 1
                assignments.append(
                    dict(
                        id=assignment_id,
                        incident_id=n,
                        team_id=declined,
                        assigned_at=at,
                        ended_at=at + timedelta(minutes=1),
                        end_reason="declined",
                    )
                )
                events += [
                    _event(rng, declined, n, "assign", at),
                    _event(rng, declined, n, "decline", at + timedelta(minutes=1)),
                ]
                at += minutes(rng, 3)
            team = rng.choice(team_ids[unit])
            accept = at + minutes(rng, 0.5)
            en_route = accept + minutes(rng, 1)
            on_scene = en_route + minutes(rng, 7)
            clear = on_scene + minutes(rng, 25)
            still_out = day == LAST_DAY and rng.random() < 0.5
            assignment_id += 1
            assignments.append(
                dict(
                    id=assignment_id,
                    incident_id=n,
                    team_id=team,
                    assigned_at=at,
                    accepted_at=accept,
                    ended_at=None if still_out else clear,
                    end_reason=None if still_out else "cleared",
                )
            )
            events += [
                _event(rng, team, n, "assign", at),
                _event(rng, team, n, "accept", accept),
                _event(rng, team, n, "en_route", en_route),
                _event(rng, team, n, "on_scene", on_scene),
            ]
            if still_out:
                incident["status"] = "on_scene"
            else:
                events.append(_event(rng, team, n, "clear", clear))
                outcomes.append(
                    dict(
                        incident_id=n,
                        team_id=team,
                        disposition=pick(rng, DISPOSITIONS),
                        people_served=None if rng.random() < 0.02 else rng.choice((1, 1, 1, 2, 3)),
                        services=[],
                        transport=rng.random() < 0.05,
                        police_requested=rng.random() < 0.03,
                        ems_requested=rng.random() < 0.04,
                        recorded_at=clear,
                    )
                )
                if outcomes[-1]["disposition"] == "referred_care_navigation":
                    referrals.append(_referral(rng, n, team, supervisor.id, clear))
        if len(incidents) >= 5000:
            _flush(session, incidents, assignments, events, outcomes, referrals)
    _flush(session, incidents, assignments, events, outcomes, referrals)


def _referral(rng, incident_id, team_id, made_by_id, made):
    """Most are claimed within hours and reached within two days; some never are."""
    claimed = made + minutes(rng, 120, 0.8) if rng.random() < 0.9 else None
    contact = claimed + minutes(rng, 20 * 60, 0.8) if claimed and rng.random() < 0.8 else None
    connected = contact + minutes(rng, 48 * 60, 0.6) if contact and rng.random() < 0.6 else None
    closed = connected + timedelta(days=1) if connected else None
    due = made + timedelta(hours=48)
    reason = "connected" if closed else None
    if closed is None and made < datetime(2026, 12, 17, tzinfo=UTC):
        # Navigators close what they cannot finish within two weeks: no years-old backlog.
        closed, reason = made + timedelta(days=14), "unreachable"
    return dict(
        incident_id=incident_id,
        team_id=team_id,
        made_by_id=made_by_id,
        client_uuid=str(uuid.UUID(int=rng.getrandbits(128))),
        consented_at=made,
        person_name="Bench person",
        urgency="within_48_hours",
        created_at=made,
        due_at=due,
        next_action_at=closed or contact or due,
        status="closed" if closed else "claimed" if claimed else "open",
        claimed_at=claimed,
        first_attempt_at=contact,
        first_contact_at=contact,
        connected_at=connected,
        closed_at=closed,
        close_reason=reason,
        needs=["housing"],
    )


def _event(rng, team_id, incident_id, action, at):
    # One tap in twenty synced late: its server time is hours after the device time.
    late = timedelta(hours=rng.uniform(1, 6)) if rng.random() < 0.05 else timedelta(seconds=1)
    return dict(
        team_id=team_id,
        incident_id=incident_id,
        action=action,
        from_status="x",
        to_status="y",
        team_version=1,
        occurred_at=at,
        received_at=at + late,
        client_uuid=str(uuid.UUID(int=rng.getrandbits(128))),
    )


def _flush(session, *batches):
    for model, rows in zip((Incident, Assignment, StatusEvent, Outcome, Referral), batches):
        if rows:
            session.execute(insert(model), rows)
            rows.clear()
    session.commit()


def timed(fn, runs=5):
    """Median wall time and median CPU time of this process (the machine is shared, so
    CPU time is the steadier figure; with SQLite in-process it includes the query work)."""
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    folder = tempfile.mkdtemp(prefix="bench-reports-")
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{folder}/bench.db"

    class BenchConfig(Config):
        SECRET_KEY = "bench"
        SQLALCHEMY_DATABASE_URI = url
        SESSION_COOKIE_SECURE = False

    app = create_app(BenchConfig)
    with app.app_context():
        db.drop_all()
        db.create_all()
        started = time.perf_counter()
        seed(db.session, CALLS)
        print(
            f"seeded {CALLS:,} calls in {time.perf_counter() - started:.1f} s on {db.engine.dialect.name}"
        )
        counts = {
            m.__tablename__: db.session.query(m).count()
            for m in (Incident, Assignment, StatusEvent, Outcome, Referral)
        }
        print("rows:", counts)
        statements = []
        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))

    client = app.test_client()
    login = client.get("/login").text
    token = login.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    assert (
        client.post(
            "/login", data={"username": "supervisor", "password": PASSWORD, "csrf_token": token}
        ).status_code
        == 303
    )

    baseline_wall, baseline = timed(lambda: client.get("/login"), runs=20)
    print(
        f"\nbaseline GET /login: {baseline * 1000:.1f} ms CPU ({baseline_wall * 1000:.1f} ms wall)"
    )
    ranges = {
        "28 days": ("2026-12-04", "2026-12-31"),
        "1 year": ("2026-01-01", "2026-12-31"),
        "4 years (all)": ("2023-01-01", "2026-12-31"),
    }
    print(
        "\n| range | calls in range | page CPU (median of 5) | x baseline | page wall | SQL statements |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for label, (start, end) in ranges.items():
        query = f"start={start}&end={end}"
        statements.clear()
        response = client.get(f"/reports/?{query}")
        assert response.status_code == 200
        queries = len(statements)
        wall, cpu = timed(lambda: client.get(f"/reports/?{query}"))
        with app.app_context():
            in_range = (
                db.session.query(Incident)
                .filter(
                    Incident.received_at >= datetime.fromisoformat(start).replace(tzinfo=NY),
                    Incident.received_at
                    < (datetime.fromisoformat(end) + timedelta(days=1)).replace(tzinfo=NY),
                )
                .count()
            )
        print(
            f"| {label} | {in_range:,} | {cpu * 1000:.0f} ms | {cpu / baseline:.0f} | "
            f"{wall * 1000:.0f} ms | {queries} |"
        )

    print("\n| range | export | CPU | bytes | peak Python memory while streaming |")
    print("| --- | --- | ---: | ---: | ---: |")
    for label in ("1 year", "4 years (all)"):
        start, end = ranges[label]

        def export(names, extra=""):
            size = 0
            for name in names:
                response = client.get(
                    f"/reports/{name}.csv?start={start}&end={end}{extra}", buffered=False
                )
                for chunk in response.response:
                    size += len(chunk)
                response.close()
            return size

        tables = [name for name in EXPORTS if name != "calls"]
        for what, names, extra in (
            ("every table on the page", tables, ""),
            ("every call (calls.csv, one row per call)", ["calls"], ""),
            (
                "every call, Measuring What Matters + NEMSIS (calls.csv?format=gpl)",
                ["calls"],
                "&format=gpl",
            ),
        ):
            _, cpu = timed(lambda: export(names, extra), runs=3)
            tracemalloc.start()
            size = export(names, extra)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            print(f"| {label} | {what} | {cpu * 1000:.0f} ms | {size:,} | {peak / 1e6:.2f} MB |")


if __name__ == "__main__":
    main()
