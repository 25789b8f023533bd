"""report indexes: each unit's log-ons and log-offs by time (hours on duty per unit reads
only the period's and each unit's latest before it), and shifts by end (hours per person
reads only the shifts still open at the period's start or ended after it)

Revision ID: 0019_report_indexes
Revises: 0018_places
"""
from alembic import op


revision = '0019_report_indexes'
down_revision = '0018_places'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_status_events_action_team_received', 'status_events',
                    ['action', 'team_id', 'received_at'], unique=False)
    op.create_index('ix_shifts_ended_started', 'shifts', ['ended_at', 'started_at'], unique=False)


def downgrade():
    op.drop_index('ix_shifts_ended_started', table_name='shifts')
    op.drop_index('ix_status_events_action_team_received', table_name='status_events')
