"""The hand-off from the responder's phone: consent first, a referral only with it."""

import uuid

import pytest
from sqlalchemy import func, select

from heart_field.extensions import db
from heart_field.models import AuditEvent, Outcome, Referral, TeamStatus
from tests.conftest import make_user, reload
from tests.web.referral_helpers import NY, cleared_call, make_referral
from tests.web.test_field import assign, tap


@pytest.fixture
def phone(sign_in, responder):
    return sign_in(responder)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def referral_views() -> list[AuditEvent]:
    """Audit events about referrals (sign-ins are audited too, and not counted here)."""
    return db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == "referral")).all()


def referral_data(**overrides):
    data = {
        "client_uuid": str(uuid.uuid4()),
        "consent": "yes",
        "person_name": "Jamie Doe",
        "phone": "(919) 555 0142",
        "best_time": "Mornings",
        "may_leave_message": "y",
        "needs": ["housing", "food"],
        "urgency": "same_day",
        "notes": "Sleeps near the library.",
    }
    data.update(overrides)
    return data


def test_refusal_makes_no_referral_and_the_outcome_records_it(phone, team, responder):
    incident = cleared_call(team, responder)
    response = phone.post(
        f"/field/calls/{incident.id}/referral", referral_data(consent="no"), htmx=True
    )
    assert response.status_code == 200
    assert "did not agree" in response.text and 'id="field-card"' in response.text
    assert count(Referral) == 0
    outcome = db.session.scalar(select(Outcome).where(Outcome.incident_id == incident.id))
    assert reload(outcome).referral_declined is True
    assert "referral declined" in phone.get("/field/").text


def test_no_consent_answer_is_422_and_keeps_what_was_typed(phone, team, responder):
    incident = cleared_call(team, responder)
    response = phone.post(
        f"/field/calls/{incident.id}/referral", referral_data(consent=""), htmx=True
    )
    assert response.status_code == 422
    assert "Record whether the person agrees." in response.text
    assert 'value="Jamie Doe"' in response.text
    assert count(Referral) == 0
    assert reload(db.session.scalar(select(Outcome))).referral_declined is False


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"person_name": "  "}, "Give a name or an alias."),
        ({"phone": "", "other_contact": ""}, "Give a phone number or another way to reach them."),
        ({"phone": "555-0142"}, "Enter a 10-digit phone number"),
        ({"needs": []}, "Choose at least one need."),
        ({"urgency": "whenever"}, "Not a valid choice"),
        ({"person_name": "x" * 121}, "Field cannot be longer than 120 characters."),
    ],
)
def test_bad_input_gets_a_message_beside_the_field_and_changes_nothing(
    phone, team, responder, overrides, message
):
    incident = cleared_call(team, responder)
    response = phone.post(
        f"/field/calls/{incident.id}/referral", referral_data(**overrides), htmx=True
    )
    assert response.status_code == 422
    assert message in response.text
    assert "Sleeps near the library." in response.text  # the form comes back filled
    assert count(Referral) == 0


def test_consented_referral_is_made_with_its_due_time(phone, team, responder):
    incident = cleared_call(team, responder)
    response = phone.post(f"/field/calls/{incident.id}/referral", referral_data(), htmx=True)
    assert response.status_code == 200
    referral = db.session.scalar(select(Referral))
    assert f"Referral {referral.reference} sent to Care Navigation" in response.text
    assert (referral.person_name, referral.phone) == ("Jamie Doe", "919-555-0142")
    assert referral.needs == ["housing", "food"] and referral.may_leave_message
    assert (referral.incident_id, referral.team_id, referral.made_by_id) == (
        incident.id,
        team.id,
        responder.id,
    )
    assert referral.status == "open" and referral.due_at == referral.next_action_at
    assert referral.due_at.astimezone(NY).hour == 23  # same day: end of the day


def test_another_way_to_reach_them_is_enough(phone, team, responder):
    incident = cleared_call(team, responder)
    response = phone.post(
        f"/field/calls/{incident.id}/referral",
        referral_data(phone="", other_contact="Urban Ministries, front desk"),
        htmx=True,
    )
    assert response.status_code == 200
    assert db.session.scalar(select(Referral.other_contact)) == "Urban Ministries, front desk"


def test_the_same_form_sent_twice_makes_one_referral(phone, team, responder):
    incident = cleared_call(team, responder)
    data = referral_data()
    phone.post(f"/field/calls/{incident.id}/referral", data, htmx=True)
    phone.post(f"/field/calls/{incident.id}/referral", data, htmx=True)
    assert count(Referral) == 1


def test_full_page_post_redirects_to_the_field_screen(phone, team, responder):
    incident = cleared_call(team, responder)
    response = phone.post(f"/field/calls/{incident.id}/referral", referral_data())
    assert response.status_code == 303 and response.headers["Location"] == "/field/"
    assert "sent to Care Navigation" in phone.get("/field/").text


def test_substance_use_details_are_dropped_unless_substance_use_is_a_need(phone, team, responder):
    incident = cleared_call(team, responder)
    phone.post(
        f"/field/calls/{incident.id}/referral",
        referral_data(sensitive_notes="Uses daily."),
        htmx=True,
    )
    assert db.session.scalar(select(Referral.sensitive_notes)) is None


def test_outcome_form_refer_button_clears_then_opens_the_referral_form(phone, team, incident):
    assign(team, incident)
    for action in ("accept", "en_route", "on_scene"):
        tap(phone, team, action)
    form = phone.get("/field/outcome", headers={"HX-Request": "true"})
    assert ">Refer to Care Navigation</button>" in form.text
    response = phone.post(
        "/field/outcome",
        {
            "version": reload(team).version,
            "client_uuid": str(uuid.uuid4()),
            "disposition": "resolved_on_scene",
            "refer": "y",
        },
        htmx=True,
    )
    assert response.status_code == 200
    assert reload(team).status == TeamStatus.AVAILABLE  # clearing never waits on the referral
    assert "Does the person agree to be contacted by Care Navigation?" in response.text
    assert f'action="/field/calls/{incident.id}/referral"' in response.text


def test_referred_disposition_opens_the_referral_form_after_saving(phone, team, incident):
    assign(team, incident)
    for action in ("accept", "en_route", "on_scene"):
        tap(phone, team, action)
    response = phone.post(
        "/field/outcome",
        {
            "version": reload(team).version,
            "client_uuid": str(uuid.uuid4()),
            "disposition": "referred_care_navigation",
        },
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/field/calls/{incident.id}/referral"
    assert reload(team).status == TeamStatus.AVAILABLE


def test_save_outcome_alone_returns_to_the_card(phone, team, incident):
    assign(team, incident)
    for action in ("accept", "en_route", "on_scene"):
        tap(phone, team, action)
    response = phone.post(
        "/field/outcome",
        {
            "version": reload(team).version,
            "client_uuid": str(uuid.uuid4()),
            "disposition": "resolved_on_scene",
        },
        htmx=True,
    )
    assert "No call assigned" in response.text
    assert "Refer to Care Navigation" in response.text  # from the call just cleared


def test_a_call_not_yet_cleared_cannot_be_referred_from(phone, team, incident):
    assign(team, incident)
    assert phone.get(f"/field/calls/{incident.id}/referral").status_code == 404
    assert phone.post(f"/field/calls/{incident.id}/referral", referral_data()).status_code == 404
    assert count(Referral) == 0


def test_a_call_another_team_cleared_is_404(sign_in, team, other_team, responder):
    incident = cleared_call(team, responder)
    other = sign_in(make_user("other", "responder", other_team, "emt"))
    assert other.get(f"/field/calls/{incident.id}/referral").status_code == 404
    assert other.post(f"/field/calls/{incident.id}/referral", referral_data()).status_code == 404
    assert count(Referral) == 0


def test_card_lists_cleared_calls_and_my_referrals_without_personal_details(phone, team, responder):
    referral = make_referral(team, responder)
    page = phone.get("/field/")
    assert f'href="/field/referrals/{referral.id}">{referral.reference}</a>' in page.text
    assert "Unclaimed" in page.text
    assert "Jamie Doe" not in page.text and "919-555-0142" not in page.text
    assert referral_views() == []


def test_responder_sees_own_referral_until_it_closes_and_each_view_is_audited(
    phone, team, responder
):
    referral = make_referral(team, responder)
    page = phone.get(f"/field/referrals/{referral.id}")
    assert page.status_code == 200 and "Jamie Doe" in page.text
    [event] = referral_views()
    assert (event.actor_id, event.action, event.object_type, event.object_id) == (
        responder.id,
        "view_referral",
        "referral",
        str(referral.id),
    )
    referral.status = "closed"
    db.session.commit()
    assert phone.get(f"/field/referrals/{referral.id}").status_code == 404
    assert f'href="/field/referrals/{referral.id}"' not in phone.get("/field/").text


def test_teammate_cannot_see_a_referral_they_did_not_make(sign_in, team, responder):
    referral = make_referral(team, responder)
    mate = sign_in(make_user("mate", "responder", team, "emt"))
    assert mate.get(f"/field/referrals/{referral.id}").status_code == 404
    assert referral_views() == []
