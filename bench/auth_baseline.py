"""The authenticated one-insert baseline (issue 16): what any signed-in write must cost here.

``POST /bench/insert`` on the real app: the signed session cookie is read, the CSRF token
checked, the user's row loaded (Flask-Login), one row inserted and committed, a short text
answered. A status tap does all of that too; what it costs beyond this is the status core's
and the answer's. Registered only by the benchmark (``register``), never by the app.
"""

import uuid

from flask import Flask
from flask_login import current_user
from sqlalchemy import text

from heart_field.access import roles
from heart_field.extensions import db
from heart_field.models import Role, utcnow

TABLE = "bench_auth_writes"


def register(app: Flask) -> None:
    with app.app_context():
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    f"CREATE TABLE IF NOT EXISTS {TABLE} "
                    "(client_uuid VARCHAR(36) PRIMARY KEY, user_id INTEGER, received_at VARCHAR(40))"
                )
            )

    @roles(Role.RESPONDER)
    def bench_insert():
        db.session.execute(
            text(f"INSERT INTO {TABLE} (client_uuid, user_id, received_at) VALUES (:u, :who, :at)"),
            {"u": str(uuid.uuid4()), "who": current_user.id, "at": utcnow().isoformat()},
        )
        db.session.commit()
        return "saved"

    app.add_url_rule("/bench/insert", "bench_insert", bench_insert, methods=["POST"])
