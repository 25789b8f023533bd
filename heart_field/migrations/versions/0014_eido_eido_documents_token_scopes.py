"""eido: EIDO documents taken in, and API token scopes

Existing tokens keep all three scopes (create_incidents read_status read_personal): the
column's server default fills them in, so nothing an integration did before stops working.

Revision ID: 0014_eido
Revises: 0013_alerts
"""
from alembic import op
import sqlalchemy as sa


revision = '0014_eido'
down_revision = '0013_alerts'
branch_labels = None
depends_on = None

ALL_SCOPES = "create_incidents read_status read_personal"


def upgrade():
    op.create_table('eido_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('eido_id', sa.String(length=255), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('document', sa.JSON(), nullable=False),
    sa.Column('last_update', sa.DateTime(timezone=True), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('token_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_eido_documents_incident_id_incidents')),
    sa.ForeignKeyConstraint(['token_id'], ['api_tokens.id'], name=op.f('fk_eido_documents_token_id_api_tokens')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_eido_documents'))
    )
    with op.batch_alter_table('eido_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_eido_documents_eido_id'), ['eido_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_eido_documents_incident_id'), ['incident_id'], unique=False)
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scopes', sa.String(length=120), nullable=False, server_default=ALL_SCOPES))


def downgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('scopes')
    with op.batch_alter_table('eido_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_eido_documents_incident_id'))
        batch_op.drop_index(batch_op.f('ix_eido_documents_eido_id'))
    op.drop_table('eido_documents')
