"""The baselines the app is measured against, served by the same gunicorn configuration.

Not part of HEART Field. `/const` answers a constant (the most gunicorn and Flask can do
here); `/insert` writes one row and commits (the most a write endpoint can do here), on the
same database engine with the same SQLite settings as the app (WAL, synchronous=NORMAL,
busy timeout: registered by importing heart_field.extensions).
"""

import os
import uuid

from flask import Flask
from sqlalchemy import create_engine, text

import heart_field.extensions  # noqa: F401  (the app's SQLite pragmas, on every connection)
from heart_field.models import utcnow

TABLE = os.environ.get("BENCH_BASELINE_TABLE", "baseline_writes")


def create_app() -> Flask:
    app = Flask(__name__)
    engine = create_engine(os.environ["BENCH_BASELINE_DATABASE_URL"], pool_pre_ping=True)
    insert = text(f"INSERT INTO {TABLE} (client_uuid, received_at) VALUES (:uuid, :at)")

    @app.get("/const")
    def const():
        return "ok"

    @app.post("/insert")
    def insert_one():
        with engine.begin() as connection:
            connection.execute(insert, {"uuid": str(uuid.uuid4()), "at": utcnow().isoformat()})
        return "saved"

    return app


app = create_app()
