"""referrals

Revision ID: 0005_referrals
Revises: 0004_dispatch
Create Date: 2026-11-27 09:06:53.735143

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_referrals'
down_revision = '0004_dispatch'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('referrals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('made_by_id', sa.Integer(), nullable=False),
    sa.Column('client_uuid', sa.String(length=36), nullable=False),
    sa.Column('consented_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('person_name', sa.String(length=120), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('other_contact', sa.String(length=200), nullable=True),
    sa.Column('best_time', sa.String(length=120), nullable=True),
    sa.Column('may_leave_message', sa.Boolean(), nullable=False),
    sa.Column('needs', sa.JSON(), nullable=False),
    sa.Column('urgency', sa.String(length=20), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('sensitive_notes', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('next_action_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_by_id', sa.Integer(), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_contact_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('connected_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('close_reason', sa.String(length=20), nullable=True),
    sa.Column('close_note', sa.Text(), nullable=True),
    sa.Column('reopened_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['claimed_by_id'], ['users.id'], name=op.f('fk_referrals_claimed_by_id_users')),
    sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'], name=op.f('fk_referrals_closed_by_id_users')),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_referrals_incident_id_incidents')),
    sa.ForeignKeyConstraint(['made_by_id'], ['users.id'], name=op.f('fk_referrals_made_by_id_users')),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_referrals_team_id_teams')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referrals')),
    sa.UniqueConstraint('client_uuid', name=op.f('uq_referrals_client_uuid'))
    )
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referrals_claimed_by_id'), ['claimed_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referrals_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_referrals_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referrals_made_by_id'), ['made_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referrals_next_action_at'), ['next_action_at'], unique=False)
        batch_op.create_index('ix_referrals_status_next_action', ['status', 'next_action_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_referrals_team_id'), ['team_id'], unique=False)

    op.create_table('follow_up_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('navigator_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('result', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('attempted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['navigator_id'], ['users.id'], name=op.f('fk_follow_up_attempts_navigator_id_users')),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_follow_up_attempts_referral_id_referrals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_up_attempts'))
    )
    with op.batch_alter_table('follow_up_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_follow_up_attempts_referral_id'), ['referral_id'], unique=False)

    op.create_table('service_connections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('service', sa.String(length=30), nullable=False),
    sa.Column('organisation', sa.String(length=200), nullable=False),
    sa.Column('connected_on', sa.Date(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_service_connections_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_service_connections_referral_id_referrals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_connections'))
    )
    with op.batch_alter_table('service_connections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_connections_referral_id'), ['referral_id'], unique=False)

    with op.batch_alter_table('outcomes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('referral_declined', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade():
    with op.batch_alter_table('outcomes', schema=None) as batch_op:
        batch_op.drop_column('referral_declined')

    with op.batch_alter_table('service_connections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_connections_referral_id'))

    op.drop_table('service_connections')
    with op.batch_alter_table('follow_up_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_follow_up_attempts_referral_id'))

    op.drop_table('follow_up_attempts')
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referrals_team_id'))
        batch_op.drop_index('ix_referrals_status_next_action')
        batch_op.drop_index(batch_op.f('ix_referrals_next_action_at'))
        batch_op.drop_index(batch_op.f('ix_referrals_made_by_id'))
        batch_op.drop_index(batch_op.f('ix_referrals_incident_id'))
        batch_op.drop_index(batch_op.f('ix_referrals_created_at'))
        batch_op.drop_index(batch_op.f('ix_referrals_claimed_by_id'))

    op.drop_table('referrals')
