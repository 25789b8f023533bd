"""Security headers on every kind of answer, and pages that need nothing inline."""

import re

import pytest

from heart_field import create_app
from heart_field.config import TestConfig
from heart_field.models import Role
from tests.conftest import make_user

EXPECTED = {
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
}


def assert_security_headers(response):
    csp = dict(
        (part.split(" ", 1) + [""])[:2]
        for part in response.headers["Content-Security-Policy"].split("; ")
    )
    assert csp["default-src"] == "'self'"
    assert csp["script-src"] == "'self'"
    assert csp["style-src"] == "'self'"
    assert csp["connect-src"] == "'self'"  # the live feed (SSE) and htmx
    assert csp["worker-src"] == "'self'"  # /sw.js
    assert csp["frame-ancestors"] == "'none'"
    assert csp["object-src"] == "'none'"
    assert "unsafe" not in response.headers["Content-Security-Policy"]
    for name, value in EXPECTED.items():
        assert response.headers[name] == value, name
    policy = response.headers["Permissions-Policy"]
    assert "geolocation=(self)" in policy.split(", ")
    assert "camera=()" in policy.split(", ")


def test_every_kind_of_answer_carries_the_headers(app, client, sign_in, responder, dispatcher):
    """A page, an htmx fragment, a redirect, a 404 page, a 403, a JSON error and a static file."""
    desk = sign_in(dispatcher)
    phone = sign_in(responder)
    answers = {
        "page": client.get("/login"),
        "redirect": client.get("/"),
        "not found page": client.get("/no-such-page"),
        "static file": client.get("/static/css/app.css"),
        "json error": client.get("/api/v1/no-such-thing", headers={"Accept": "application/json"}),
        "fragment": desk.get("/dispatch/board", headers={"HX-Request": "true"}),
        "forbidden": phone.get("/dispatch/"),
        "form refused": phone.post("/field/status", {"action": "nonsense"}, htmx=True),
    }
    expected_codes = {
        "page": 200,
        "redirect": 302,
        "not found page": 404,
        "static file": 200,
        "json error": 404,
        "fragment": 200,
        "forbidden": 403,
        "form refused": 422,
    }
    for kind, response in answers.items():
        response.close()
        assert response.status_code == expected_codes[kind], kind
        assert_security_headers(response)


def test_hsts_on_https_but_not_on_plain_http(client):
    """Strict-Transport-Security is sent over TLS (directly or behind a proxy), for a year."""
    assert client.get("/login").headers.get("Strict-Transport-Security") is None
    direct = client.get("/login", base_url="https://heart.example")
    proxied = client.get("/login", headers={"X-Forwarded-Proto": "https"})
    for response in (direct, proxied):
        assert response.headers["Strict-Transport-Security"] == "max-age=31556926"


def test_no_hsts_while_debugging(tmp_path):
    """A developer's machine is never pinned to https."""
    app = create_app(
        type(
            "Config",
            (TestConfig,),
            {"DEBUG": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'debug.db'}"},
        )
    )
    response = app.test_client().get("/login", base_url="https://localhost")
    assert "Strict-Transport-Security" not in response.headers
    assert "Content-Security-Policy" in response.headers


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline script"),
    (re.compile(r"<style\b", re.I), "inline style element"),
    (re.compile(r"\sstyle=", re.I), "style attribute"),
    (re.compile(r"\son[a-z]+=", re.I), "event handler attribute"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


@pytest.mark.parametrize(
    "role", [Role.RESPONDER, Role.DISPATCHER, Role.SUPERVISOR, Role.NAVIGATOR, Role.ADMIN]
)
def test_pages_need_nothing_the_policy_forbids(app, sign_in, team, incident, role):
    """Every page a role lands on, and its fragments, hold no inline script or style."""
    session = sign_in(make_user(f"u-{role.value}", role, team if role == Role.RESPONDER else None))
    urls = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and "<" not in rule.rule and rule.endpoint != "static"
    ]
    for url in urls:
        for headers in ({}, {"HX-Request": "true"}):
            response = session.get(url, headers=headers)
            response.close()  # files (the favicon) are streamed: release them
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            for pattern, what in INLINE:
                assert not pattern.search(response.text), f"{what} on {url}"
