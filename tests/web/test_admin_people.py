"""People and units managed in the browser by an admin; each change audited; a temporary
password or a sign-in link leads to choosing a password before anything else."""

import re

import pytest
from sqlalchemy import select

from heart_field.extensions import db
from heart_field.models import AuditEvent, Role, Team, User
from tests.conftest import csrf_token, make_team, make_user, reload


@pytest.fixture
def admin(sign_in, app):
    return sign_in(make_user("boss", Role.ADMIN))


def audited(action) -> list[AuditEvent]:
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_admin_creates_a_person_with_role_discipline_and_home_unit(admin, team):
    answer = admin.post(
        "/admin/people",
        {
            "username": "kim",
            "display_name": "Kim Lee",
            "role": "responder",
            "discipline": "emt",
            "team": "CR-1",
        },
    )
    assert answer.status_code == 303
    kim = db.session.scalar(select(User).where(User.username == "kim"))
    assert (kim.role, kim.discipline, kim.team_id, kim.must_change_password) == (
        "responder",
        "emt",
        team.id,
        True,
    )
    assert audited("create_user")[0].object_id == str(kim.id)
    assert "Kim Lee" not in (audited("create_user")[0].detail or "")


def test_bad_person_form_rerenders_with_the_message(admin, app):
    answer = admin.post("/admin/people", {"username": "Bad Name!", "display_name": ""})
    assert answer.status_code == 422
    assert "Lower-case letters" in answer.text and "Give a name." in answer.text


def test_admin_sets_role_and_discipline_and_deactivates(admin, team, sign_in):
    kim = make_user("kim", Role.RESPONDER, team, "emt")
    kim_session = sign_in(kim)
    prefix = f"p{kim.id}-"
    admin.post(
        f"/admin/people/{kim.id}",
        {prefix + "role": "responder", prefix + "discipline": "clinician", prefix + "team": ""},
    )
    assert (reload(kim).discipline, reload(kim).team_id) == ("clinician", None)
    assert admin.post(f"/admin/people/{kim.id}/deactivate").status_code == 303
    assert reload(kim).active is False
    assert kim_session.get("/field/").status_code in (302, 401)
    assert [a.action for a in db.session.scalars(select(AuditEvent))][-2:] == [
        "change_user",
        "deactivate_user",
    ]


def test_temporary_password_must_be_changed_at_first_sign_in(admin, app):
    kim = make_user("kim", Role.DISPATCHER)
    page = admin.post(f"/admin/people/{kim.id}/temporary-password")
    password = re.search(r'<code class="secret">([^<]+)</code>', page.text).group(1)
    assert audited("issue_temporary_password")
    client = app.test_client()
    login = client.get("/login")
    answer = client.post(
        "/login", data={"username": "kim", "password": password, "csrf_token": csrf_token(login)}
    )
    assert answer.status_code == 303
    assert client.get("/dispatch/").headers["Location"].endswith("/password")
    form = client.get("/password")
    answer = client.post(
        "/password",
        data={
            "password": "a brand new passphrase",
            "confirm": "a brand new passphrase",
            "csrf_token": csrf_token(form),
        },
    )
    assert answer.status_code == 303
    assert client.get("/dispatch/").status_code == 200
    assert reload(kim).must_change_password is False


def test_sign_in_link_works_once(admin, app):
    kim = make_user("kim", Role.RESPONDER, make_team("CR-5"), "emt")
    page = admin.post(f"/admin/people/{kim.id}/sign-in-link")
    link = re.search(r'<code class="secret">([^<]+)</code>', page.text).group(1)
    path = link.split("localhost", 1)[-1]
    client = app.test_client()
    answer = client.get(path)
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/password")
    assert client.get("/field/").headers["Location"].endswith("/password")
    again = app.test_client().get(path)
    assert again.headers["Location"].endswith("/login")
    assert audited("sign_in_link") and audited("sign_in_link_refused")


def test_admin_creates_and_retires_units(admin, app):
    assert (
        admin.post("/admin/units", {"call_sign": "CR-7", "unit_type": "co_response"}).status_code
        == 303
    )
    unit = db.session.scalar(select(Team).where(Team.call_sign == "CR-7"))
    assert unit.status == "off_duty" and audited("create_unit")
    assert (
        admin.post("/admin/units", {"call_sign": "CR-7", "unit_type": "co_response"}).status_code
        == 422
    )
    assert admin.post(f"/admin/units/{unit.id}/retire").status_code == 303
    assert reload(unit).retired_at is not None and audited("retire_unit")


def test_a_unit_on_duty_cannot_be_retired(admin, team):
    answer = admin.post(f"/admin/units/{team.id}/retire")
    assert answer.status_code == 409 and "log it off before retiring it" in answer.text
    assert reload(team).retired_at is None


def test_only_admins_manage_people(sign_in, dispatcher):
    desk = sign_in(dispatcher)
    assert desk.get("/admin/people").status_code == 403
    assert (
        desk.post("/admin/units", {"call_sign": "X-1", "unit_type": "co_response"}).status_code
        == 403
    )
