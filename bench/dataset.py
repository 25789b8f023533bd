"""Seeded datasets: the demo shift, a shift scaled by a factor, its history, and the teams
and calls the load runs work through.

At factor k the shift has `teams_per_x * k` teams and `open_per_x * k` open calls, and the
history `history_per_x * k` closed calls, each with its assignment, outcome and five status
events. Rows are inserted in bulk (SQLAlchemy Core); the schema comes from the migrations,
run as a deploy runs them (`flask db upgrade`).
"""

import random
import subprocess
import sys
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from unittest.mock import patch

from flask import Flask
from sqlalchemy import func, insert, make_url, select, text
from werkzeug.security import generate_password_hash

from heart_field import create_app, demo
from heart_field.domain.status import Action, Tap, apply
from heart_field.extensions import db
from heart_field.models import (
    CALL_TYPES,
    DISPOSITIONS,
    Assignment,
    Incident,
    IncidentStatus,
    Outcome,
    Role,
    StatusEvent,
    Team,
    TeamStatus,
    UnitType,
    User,
    utcnow,
)

from .servers import BENCH_SECRET, DEMO_PASSWORD, ROOT, app_env

PASSWORD = DEMO_PASSWORD  # the bench's own responders share the demo shift's password
CHUNK = 5000
# Of every ten teams on a shift: five available, one assigned, one en route, two on scene,
# one out of service.
SHIFT_PATTERN = [TeamStatus.AVAILABLE] * 5 + [
    TeamStatus.ASSIGNED,
    TeamStatus.EN_ROUTE,
    TeamStatus.ON_SCENE,
    TeamStatus.ON_SCENE,
    TeamStatus.OUT_OF_SERVICE,
]


@dataclass(frozen=True)
class Sizes:
    teams_per_x: int = 2
    open_per_x: int = 20
    history_per_x: int = 1000


@dataclass
class LoadTeam:
    """A team with one signed-in responder, and the calls the dispatcher may send it."""

    call_sign: str
    username: str
    incident_ids: list[int] = field(default_factory=list)
    next_incident: int = 0


def is_postgresql(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


def make_app(url: str) -> Flask:
    """The app in this process, with production settings, on the benchmark's database."""
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": BENCH_SECRET,
            "SESSION_COOKIE_SECURE": False,  # the test client speaks plain http
            "TESTING": False,
            "DEBUG": False,
        }
    )


def reset(url: str) -> None:
    """Start from an empty database: delete the SQLite file, or empty PostgreSQL's schema."""
    if is_postgresql(url):
        app = make_app(url)
        with app.app_context():
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
            db.engine.dispose()
        return
    path = Path(make_url(url).database)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def migrate(url: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "db", "upgrade"],
        cwd=ROOT,
        env=app_env(url),
        check=True,
        capture_output=True,
    )


def build(url: str, scale: int, sizes: Sizes, seed: int = 10) -> dict[str, int]:
    """A fresh database at factor `scale`; returns the row counts."""
    reset(url)
    migrate(url)
    rng = random.Random(seed + scale)
    app = make_app(url)
    with app.app_context():
        # Every login shares one password: hash it once, not once per user (scrypt is slow).
        password_hash = generate_password_hash(PASSWORD)
        with patch.object(
            User, "set_password", lambda user, _: setattr(user, "password_hash", password_hash)
        ):
            demo.seed(db.session, PASSWORD)
        teams = _shift_teams(scale * sizes.teams_per_x)
        _open_calls(rng, scale * sizes.open_per_x, teams, f"O{scale}")
        team_ids = [t["id"] for t in teams] or list(db.session.scalars(select(Team.id)))
        _history(rng, scale * sizes.history_per_x, team_ids)
        _fix_sequences()
        db.session.commit()
        counts = row_counts()
        db.engine.dispose()
    return counts


def row_counts() -> dict[str, int]:
    """What a data size holds (in the current app context): teams, open calls, incidents,
    status events."""
    return {
        "teams": db.session.scalar(select(func.count()).select_from(Team)),
        "open calls": db.session.scalar(
            select(func.count())
            .select_from(Incident)
            .where(Incident.status != IncidentStatus.CLOSED)
        ),
        "incidents": db.session.scalar(select(func.count()).select_from(Incident)),
        "status events": db.session.scalar(select(func.count()).select_from(StatusEvent)),
    }


def add_load_teams(url: str, count: int, calls_each: list[int]) -> list[LoadTeam]:
    """Teams L-001... with one responder each (ld-001...), `calls_each[i]` open calls kept
    for team i, and the teams started in turn at each point of the cycle (available,
    assigned, accepted, en route, on scene), so a short run sees every kind of tap."""
    app = make_app(url)
    now = utcnow()
    password_hash = generate_password_hash(PASSWORD)
    load_teams = []
    with app.app_context():
        dispatcher = db.session.scalar(select(User).where(User.role == Role.DISPATCHER))
        for i in range(count):
            call_sign = f"L-{i + 1:03d}"
            team = Team(
                call_sign=call_sign,
                unit_type=UnitType.COMMUNITY_RESPONSE.value,
                status=TeamStatus.AVAILABLE.value,  # on duty: the load works a shift
                last_lat=35.99,
                last_lon=-78.9,
                position_at=now,
            )
            db.session.add(team)
            db.session.flush()
            username = f"ld-{i + 1:03d}"
            db.session.add(
                User(
                    username=username,
                    display_name=f"Load responder {i + 1}",
                    role=Role.RESPONDER.value,
                    team_id=team.id,
                    discipline="clinician",
                    password_hash=password_hash,
                )
            )
            _bulk(
                Incident.__table__,
                [
                    dict(
                        cad_number=f"P{call_sign}-{n:05d}",
                        call_type="welfare_check",
                        priority=2,
                        address="737 Ninth St, Durham, NC 27705",
                        lat=36.009004,
                        lon=-78.922177,
                        within_city_limits=True,
                        status=IncidentStatus.OPEN.value,
                        received_at=now,
                        weapons=False,
                        violence=False,
                        medical_emergency=False,
                    )
                    for n in range(calls_each[i])
                ],
            )
            ids = list(
                db.session.scalars(
                    select(Incident.id)
                    .where(Incident.cad_number.like(f"P{call_sign}-%"))
                    .order_by(Incident.id)
                )
            )
            load_teams.append(LoadTeam(call_sign, username, ids))
        db.session.commit()
        for i, load_team in enumerate(load_teams):
            steps = [Action.ASSIGN, Action.ACCEPT, Action.EN_ROUTE, Action.ON_SCENE][: i % 5]
            team = db.session.scalar(select(Team).where(Team.call_sign == load_team.call_sign))
            for action in steps:
                incident_id = None
                if action == Action.ASSIGN:
                    incident_id = load_team.incident_ids[0]
                    load_team.next_incident = 1
                apply(
                    db.session,
                    team,
                    Tap(action=action, client_uuid=str(uuid.uuid4()), incident_id=incident_id),
                    dispatcher,
                )
        db.engine.dispose()
    return load_teams


def open_calls_without_team(url: str, limit: int) -> list[int]:
    app = make_app(url)
    with app.app_context():
        ids = list(
            db.session.scalars(
                select(Incident.id)
                .where(Incident.status == IncidentStatus.OPEN)
                .order_by(Incident.id)
                .limit(limit)
            )
        )
        db.engine.dispose()
    return ids


def _bulk(table, rows: Iterable[dict]) -> None:
    rows = list(rows)
    if not rows:
        return
    for start in range(0, len(rows), CHUNK):
        db.session.execute(insert(table), rows[start : start + CHUNK])


def _next_id(model) -> int:
    return (db.session.scalar(select(func.max(model.id))) or 0) + 1


def _shift_teams(count: int) -> list[dict]:
    now = utcnow()
    first = _next_id(Team)
    teams = []
    for i in range(count):
        status = SHIFT_PATTERN[i % len(SHIFT_PATTERN)]
        teams.append(
            dict(
                id=first + i,
                call_sign=f"T-{i + 1:04d}",
                unit_type=(
                    UnitType.CO_RESPONSE if i % 4 == 3 else UnitType.COMMUNITY_RESPONSE
                ).value,
                status=status.value,
                status_since=now - timedelta(minutes=i % 50),
                version=1 + i % 7,
                last_lat=35.95 + (i % 97) / 970,
                last_lon=-78.95 + (i % 89) / 890,
                position_at=now,
            )
        )
    _bulk(Team.__table__, teams)
    return teams


def _call(rng: random.Random, incident_id: int, cad: str, status: str, received_at) -> dict:
    return dict(
        id=incident_id,
        cad_number=cad,
        call_type=rng.choice(list(CALL_TYPES)),
        priority=rng.choice((1, 2, 2, 3, 3)),
        address=f"{rng.randint(100, 4999)} Main St, Durham, NC 27701",
        lat=35.95 + rng.random() / 10,
        lon=-78.95 + rng.random() / 10,
        within_city_limits=True,
        weapons=False,
        violence=False,
        medical_emergency=rng.random() < 0.05,
        narrative="Caller asks for someone to check on a person nearby.",
        status=status,
        received_at=received_at,
    )


def _open_calls(rng: random.Random, count: int, teams: list[dict], prefix: str) -> None:
    """Open calls; teams that are assigned, en route or on scene each hold one of them."""
    now = utcnow()
    first = _next_id(Incident)
    busy = [
        t
        for t in teams
        if t["status"] in (TeamStatus.ASSIGNED, TeamStatus.EN_ROUTE, TeamStatus.ON_SCENE)
    ][:count]
    calls, assignments = [], []
    for i in range(count):
        status = busy[i]["status"] if i < len(busy) else IncidentStatus.OPEN.value
        calls.append(
            _call(
                rng,
                first + i,
                f"{prefix}-{i + 1:07d}",
                status,
                now - timedelta(minutes=rng.randint(1, 360)),
            )
        )
        if i < len(busy):
            assignments.append(
                dict(
                    incident_id=first + i,
                    team_id=busy[i]["id"],
                    assigned_at=now - timedelta(minutes=20),
                    accepted_at=None
                    if status == TeamStatus.ASSIGNED
                    else now - timedelta(minutes=19),
                )
            )
    _bulk(Incident.__table__, calls)
    _bulk(Assignment.__table__, assignments)


def _history(rng: random.Random, count: int, team_ids: list[int]) -> None:
    """Closed calls, one every 45 minutes going back (about 32 a day): each assigned,
    accepted, driven to, attended and cleared, with an outcome."""
    now = utcnow()
    first = _next_id(Incident)
    dispositions = list(DISPOSITIONS)
    path = [
        ("assign", "available", "assigned", 1),
        ("accept", "assigned", "assigned", 2),
        ("en_route", "assigned", "en_route", 3),
        ("on_scene", "en_route", "on_scene", 12),
        ("clear", "on_scene", "available", 50),
    ]
    # Each team's row version counts its status changes: going back in time from the shift,
    # each earlier change has a lower version (below zero here; the shift's are 1 and up), so
    # (team, version) names one change, as it does in a real feed.
    versions = dict.fromkeys(team_ids, 0)
    for block in range(0, count, CHUNK):
        calls, assignments, outcomes, events = [], [], [], []
        for i in range(block, min(count, block + CHUNK)):
            received = now - timedelta(minutes=45 * (i + 1) + 60)
            team_id = rng.choice(team_ids)
            incident_id = first + i
            calls.append(
                {
                    **_call(
                        rng, incident_id, f"H-{i + 1:08d}", IncidentStatus.CLOSED.value, received
                    ),
                    "closed_at": received + timedelta(minutes=50),
                }
            )
            assignments.append(
                dict(
                    incident_id=incident_id,
                    team_id=team_id,
                    assigned_at=received + timedelta(minutes=1),
                    accepted_at=received + timedelta(minutes=2),
                    ended_at=received + timedelta(minutes=50),
                    end_reason="cleared",
                )
            )
            outcomes.append(
                dict(
                    incident_id=incident_id,
                    team_id=team_id,
                    disposition=rng.choice(dispositions),
                    people_served=1,
                    services=["resource_information"],
                    transport=False,
                    police_requested=False,
                    ems_requested=False,
                    recorded_at=received + timedelta(minutes=50),
                )
            )
            versions[team_id] -= len(path)
            for n, (action, before, after, minutes) in enumerate(path):
                at = received + timedelta(minutes=minutes)
                events.append(
                    dict(
                        team_id=team_id,
                        incident_id=incident_id,
                        action=action,
                        from_status=before,
                        to_status=after,
                        team_version=versions[team_id] + n,
                        occurred_at=at,
                        received_at=at,
                        client_uuid=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    )
                )
        _bulk(Incident.__table__, calls)
        _bulk(Assignment.__table__, assignments)
        _bulk(Outcome.__table__, outcomes)
        _bulk(StatusEvent.__table__, events)


def _fix_sequences() -> None:
    """Rows were inserted with explicit ids: move PostgreSQL's id sequences past them."""
    if db.engine.dialect.name != "postgresql":
        return
    for model in (Team, Incident):
        table = model.__tablename__
        db.session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
        )


def create_baseline_table(url: str, table: str) -> None:
    app = make_app(url)
    key = "SERIAL PRIMARY KEY" if is_postgresql(url) else "INTEGER PRIMARY KEY"
    with app.app_context():
        with db.engine.begin() as connection:
            if "." in table:
                connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {table.split('.')[0]}"))
            connection.execute(
                text(
                    f"CREATE TABLE IF NOT EXISTS {table} "
                    f"(id {key}, client_uuid VARCHAR(36) UNIQUE, received_at VARCHAR(40))"
                )
            )
        db.engine.dispose()
