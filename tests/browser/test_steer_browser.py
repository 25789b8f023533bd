"""Steering a moving call in real browsers: a cancel while en route reaches the phone without a
reload, an urgent update reaches the phone and its Got it shows on the board, and a divert
moves one team and puts its first call back in the queue."""

import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from heart_field import create_app
from heart_field.domain import status
from heart_field.domain.status import Action, Tap
from heart_field.extensions import db
from heart_field.models import Incident, Team, utcnow
from tests.browser.conftest import serve, sign_in

pytestmark = pytest.mark.browser
expect.set_options(timeout=15_000)  # a shared machine under load


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A server of this module's own (the demo shift), and its database URL."""
    folder = tmp_path_factory.mktemp("steer")
    url = f"sqlite:///{folder / 'steer.db'}"
    for base in serve(folder, url):
        yield base, url


@pytest.fixture(scope="module")
def data(server):
    """The app in this process, on the server's database: to set up calls and teams."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": server[1], "SECRET_KEY": "x", "TESTING": True})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def new_call(cad, priority=2, minutes_ago=1):
    incident = Incident(
        cad_number=cad,
        call_type="welfare_check",
        priority=priority,
        address="737 Ninth St, Durham, NC 27705",
        lat=36.009004,
        lon=-78.922177,
        within_city_limits=True,
        narrative="Man sitting outside for hours.",
        received_at=utcnow() - timedelta(minutes=minutes_ago),
    )
    db.session.add(incident)
    db.session.commit()
    return incident


def move(call_sign, *actions, incident=None):
    for action in actions:
        team = db.session.scalar(select(Team).where(Team.call_sign == call_sign))
        if team.status == "off_duty":
            status.apply(db.session, team, Tap(Action.LOG_ON, str(uuid.uuid4())), None)
            team = db.session.scalar(select(Team).where(Team.call_sign == call_sign))
        tap = Tap(action, str(uuid.uuid4()), incident_id=incident.id if incident else None)
        status.apply(db.session, team, tap, None)


@pytest.fixture
def board(browser, server):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    sign_in(page, server[0], "dispatch")
    expect(page.locator("#live-state")).to_have_text("Live")
    yield page
    context.close()


def phone_of(browser, playwright, server, username):
    context = browser.new_context(**playwright.devices["Pixel 7"])
    page = context.new_page()
    sign_in(page, server[0], username)
    expect(page.locator("body[data-live='open']")).to_have_count(1)
    page.evaluate("window.notReloaded = true")
    return context, page


def call_row(board, cad):
    return board.locator(f"article.call-row[data-cad='{cad}']")


def test_cancel_while_en_route_reaches_the_phone_without_a_reload(
    data, board, browser, playwright, server
):
    call = new_call("S-CANCEL")
    move("CR-1", Action.ASSIGN, Action.ACCEPT, Action.EN_ROUTE, incident=call)
    context, phone = phone_of(browser, playwright, server, "cr1-1")
    try:
        expect(phone.get_by_role("heading", name="Welfare check")).to_be_visible()
        row = call_row(board, "S-CANCEL")
        expect(row.get_by_role("button", name="Take team off")).to_be_visible()
        row.get_by_text("Cancel call…").click()  # the form comes when the box opens
        why = row.get_by_label("Why cancel call S-CANCEL")
        expect(why).to_be_focused()
        why.select_option("caller_cancelled")
        row.get_by_role("button", name="Cancel call", exact=True).click()
        expect(board.locator("#team-CR-1 .status")).to_have_text("Available")
        expect(
            phone.get_by_text("Call S-CANCEL was cancelled by dispatch: Caller cancelled.")
        ).to_be_visible()
        expect(phone.get_by_role("heading", name="No call assigned")).to_be_visible()
        assert phone.evaluate("window.notReloaded") is True
    finally:
        context.close()


def test_an_urgent_update_reaches_the_phone_and_got_it_shows_on_the_board(
    data, board, browser, playwright, server
):
    call = new_call("S-NOTE")
    move("CR-2", Action.ASSIGN, Action.ACCEPT, Action.EN_ROUTE, incident=call)
    context, phone = phone_of(browser, playwright, server, "cr2-1")
    try:
        row = call_row(board, "S-NOTE")
        row.get_by_text("Add update").click()
        expect(row.get_by_label("Update for the team on call S-NOTE")).to_be_focused()
        row.get_by_label("Update for the team on call S-NOTE").fill(
            "Caller now reports a knife. <b>Stage</b> at the corner."
        )
        row.get_by_label("Urgent: the team must tap Got it").check()
        row.get_by_role("button", name="Send update").click()
        expect(row.locator(".note-ack-waiting")).to_have_text("Not acknowledged yet")

        note = phone.locator("[data-urgent-note]")
        expect(note).to_contain_text("Caller now reports a knife. <b>Stage</b> at the corner.")
        expect(phone.locator("body[data-rang^='note-']")).to_have_count(1)
        note.get_by_role("button", name="Got it").click()
        expect(phone.locator("[data-urgent-note]")).to_have_count(0)
        expect(row.locator("[data-acknowledged]")).to_contain_text("Got it: Priya Natarajan at")
        assert phone.evaluate("window.notReloaded") is True
    finally:
        context.close()


def test_divert_moves_one_team_and_requeues_its_first_call(data, board):
    first = new_call("S-FIRST", priority=3)
    urgent = new_call("S-URGENT", priority=1)
    move("CR-3", Action.ASSIGN, Action.ACCEPT, Action.EN_ROUTE, incident=first)
    others = {
        cs: board.locator(f"#team-{cs}").get_attribute("data-version")
        for cs in ("CR-1", "CR-2", "CO-1")
    }
    row = call_row(board, "S-FIRST")
    expect(row.get_by_role("button", name="Divert CR-3")).to_be_visible()
    row.get_by_label("Divert CR-3 to").select_option(str(urgent.id))
    row.get_by_role("button", name="Divert CR-3").click()
    expect(board.locator("#calls-waiting article.call-row[data-cad=S-FIRST]")).to_have_count(1)
    expect(board.locator("#calls-active article.call-row[data-cad=S-URGENT]")).to_have_attribute(
        "data-team", "CR-3"
    )
    expect(board.locator("#team-CR-3 .status")).to_have_text("En route")
    # One team touched: the others' versions did not move.
    for call_sign, version in others.items():
        assert board.locator(f"#team-{call_sign}").get_attribute("data-version") == version
