"""Who may use each referral route: every route, every role, and the per-object rules
(a responder of another team, a teammate who did not make the referral)."""

import pytest

from heart_field.models import Role
from tests.conftest import make_team, make_user, reload
from tests.web.referral_helpers import make_referral

ALLOWED, FORBIDDEN, NOT_FOUND = "allowed", 403, 404

# (method, url template, {actor: expected}); actors missing from a row are FORBIDDEN.
ROUTES = [
    (
        "GET",
        "/field/calls/{incident}/referral",
        {"maker": ALLOWED, "teammate": ALLOWED, "other_team": NOT_FOUND},
    ),
    (
        "POST",
        "/field/calls/{incident}/referral",
        {"maker": ALLOWED, "teammate": ALLOWED, "other_team": NOT_FOUND},
    ),
    (
        "GET",
        "/field/referrals/{referral}",
        {"maker": ALLOWED, "teammate": NOT_FOUND, "other_team": NOT_FOUND},
    ),
    ("GET", "/navigation/", {"navigator": ALLOWED, "supervisor": ALLOWED}),
    ("GET", "/navigation/export.csv", {"navigator": ALLOWED, "supervisor": ALLOWED}),
    ("GET", "/navigation/referrals/{referral}", {"navigator": ALLOWED, "supervisor": ALLOWED}),
    *[
        ("POST", f"/navigation/referrals/{{referral}}/{action}", {"navigator": ALLOWED})
        for action in ("claim", "attempts", "connections", "close", "reopen")
    ],
]
ACTORS = ["maker", "teammate", "other_team", "navigator", "supervisor", "dispatcher", "admin"]


def _actor(name, team, maker):
    if name == "maker":
        return maker
    if name == "teammate":
        return make_user("teammate", Role.RESPONDER, team, "emt")
    if name == "other_team":
        return make_user("stranger", Role.RESPONDER, make_team("CR-9"), "emt")
    return make_user(name, Role(name))


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize(
    ("method", "path", "rules"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES]
)
def test_referral_route_access(sign_in, team, responder, actor, method, path, rules):
    referral = make_referral(team, responder)
    session = sign_in(_actor(actor, team, responder))
    url = path.format(incident=referral.incident_id, referral=referral.id)
    response = (
        session.get(url)
        if method == "GET"
        else session.post(url, {"consent": "no", "client_uuid": "x"})
    )
    expected = rules.get(actor, FORBIDDEN)
    if expected == ALLOWED:
        assert response.status_code not in (302, 401, 403, 404), response.status_code
        assert response.status_code < 500
    else:
        assert response.status_code == expected


@pytest.mark.parametrize("path", ["/navigation/referrals/{id}", "/field/referrals/{id}"])
def test_unknown_referral_is_404_for_those_who_may_look(sign_in, team, responder, path):
    user = responder if path.startswith("/field") else make_user("nav", Role.NAVIGATOR)
    assert sign_in(user).get(path.format(id=424242)).status_code == 404


def test_posts_without_csrf_are_refused(sign_in, team, responder):
    referral = make_referral(team, responder)
    navigator = sign_in(make_user("nav", Role.NAVIGATOR))
    response = navigator.client.post(f"/navigation/referrals/{referral.id}/claim")
    assert response.status_code == 400
    assert reload(referral).status == "open"
