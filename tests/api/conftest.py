"""An API client carrying a real bearer token, issued the way the CLI issues one."""

import json

import pytest

from heart_field import tokens
from heart_field.extensions import db

SAFE = {"weapons": False, "violence": False, "medical_emergency": False}


def call(cad="2026-0001", **fields) -> dict:
    """A valid create-incident body (737 Ninth St, inside Durham), with fields overridden."""
    body = {
        "cad_number": cad,
        "call_type": "welfare_check",
        "priority": 2,
        "address": "737 Ninth St, Durham, NC 27705",
        "lat": 36.009004,
        "lon": -78.922177,
        "safety": dict(SAFE),
        "narrative": "Man sitting outside for hours.",
        "callback_phone": "919-555-0100",
    }
    body.update(fields)
    return {k: v for k, v in body.items() if v is not ...}


class Api:
    """The test client with `Authorization: Bearer <token>` on every request."""

    def __init__(self, client, secret):
        self.client = client
        self.secret = secret
        self.headers = {"Authorization": f"Bearer {secret}"}

    def get(self, url, **kwargs):
        return self.client.get(url, headers=self.headers, **kwargs)

    def post(self, url, body=None, **kwargs):
        if body is not None:
            kwargs.setdefault("data", json.dumps(body))
            kwargs.setdefault("content_type", "application/json")
        return self.client.post(url, headers=self.headers, **kwargs)


@pytest.fixture
def token_secret(app):
    _token, secret = tokens.issue(db.session, "Durham ECC CAD")
    return secret


@pytest.fixture
def api(app, token_secret):
    return Api(app.test_client(), token_secret)
