"""Familiar places (issue 23) over HTTP on a real database: prior contacts on the card and
the board, safety and approach notes (life cycle, access, audit), the repeat-contact report."""

import csv
import io
import logging
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from heart_field import tokens
from heart_field.domain import status
from heart_field.domain.status import Action, Tap
from heart_field.extensions import db
from heart_field.models import (
    Assignment,
    AuditEvent,
    Outcome,
    PlaceNote,
    Referral,
    Role,
    Team,
    utcnow,
)
from tests.conftest import make_incident, make_team, make_user, reload
from tests.web.referral_helpers import make_referral

# The place: a house on Ninth Street (in the bundled gazetteer's Durham).
HERE = dict(address="737 Ninth St, Durham, NC 27705", lat=36.009004, lon=-78.922177)
# About 20 m north, and about 120 m north, of HERE.
NEAR = dict(lat=36.009184, lon=-78.922177)
FAR = dict(lat=36.010084, lon=-78.922177)
# 1 km away: only the same address can match there.
AWAY = dict(lat=36.018, lon=-78.922177)


def contact(team, cad, days_ago, disposition="resolved_on_scene", **place):
    """A call HEART cleared `days_ago`, built by hand: the incident and its outcome."""
    when = utcnow() - timedelta(days=days_ago)
    incident = make_incident(cad, received_at=when, status="closed", closed_at=when, **place)
    db.session.add(
        Outcome(incident_id=incident.id, team_id=team.id, disposition=disposition, recorded_at=when)
    )
    db.session.commit()
    return incident


def assign(team, **place):
    """A new call at the place, assigned to the team: it is on the team's card."""
    incident = make_incident(f"NOW-{uuid.uuid4().hex[:6]}", **place)
    status.apply(
        db.session,
        reload(team),
        Tap(Action.ASSIGN, str(uuid.uuid4()), incident_id=incident.id),
        None,
    )
    return incident


@pytest.fixture
def history(team):
    """Two contacts at HERE in the lookback; four calls that must not count."""
    contact(team, "P-radius", 10, address="Ninth St park bench", **NEAR)  # within 50 m
    contact(team, "P-address", 30, "no_person_found", address="737 Ninth Street", **AWAY)
    contact(team, "P-old", 100, **HERE)  # before the 90-day lookback
    contact(team, "P-far", 5, address="800 Ninth St", **FAR)  # 120 m away
    contact(team, "P-cancel", 3, "cancelled_prior_to_arrival", **HERE)  # never reached
    make_incident("P-open", address="Ninth St", lat=NEAR["lat"], lon=NEAR["lon"])  # no outcome


def card(session):
    return session.get("/field/card", headers={"HX-Request": "true"})


def test_prior_contacts_count_the_radius_and_the_address_within_the_lookback(
    sign_in, responder, team, history
):
    assign(team, **HERE)
    text = card(sign_in(responder)).text
    assert "2 prior contacts here in 90 days, last 10 days ago: Resolved on scene" in text


def test_the_lookback_is_a_setting(app, sign_in, responder, team, history):
    app.config["HEART_PRIOR_CONTACT_DAYS"] = 120
    assign(team, **HERE)
    assert "3 prior contacts here in 120 days" in card(sign_in(responder)).text


def test_the_radius_is_a_setting(app, sign_in, responder, team, history):
    app.config["HEART_PLACE_RADIUS_METRES"] = 150
    assign(team, **HERE)
    assert "3 prior contacts here in 90 days, last 5 days ago" in card(sign_in(responder)).text


def test_a_first_call_at_a_place_shows_no_history(sign_in, responder, team, history):
    assign(team, address="1 Elsewhere Rd", lat=35.99, lon=-78.90)
    text = card(sign_in(responder)).text
    assert "prior contact" not in text and 'class="place-history"' not in text


def test_the_board_shows_the_line_and_an_open_referral_names_its_navigator(
    sign_in, responder, team, history
):
    nia = make_user("nia", Role.NAVIGATOR)
    referral = make_referral(team, responder, cad="P-ref")  # at HERE, cleared just now
    desk = sign_in(make_user("desk", Role.DISPATCHER))
    make_incident("P-waiting", **HERE)
    board = desk.get("/dispatch/board", headers={"HX-Request": "true"}).text
    row = board.split('data-cad="P-waiting"')[1].split("</article>")[0]
    assert "3 prior contacts here in 90 days, last 0 days ago" not in row
    assert "3 prior contacts here in 90 days, last today: Resolved on scene" in row
    assert "Open Care Navigation referral, not yet claimed" in row
    sign_in(nia).post(f"/navigation/referrals/{referral.id}/claim")
    board = desk.get("/dispatch/board", headers={"HX-Request": "true"}).text
    row = board.split('data-cad="P-waiting"')[1].split("</article>")[0]
    assert "Open Care Navigation referral, navigator Nia" in row
    assert "Jamie" not in row and "housing" not in row.lower()  # no details of the referral


class Statements:
    def __init__(self):
        self.count = 0

    def __call__(self, *_):
        self.count += 1


def _statements(request) -> int:
    db.session.remove()
    counter = Statements()
    event.listen(db.engine, "before_cursor_execute", counter)
    try:
        response = request()
    finally:
        event.remove(db.engine, "before_cursor_execute", counter)
    assert response.status_code == 200
    return counter.count


def test_the_lookup_sends_the_same_statements_for_a_small_or_a_large_history(
    sign_in, responder, team
):
    team_id = team.id
    session = sign_in(responder)
    desk = sign_in(make_user("desk", Role.DISPATCHER))
    for n in range(3):
        contact(team, f"S{n}", n + 1, **HERE)
    assign(team, **HERE)
    make_incident("W-1", **HERE)
    small = (
        _statements(lambda: card(session)),
        _statements(lambda: desk.get("/dispatch/board", headers={"HX-Request": "true"})),
    )
    team = db.session.get(Team, team_id)
    for n in range(3, 60):
        contact(team, f"S{n}", n % 80 + 1, **HERE)
    for n in range(60):  # and many elsewhere
        contact(team, f"E{n}", n % 80 + 1, address=f"{n} Main St", lat=35.99, lon=-78.9 + n / 1e3)
    make_incident("W-2", **NEAR)
    large = (
        _statements(lambda: card(session)),
        _statements(lambda: desk.get("/dispatch/board", headers={"HX-Request": "true"})),
    )
    assert large == small
    assert "60 prior contacts here" in card(session).text


# --------------------------------------------------------------------------- notes


def _note_url(incident):
    return f"/places/calls/{incident.id}/note"


def live_notes():
    return db.session.scalars(select(PlaceNote).order_by(PlaceNote.id)).all()


def test_the_note_life_cycle_from_writing_to_expiry(app, sign_in, responder, team):
    cleared = contact(team, "L1", 2, **HERE)
    # The team attended L1: its assignment is what entitles the note.
    db.session.add(
        Assignment(incident_id=cleared.id, team_id=team.id, ended_at=utcnow(), end_reason="cleared")
    )
    db.session.commit()
    session = sign_in(responder)
    form = session.get(_note_url(cleared))
    assert form.status_code == 200
    assert "No diagnoses and no substance-use details" in form.text

    assert session.post(_note_url(cleared), {"text": "   "}).status_code == 422
    too_long = session.post(_note_url(cleared), {"text": "x" * 201})
    assert too_long.status_code == 422 and "200 characters" in too_long.text
    assert live_notes() == []

    saved = session.post(_note_url(cleared), {"text": "Dog on premises; enter by the side gate"})
    assert saved.status_code == 302
    (note,) = live_notes()
    assert note.author_id == responder.id and note.place_key == "737 ninth st"
    assert (note.expires_at - note.created_at) == timedelta(days=90)

    # The next call at the place: the crew sees the note on its card.
    assign(team, **NEAR)
    assert "Dog on premises; enter by the side gate" in card(session).text
    # Expired: it never shows again.
    note.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert "Dog on premises" not in card(session).text


def test_a_supervisor_reviews_and_removes_notes(sign_in, responder, team):
    incident = assign(team, **HERE)
    db.session.add(
        PlaceNote(
            text="Prefers a female clinician",
            incident_id=incident.id,
            lat=HERE["lat"],
            lon=HERE["lon"],
            place_key="737 ninth st",
            author_id=responder.id,
            expires_at=utcnow() + timedelta(days=5),
        )
    )
    db.session.commit()
    crew = sign_in(responder)
    assert "Prefers a female clinician" in card(crew).text
    boss = sign_in(make_user("sam", Role.SUPERVISOR))
    page = boss.get("/places/notes")
    assert page.status_code == 200 and "Prefers a female clinician" in page.text
    assert crew.get("/places/notes").status_code == 403
    (note,) = live_notes()
    assert crew.post(f"/places/notes/{note.id}/remove").status_code == 403
    assert boss.post(f"/places/notes/{note.id}/remove").status_code == 302
    note = reload(note)
    assert note.removed_at is not None and note.removed_by_id is not None
    assert "Prefers a female clinician" not in card(crew).text
    assert "Prefers a female clinician" not in boss.get("/places/notes").text
    assert boss.post(f"/places/notes/{note.id}/remove").status_code == 404


@pytest.fixture
def noted(team, responder):
    """A note at HERE, written from a call the team attended."""
    incident = contact(team, "N1", 3, **HERE)
    db.session.add(
        PlaceNote(
            text="Has asked for no police presence",
            incident_id=incident.id,
            lat=HERE["lat"],
            lon=HERE["lon"],
            place_key="737 ninth st",
            author_id=responder.id,
            expires_at=utcnow() + timedelta(days=80),
        )
    )
    db.session.commit()
    return incident


def test_who_may_read_and_write_a_places_notes(sign_in, responder, team, noted):
    other_team = make_team("CR-9", lat=36.0, lon=-78.9)
    stranger = sign_in(make_user("olu", Role.RESPONDER, other_team, "emt"))
    # Another team's responder: no writing on a place never attended, no reading it.
    assert stranger.post(_note_url(noted), {"text": "Side gate"}).status_code == 404
    assert stranger.get(f"/places/calls/{noted.id}/notes").status_code == 404
    assert stranger.get("/places/calls/999999/notes").status_code == 404
    # Once sent to a call there, that team reads it (on the card and the notes page).
    there = assign(other_team, **NEAR)
    page = stranger.get(f"/places/calls/{noted.id}/notes")
    assert page.status_code == 200 and "Has asked for no police presence" in page.text
    assert "Has asked for no police presence" in card(stranger).text
    assert stranger.get(f"/places/calls/{there.id}/notes").status_code == 200
    # Dispatch, navigators and supervisors may not use the crew's routes.
    desk = sign_in(make_user("desk", Role.DISPATCHER))
    assert desk.get(f"/places/calls/{noted.id}/notes").status_code == 403
    assert desk.post(_note_url(noted), {"text": "x"}).status_code == 403
    # The board's list never shows a note, though it shows the call at the place.
    make_incident("N-wait", **HERE)
    board = desk.get("/dispatch/board").text
    assert "N-wait" in board and "no police presence" not in board
    assert len(live_notes()) == 1


def test_a_navigator_writes_a_note_only_on_a_referral_they_work(sign_in, responder, team):
    referral = make_referral(team, responder, cad="R1")
    nia, ray = make_user("nia", Role.NAVIGATOR), make_user("ray", Role.NAVIGATOR)
    nav = sign_in(nia)
    url = f"/places/referrals/{referral.id}/note"
    assert nav.post(url, {"text": "Enter by the side gate"}).status_code == 404  # unclaimed
    nav.post(f"/navigation/referrals/{referral.id}/claim")
    assert "Add place note" in nav.get(f"/navigation/referrals/{referral.id}").text
    assert nav.post(url, {"text": "Enter by the side gate"}).status_code == 302
    assert sign_in(ray).post(url, {"text": "Another"}).status_code == 404
    assert [n.text for n in live_notes()] == ["Enter by the side gate"]
    assert live_notes()[0].author_id == nia.id


def test_every_view_of_a_note_is_an_audit_row_without_the_text(sign_in, responder, team, noted):
    current = assign(team, **HERE)
    crew = sign_in(responder)  # lands on /field/: the first view
    card(crew)
    card(crew)
    sam = make_user("sam", Role.SUPERVISOR)
    sign_in(sam).get("/places/notes")

    def views():
        query = select(AuditEvent).where(AuditEvent.action == "view_place_notes")
        return db.session.scalars(query.order_by(AuditEvent.id)).all()

    (note,) = live_notes()
    rows = views()
    assert [(r.actor_id, r.object_type, r.object_id, r.detail) for r in rows] == [
        (responder.id, "incident", str(current.id), f"notes {note.id}"),
    ] * 3 + [(sam.id, "place_notes", None, "1 notes")]
    assert all(r.at is not None for r in rows)
    # A card with no note to show writes no audit row.
    db.session.delete(note)
    db.session.commit()
    card(crew)
    assert len(views()) == 4


# --------------------------------------------------------------------------- the report


def test_the_repeat_contact_report_on_known_counts(sign_in, responder, team):
    # 737 Ninth St: 3 contacts this period, 1 in the period before, an open referral.
    for n, days in enumerate((2, 10, 20)):
        contact(team, f"X{n}", days, **HERE)
    contact(team, "X-prev", 40, **HERE)
    make_referral(team, responder, cad="X-ref")  # a 4th contact at HERE, today
    # 1205 Main St: 2 contacts this period, none before (coordinates far from HERE).
    for n, days in enumerate((5, 6)):
        contact(team, f"Y{n}", days, address="1205 W Main St, Durham", lat=36.0, lon=-78.91)
    # One contact only: not a repeat place. One never reached: not a contact.
    contact(team, "Z", 7, address="12 Pettigrew St", lat=35.99, lon=-78.89)
    contact(team, "C", 8, "cancelled_prior_to_arrival", address="12 Pettigrew St")
    boss = sign_in(make_user("sam", Role.SUPERVISOR))
    page = boss.get("/reports/repeat-places?days=30")
    assert page.status_code == 200
    text = page.text
    assert "86%" in text and "6 of 7 responses, at 2 repeat places" in text
    rows = text.split("<tbody>")[1].split("</tbody>")[0].split("<tr>")[1:]
    assert "700 block of Ninth St" in rows[0] and "1200 block of W Main St" in rows[1]
    assert "737" not in text and "1205" not in text  # block labels, not addresses
    assert "<td>4</td><td>1</td>" in rows[0] and "▲ up" in rows[0]
    assert rows[0].rstrip().endswith("<td>1</td></tr>")  # the open referral
    assert "<td>2</td><td>0</td>" in rows[1]

    exported = boss.get("/reports/repeat-places.csv?days=30")
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    table = list(csv.reader(io.StringIO(exported.text)))
    assert table[0] == ["block", "contacts", "previous_period", "trend", "open_referrals", "places"]
    assert table[1] == ["700 block of Ninth St", "4", "1", "up", "1", "1"]
    assert table[2] == ["1200 block of W Main St", "2", "0", "up", "0", "1"]
    assert ["repeat_share", "0.857"] in table
    assert db.session.query(AuditEvent).filter_by(action="export_csv").count() == 1
    # Supervisors only.
    assert sign_in(responder).get("/reports/repeat-places").status_code == 403
    assert boss.get("/reports/repeat-places?days=7").status_code == 200


# --------------------------------------------------------------------------- person links


def test_a_consented_link_reaches_the_navigators_queue(sign_in, responder, team):
    referral = make_referral(team, responder, cad="R1")  # consented, at HERE
    nia, ray = make_user("nia", Role.NAVIGATOR), make_user("ray", Role.NAVIGATOR)
    nav = sign_in(nia)
    links = f"/places/referrals/{referral.id}/links"
    assert nav.get(links).status_code == 404  # not theirs until claimed
    nav.post(f"/navigation/referrals/{referral.id}/claim")
    assert "Link a new call" in nav.get(f"/navigation/referrals/{referral.id}").text
    later = make_incident("R2", **NEAR)
    page = nav.get(links)
    assert page.status_code == 200 and "R2" in page.text  # suggested: same place, later

    assert nav.post(links, {"cad_number": "NOPE"}).status_code == 422
    assert nav.post(links, {"cad_number": "R1"}).status_code == 422  # the referral's own call
    assert nav.post(links, {"cad_number": "R2"}).status_code == 302
    again = nav.post(links, {"cad_number": "R2"})
    assert again.status_code == 422 and "already linked" in again.text
    assert sign_in(ray).post(links, {"cad_number": "R2"}).status_code == 404
    assert sign_in(responder).get(links).status_code == 403

    queue = nav.get("/navigation/?show=mine").text
    row = queue.split(f'id="referral-{referral.id}"')[1].split("</article>")[0]
    assert f"New contact linked: Welfare check · {later.cad_number}" in row
    assert db.session.query(AuditEvent).filter_by(action="link_call").count() == 1

    # A closed referral links nothing more.
    db.session.get(Referral, referral.id).status = "closed"
    db.session.commit()
    make_incident("R3", **HERE)
    closed = nav.post(links, {"cad_number": "R3"})
    assert closed.status_code == 422 and "closed" in closed.text


@pytest.fixture
def debug_logs(caplog):
    """Everything at DEBUG, set before the app and its database engine are made."""
    caplog.set_level(logging.DEBUG)
    return caplog


def test_a_note_stays_out_of_the_logs_the_api_and_the_feed(
    debug_logs, app, sign_in, responder, team
):
    cleared = contact(team, "Q1", 2, **HERE)
    db.session.add(
        Assignment(incident_id=cleared.id, team_id=team.id, ended_at=utcnow(), end_reason="cleared")
    )
    db.session.commit()
    crew = sign_in(responder)
    secret = "Quiet knock, grandmother asleep upstairs"
    assert crew.post(_note_url(cleared), {"text": secret}).status_code == 302
    current = assign(team, **HERE)
    assert secret in card(crew).text

    _token, key = tokens.issue(db.session, "CAD")
    api = app.test_client()
    bearer = {"Authorization": f"Bearer {key}"}
    for url in (f"/api/v1/incidents/{current.id}", "/api/v1/events?after=0", "/api/v1/incidents"):
        response = api.get(url, headers=bearer)
        assert response.status_code == 200 and secret not in response.text, url
    logged = debug_logs.text + "".join(repr(r.args) for r in debug_logs.records)
    assert crew.get(f"/places/calls/999999/notes?text={secret}").status_code == 404
    assert "answered 404" in debug_logs.text  # the capture works: the app did log
    assert "Quiet knock" not in logged
