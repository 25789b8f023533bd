"""Prior-contact lookup on PostgreSQL at 2,000 and 200,000 calls: time per lookup and the plan.

Run by hand: `.venv/bin/python bench/places_lookup.py` (DROPS AND REBUILDS the tables of
PLACES_BENCH_DATABASE_URL, default the places_live database). Results in bench/RESULTS.md.
"""

import os
import random
import time
from datetime import timedelta

from sqlalchemy import text

from heart_field import create_app
from heart_field.config import TestConfig
from heart_field.domain import places
from heart_field.extensions import db
from heart_field.models import Incident, Team, utcnow

URL = os.environ.get(
    "PLACES_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:55432/places_live"
)
app = create_app(type("C", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": URL}))
with app.app_context():
    db.drop_all()
    db.create_all()
    team = Team(call_sign="CR-1", unit_type="community_response")
    db.session.add(team)
    db.session.commit()
    rnd = random.Random(1)
    now = utcnow()

    def add(n, start):
        rows = []
        for i in range(start, start + n):
            when = now - timedelta(days=rnd.uniform(0, 700))
            rows.append(
                dict(
                    cad_number=f"B{i}",
                    call_type="welfare_check",
                    priority=2,
                    address=f"{rnd.randint(1, 3000)} Street{rnd.randint(1, 400)} St",
                    place_key=None,
                    lat=35.95 + rnd.random() * 0.1,
                    lon=-78.95 + rnd.random() * 0.1,
                    status="closed",
                    received_at=when,
                    weapons=False,
                    violence=False,
                    medical_emergency=False,
                )
            )
        db.session.execute(Incident.__table__.insert(), rows)
        db.session.execute(
            text(
                "INSERT INTO outcomes (incident_id, team_id, disposition, services, transport, police_requested, ems_requested, referral_declined, recorded_at) SELECT id, :t, 'resolved_on_scene', '[]', false, false, false, false, received_at FROM incidents WHERE id NOT IN (SELECT incident_id FROM outcomes)"
            ),
            {"t": team.id},
        )
        db.session.execute(
            text("UPDATE incidents SET place_key = lower(address) WHERE place_key IS NULL")
        )
        db.session.commit()
        db.session.execute(text("ANALYZE"))

    probe = Incident(
        cad_number="P",
        call_type="welfare_check",
        priority=2,
        address="737 Ninth St",
        lat=36.0,
        lon=-78.9,
        received_at=now,
    )
    db.session.add(probe)
    db.session.commit()
    settings = places.PlaceSettings()

    def measure(label):
        for _ in range(5):
            places.prior_contacts(db.session, probe, now, settings)
        t = time.perf_counter()
        n = 50
        for _ in range(n):
            places.prior_contacts(db.session, probe, now, settings)
        print(label, f"{(time.perf_counter() - t) / n * 1000:.2f} ms per lookup")

    add(2000, 0)
    measure("2,000 calls:")
    add(198000, 2000)
    measure("200,000 calls:")
    import sqlalchemy as sa
    from sqlalchemy.dialects import postgresql

    place = places.Place.of(probe)
    q = sa.select(Incident.id).where(
        place.sql_filter(Incident.lat, Incident.lon, Incident.place_key, 50),
        Incident.received_at >= now - timedelta(days=90),
    )
    sql = str(q.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
    for row in db.session.execute(text("EXPLAIN " + sql)):
        print(row[0])
    db.drop_all()
