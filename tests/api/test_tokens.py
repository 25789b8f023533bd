"""Token life cycle: create (CLI), use, revoke (admin page), refused after; never kept or logged in clear."""

import logging

import pytest
from sqlalchemy import select, text

from heart_field import tokens
from heart_field.extensions import db
from heart_field.models import ApiToken, Role
from tests.api.conftest import Api, call
from tests.conftest import make_user, reload


def test_token_life_cycle(app, runner, sign_in, caplog):
    caplog.set_level(logging.DEBUG)
    result = runner.invoke(args=["create-token", "Durham ECC CAD"])
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip()
    assert secret.startswith("hf_") and len(secret) > 40

    token = db.session.scalar(select(ApiToken))
    assert token.name == "Durham ECC CAD" and token.last_used_at is None
    api = Api(app.test_client(), secret)
    assert api.get("/api/v1/teams").status_code == 200
    assert api.post("/api/v1/incidents", call()).status_code == 201
    assert reload(token).last_used_at is not None

    admin = sign_in(make_user("admin", Role.ADMIN))
    page = admin.get("/admin/tokens")
    assert page.status_code == 200 and "Durham ECC CAD" in page.text and "Active" in page.text
    response = admin.post(f"/admin/tokens/{token.id}/revoke")
    assert response.status_code == 303
    assert reload(token).revoked_at is not None
    assert "Revoked" in admin.get("/admin/tokens").text

    refused = api.get("/api/v1/teams")
    assert refused.status_code == 401
    assert refused.json["error"] == "unauthorized"
    assert refused.headers["WWW-Authenticate"] == "Bearer"

    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    assert secret not in logged and secret[3:] not in logged
    assert_nowhere_in_database(secret)


def assert_nowhere_in_database(secret):
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(text(f"SELECT * FROM {table.name}")):
            assert all(secret[3:] not in str(value) for value in row), table.name
    stored = db.session.scalar(select(ApiToken.token_hash))
    assert stored == tokens.hash_token(secret)


def test_create_token_prints_it_once(app, runner):
    first = runner.invoke(args=["create-token", "CAD"]).stdout.strip()
    second = runner.invoke(args=["create-token", "CAD"]).stdout.strip()
    assert first != second
    assert len(db.session.scalars(select(ApiToken)).all()) == 2


@pytest.mark.parametrize(
    "header", [None, "Bearer", "Bearer hf_not-a-real-token", "Basic dXNlcjpwYXNz"]
)
def test_missing_or_wrong_token_is_401(client, token_secret, header):
    headers = {"Authorization": header} if header else {}
    response = client.post("/api/v1/incidents", json=call(), headers=headers)
    assert response.status_code == 401
    assert response.json["error"] == "unauthorized"


def test_revoked_token_is_refused_but_others_still_work(app, token_secret):
    other, other_secret = tokens.issue(db.session, "Backup CAD")
    tokens.revoke(
        db.session, db.session.scalar(select(ApiToken).where(ApiToken.name == "Durham ECC CAD"))
    )
    assert Api(app.test_client(), token_secret).get("/api/v1/teams").status_code == 401
    assert Api(app.test_client(), other_secret).get("/api/v1/teams").status_code == 200


def test_revoking_needs_the_csrf_token(app, sign_in, token_secret):
    admin = sign_in(make_user("admin", Role.ADMIN))
    token = db.session.scalar(select(ApiToken))
    response = admin.client.post(f"/admin/tokens/{token.id}/revoke")
    assert response.status_code == 400
    assert reload(token).revoked_at is None


def test_each_token_has_its_own_rate_limit(app, token_secret):
    app.config["HEART_API_RATE_LIMIT"] = "3 per minute"
    api = Api(app.test_client(), token_secret)
    assert [api.get("/api/v1/teams").status_code for _ in range(3)] == [200, 200, 200]
    limited = api.get("/api/v1/teams")
    assert limited.status_code == 429
    assert limited.json["error"] == "too_many_requests"
    assert 0 < int(limited.headers["Retry-After"]) <= 60

    _other, other_secret = tokens.issue(db.session, "Backup CAD")
    assert Api(app.test_client(), other_secret).get("/api/v1/teams").status_code == 200
