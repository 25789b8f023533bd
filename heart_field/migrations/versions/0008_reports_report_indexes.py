"""report indexes: count calls by time received, and read tap times per call and team,
from the indexes alone

Revision ID: 0008_reports
Revises: 0007_perf
Create Date: 2026-11-27 09:29:39.824503

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0008_reports'
down_revision = '0007_perf'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_incidents_received_report', 'incidents',
                    ['received_at', 'status', 'fallback_reason', 'recommended_unit_type'], unique=False)
    op.create_index('ix_status_events_incident_team', 'status_events',
                    ['incident_id', 'team_id', 'action', 'occurred_at'], unique=False)


def downgrade():
    op.drop_index('ix_status_events_incident_team', table_name='status_events')
    op.drop_index('ix_incidents_received_report', table_name='incidents')
