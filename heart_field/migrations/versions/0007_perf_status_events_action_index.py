"""status_events: index on (action, team_id) for each team's latest entry of a kind

Revision ID: 0007_perf
Revises: 0006_api_tokens
Create Date: 2026-11-27 11:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0007_perf'
down_revision = '0006_api_tokens'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('status_events', schema=None) as batch_op:
        batch_op.create_index('ix_status_events_action_team', ['action', 'team_id'], unique=False)


def downgrade():
    with op.batch_alter_table('status_events', schema=None) as batch_op:
        batch_op.drop_index('ix_status_events_action_team')
