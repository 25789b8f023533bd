"""referral closures: each close of a referral and its reopening, so reopening loses no
outcome; referrals closed now get their close copied in

Revision ID: 0009_closures
Revises: 0008_reports
Create Date: 2026-11-27 13:40:33.485203

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_closures'
down_revision = '0008_reports'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('referral_closures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_by_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('reopened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reopened_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'], name=op.f('fk_referral_closures_closed_by_id_users')),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_referral_closures_referral_id_referrals')),
    sa.ForeignKeyConstraint(['reopened_by_id'], ['users.id'], name=op.f('fk_referral_closures_reopened_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_closures'))
    )
    with op.batch_alter_table('referral_closures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referral_closures_referral_id'), ['referral_id'], unique=False)
    op.execute(
        "INSERT INTO referral_closures (referral_id, closed_at, closed_by_id, reason, note) "
        "SELECT id, closed_at, closed_by_id, close_reason, close_note FROM referrals "
        "WHERE status = 'closed' AND closed_at IS NOT NULL AND closed_by_id IS NOT NULL "
        "AND close_reason IS NOT NULL"
    )


def downgrade():
    with op.batch_alter_table('referral_closures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referral_closures_referral_id'))

    op.drop_table('referral_closures')
