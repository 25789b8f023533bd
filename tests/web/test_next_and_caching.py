"""Where a sign-in goes next (a path on this site, parsed, never a 500), and answers with
personal details are never stored by a cache."""

import pytest

from heart_field.models import Role
from tests.conftest import PASSWORD, csrf_token, make_user
from tests.web.referral_helpers import make_referral


def sign_in_with_next(client, target):
    page = client.get("/login")
    return client.post(
        "/login",
        query_string={"next": target},
        data={"username": "dispatcher", "password": PASSWORD, "csrf_token": csrf_token(page)},
    )


@pytest.mark.parametrize(
    "target",
    [
        "/\t/evil.example/",
        "/\n/evil.example/",
        "/\r\nSet-Cookie: x=1",
        "//evil.example/",
        "/\\evil.example/",
        "\\\\evil.example/",
        "https://evil.example/",
        "http:/evil.example",
        "javascript:alert(1)",
        "evil.example",
        "/reports//evil.example",
        "/ok\x7f",
        "",
    ],
)
def test_next_that_leaves_the_site_goes_home(app, client, dispatcher, target):
    response = sign_in_with_next(client, target)
    assert response.status_code == 303
    assert response.headers["Location"] == "/dispatch/"


def test_the_issue_s_tab_case_answers_home(app, client, dispatcher):
    """`next=/%09/evil.example/` once answered `Location: //evil.example/`."""
    page = client.get("/login")
    response = client.post(
        "/login?next=/%09/evil.example/",
        data={"username": "dispatcher", "password": PASSWORD, "csrf_token": csrf_token(page)},
    )
    assert response.headers["Location"] == "/dispatch/"


def test_a_newline_in_next_is_no_500(app, client, dispatcher):
    page = client.get("/login")
    response = client.post(
        "/login?next=/dispatch/%0d%0aLocation:%20https://evil.example",
        data={"username": "dispatcher", "password": PASSWORD, "csrf_token": csrf_token(page)},
    )
    assert response.status_code == 303 and response.headers["Location"] == "/dispatch/"


@pytest.mark.parametrize("target", ["/dispatch/", "/reports/?start=2026-11-01&end=2026-11-30"])
def test_next_on_this_site_is_followed(app, client, dispatcher, target):
    assert sign_in_with_next(client, target).headers["Location"] == target


def test_pages_with_personal_details_are_not_stored(app, team, responder, sign_in, incident):
    """The field screen and card, a referral, navigation, the audit, exports and the API."""
    referral = make_referral(team, responder, cad="D7")
    phone = sign_in(responder)
    navigator = sign_in(make_user("nav", Role.NAVIGATOR))
    supervisor = sign_in(make_user("sup", Role.SUPERVISOR))
    answers = [
        phone.get("/field/"),
        phone.get("/field/card", headers={"HX-Request": "true"}),
        phone.get(f"/field/referrals/{referral.id}"),
        navigator.get("/navigation/"),
        navigator.get(f"/navigation/referrals/{referral.id}"),
        supervisor.get("/reports/audit/"),
        supervisor.get("/reports/calls.csv?start=2026-01-01&end=2026-12-31"),
        supervisor.get("/admin/devices"),
        app.test_client().get("/login"),
    ]
    for answer in answers:
        assert answer.status_code == 200, answer.request.path
        assert answer.headers["Cache-Control"] == "no-store", answer.request.path


def test_api_incident_reads_are_not_stored(app, client, incident):
    from heart_field import tokens
    from heart_field.extensions import db

    _, secret = tokens.issue(db.session, "test")
    answer = client.get(
        f"/api/v1/incidents/{incident.id}", headers={"Authorization": f"Bearer {secret}"}
    )
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"


def test_static_files_stay_cacheable(client):
    answer = client.get("/static/css/app.css")
    assert answer.status_code == 200
    assert "no-store" not in answer.headers.get("Cache-Control", "")
    answer.close()
