"""Indexes for the board at city-wide scale: the waiting calls by urgency, the open
assignments, and each team's current status event

Revision ID: 0020_board
Revises: 0019_report_indexes
Create Date: 2026-12-02 15:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0020_board'
down_revision = '0019_report_indexes'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.create_index('ix_incidents_queue', ['status', 'priority', 'received_at'], unique=False)
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.create_index('ix_assignments_ended', ['ended_at'], unique=False)
    with op.batch_alter_table('status_events', schema=None) as batch_op:
        batch_op.create_index('ix_status_events_team_version', ['team_id', 'team_version'], unique=False)


def downgrade():
    with op.batch_alter_table('status_events', schema=None) as batch_op:
        batch_op.drop_index('ix_status_events_team_version')
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_index('ix_assignments_ended')
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_index('ix_incidents_queue')
