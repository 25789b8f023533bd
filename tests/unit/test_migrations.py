"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from datetime import UTC, datetime
from types import SimpleNamespace

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text

from heart_field.extensions import db
from heart_field.models import Referral


def _fresh_schema():
    db.drop_all()
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


def test_upgrade_matches_models_and_downgrade_empties(app):
    _fresh_schema()
    upgrade()
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert diff == []
    downgrade(revision="base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}


def test_referrals_closed_before_0009_keep_their_close_in_the_history(app):
    """0009 copies each closed referral's close into referral_closures; open ones get none.
    The rows are written through the models, whose other tables 0008 already has."""
    _fresh_schema()
    upgrade(revision="0008_reports")
    # Teams, users and the incident through SQL: their models have columns that later
    # migrations add (shifts, place_key).
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO teams (call_sign, unit_type, status, status_since, version) "
                "VALUES ('CR-1', 'community_response', 'available', :now, 1)"
            ),
            {"now": datetime(2026, 11, 2, tzinfo=UTC)},
        )
        connection.execute(
            text(
                "INSERT INTO users (username, display_name, password_hash, role, active, "
                "created_at) VALUES ('nia', 'Nia', 'x', 'navigator', true, :now)"
            ),
            {"now": datetime(2026, 11, 2, tzinfo=UTC)},
        )
        connection.execute(
            text(
                "INSERT INTO incidents (cad_number, call_type, priority, weapons, violence, "
                "medical_emergency, status, received_at) "
                "VALUES ('D1', 'welfare_check', 2, false, false, false, 'open', :now)"
            ),
            {"now": datetime(2026, 11, 2, tzinfo=UTC)},
        )
    team = SimpleNamespace(id=db.session.scalar(text("SELECT id FROM teams")))
    nia = SimpleNamespace(id=db.session.scalar(text("SELECT id FROM users")))
    incident = SimpleNamespace(id=db.session.scalar(text("SELECT id FROM incidents")))
    when = datetime(2026, 11, 2, 10, tzinfo=UTC)
    for n, closed in enumerate((True, False)):
        db.session.add(
            Referral(
                incident_id=incident.id,
                team_id=team.id,
                made_by_id=nia.id,
                client_uuid=f"uuid-{n}",
                consented_at=when,
                person_name="P",
                needs=[],
                urgency="routine",
                due_at=when,
                next_action_at=when,
                status="closed" if closed else "open",
                closed_at=when if closed else None,
                closed_by_id=nia.id if closed else None,
                close_reason="connected" if closed else None,
                close_note="Housing intake booked." if closed else None,
            )
        )
    db.session.commit()
    closed_id = db.session.scalar(select(Referral.id).where(Referral.status == "closed"))
    nia_id = nia.id
    db.session.remove()
    upgrade()
    with db.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT referral_id, closed_by_id, reason, note, reopened_at FROM referral_closures"
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        (closed_id, nia_id, "connected", "Housing intake booked.", None)
    ]
    downgrade(revision="base")
