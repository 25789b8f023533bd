"""steer: call notes (updates to the team in the field) and call resolutions (cancelled, or
a waiting call resolved with a coded outcome)

Revision ID: 0012_steer
Revises: 0011_shifts
Create Date: 2026-12-02 11:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_steer'
down_revision = '0011_shifts'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('call_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['acknowledged_by_id'], ['users.id'], name=op.f('fk_call_notes_acknowledged_by_id_users')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_call_notes_created_by_id_users')),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_call_notes_incident_id_incidents')),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_call_notes_team_id_teams')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_notes'))
    )
    with op.batch_alter_table('call_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_notes_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index('ix_call_notes_urgent_open', ['urgent', 'acknowledged_at'], unique=False)

    op.create_table('call_resolutions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('from_status', sa.String(length=20), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_call_resolutions_incident_id_incidents')),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['users.id'], name=op.f('fk_call_resolutions_resolved_by_id_users')),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_call_resolutions_team_id_teams')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_resolutions')),
    sa.UniqueConstraint('incident_id', name=op.f('uq_call_resolutions_incident_id'))
    )
    with op.batch_alter_table('call_resolutions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_resolutions_code'), ['code'], unique=False)


def downgrade():
    with op.batch_alter_table('call_resolutions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_resolutions_code'))

    op.drop_table('call_resolutions')
    with op.batch_alter_table('call_notes', schema=None) as batch_op:
        batch_op.drop_index('ix_call_notes_urgent_open')
        batch_op.drop_index(batch_op.f('ix_call_notes_incident_id'))

    op.drop_table('call_notes')
