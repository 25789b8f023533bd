"""Every route states who may use it, and the rule holds for each role and for visitors."""

import re

import pytest

from heart_field import create_app
from heart_field.access import API_TOKEN, PUBLIC
from heart_field.config import TestConfig
from heart_field.models import Role
from tests.conftest import make_team, make_user

_app = create_app(TestConfig)
ROUTES = sorted(
    (rule.rule, rule.endpoint, sorted(rule.methods - {"HEAD", "OPTIONS"}))
    for rule in _app.url_map.iter_rules()
    if rule.endpoint != "static"
)


def _rule(endpoint):
    return getattr(_app.view_functions[endpoint], "access_rule", None)


@pytest.mark.parametrize(("path", "endpoint", "methods"), ROUTES, ids=[r[1] for r in ROUTES])
def test_every_route_declares_an_access_rule(path, endpoint, methods):
    assert _rule(endpoint) is not None, f"{endpoint} ({path}) declares no access rule"


def _url(path):
    return re.sub(r"<int:\w+>", "999999", path).replace("<", "").replace(">", "")


SESSION_ROUTES = [
    (path, endpoint, method)
    for path, endpoint, methods in ROUTES
    for method in methods
    if _rule(endpoint) not in (PUBLIC, API_TOKEN, None)
]


@pytest.mark.parametrize(
    ("path", "endpoint", "method"), SESSION_ROUTES, ids=[f"{m} {e}" for _, e, m in SESSION_ROUTES]
)
def test_visitor_is_sent_to_sign_in(client, path, endpoint, method):
    response = client.open(_url(path), method=method)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize(
    ("path", "endpoint", "method"), SESSION_ROUTES, ids=[f"{m} {e}" for _, e, m in SESSION_ROUTES]
)
def test_each_role_gets_exactly_what_its_rule_allows(app, sign_in, role, path, endpoint, method):
    team = make_team() if role == Role.RESPONDER else None
    session = sign_in(make_user(f"user-{role.value}", role, team))
    response = session.client.open(
        _url(path), method=method, headers={"X-CSRFToken": session.token}
    )
    if role in _rule(endpoint):
        assert response.status_code not in (401, 403, 302), response.status_code
        assert response.status_code < 500
    else:
        assert response.status_code == 403
