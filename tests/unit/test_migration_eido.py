"""Migration 0014: EIDO documents and token scopes; tokens made before it keep all three."""

from flask_migrate import upgrade
from sqlalchemy import text

from heart_field.extensions import db
from tests.unit.test_migrations import _fresh_schema


def test_tokens_made_before_scopes_keep_every_scope(app):
    _fresh_schema()
    upgrade(revision="0009_closures")
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO api_tokens (name, token_hash, created_at) "
                "VALUES ('Durham ECC CAD', :hash, CURRENT_TIMESTAMP)"
            ),
            {"hash": "a" * 64},
        )
    upgrade(revision="0014_eido")
    with db.engine.connect() as connection:
        scopes = connection.execute(text("SELECT scopes FROM api_tokens")).scalar_one()
        tables = connection.execute(text("SELECT COUNT(*) FROM eido_documents")).scalar_one()
    assert scopes == "create_incidents read_status read_personal"
    assert tables == 0
