"""places: incidents' normalised place key, place-lookup indexes, and safety and approach
notes on a place (issue 23)

Existing calls get their place key from their address, so prior contacts count them too.

Revision ID: 0018_places
Revises: 0014_eido
"""
from alembic import op
import sqlalchemy as sa


revision = '0018_places'
down_revision = '0014_eido'
branch_labels = None
depends_on = None


def upgrade():
    from heart_field.models.places import place_key_for

    # Plain ALTERs, not a batch copy: SQLite cannot drop incidents while calls refer to it.
    op.add_column('incidents', sa.Column('place_key', sa.String(length=200), nullable=True))
    incidents = sa.table('incidents', sa.column('id', sa.Integer), sa.column('address', sa.String),
                         sa.column('place_key', sa.String))
    connection = op.get_bind()
    rows = connection.execute(sa.select(incidents.c.id, incidents.c.address)
                              .where(incidents.c.address.isnot(None))).all()
    for incident_id, address in rows:
        connection.execute(incidents.update().where(incidents.c.id == incident_id)
                           .values(place_key=place_key_for(address)))
    op.create_index('ix_incidents_place_point', 'incidents', ['lat', 'lon', 'received_at'], unique=False)
    op.create_index('ix_incidents_place_key', 'incidents', ['place_key', 'received_at'], unique=False)

    op.create_table('place_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('text', sa.String(length=200), nullable=False),
    sa.Column('lat', sa.Double(), nullable=True),
    sa.Column('lon', sa.Double(), nullable=True),
    sa.Column('place_key', sa.String(length=200), nullable=True),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('removed_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_place_notes_author_id_users')),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_place_notes_incident_id_incidents')),
    sa.ForeignKeyConstraint(['removed_by_id'], ['users.id'], name=op.f('fk_place_notes_removed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_place_notes'))
    )
    with op.batch_alter_table('place_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_place_notes_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_place_notes_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_place_notes_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index('ix_place_notes_place_key', ['place_key'], unique=False)
        batch_op.create_index('ix_place_notes_point', ['lat', 'lon'], unique=False)

    op.create_table('referral_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('linked_by_id', sa.Integer(), nullable=False),
    sa.Column('linked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_referral_links_incident_id_incidents')),
    sa.ForeignKeyConstraint(['linked_by_id'], ['users.id'], name=op.f('fk_referral_links_linked_by_id_users')),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_referral_links_referral_id_referrals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_links')),
    sa.UniqueConstraint('referral_id', 'incident_id', name=op.f('uq_referral_links_referral_id'))
    )
    with op.batch_alter_table('referral_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referral_links_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_links_referral_id'), ['referral_id'], unique=False)


def downgrade():
    with op.batch_alter_table('referral_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referral_links_referral_id'))
        batch_op.drop_index(batch_op.f('ix_referral_links_incident_id'))
    op.drop_table('referral_links')
    with op.batch_alter_table('place_notes', schema=None) as batch_op:
        batch_op.drop_index('ix_place_notes_point')
        batch_op.drop_index('ix_place_notes_place_key')
        batch_op.drop_index(batch_op.f('ix_place_notes_incident_id'))
        batch_op.drop_index(batch_op.f('ix_place_notes_expires_at'))
        batch_op.drop_index(batch_op.f('ix_place_notes_author_id'))
    op.drop_table('place_notes')
    op.drop_index('ix_incidents_place_key', table_name='incidents')
    op.drop_index('ix_incidents_place_point', table_name='incidents')
    # SQLite 3.35+ drops a column in place (alembic's batch mode would copy the table).
    op.execute('ALTER TABLE incidents DROP COLUMN place_key')
