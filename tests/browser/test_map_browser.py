"""The dispatch map in real Chromium with no network beyond the app: the boundary and markers
without tiles, a marker's colour following a status change live (and no other marker redrawn),
a waiting call drawn over a team beside it, teams at the very same place each found, a click giving the geofence verdict, dragging an
unverified call into place, and the phone's Navigate button."""

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assign_from_list, sign_in, wait_until
from tests.conftest import make_team

pytestmark = pytest.mark.browser
expect.set_options(timeout=15_000)

DOWNTOWN = (35.9990, -78.9060)  # inside city limits, clear of the demo's markers
BESIDE_CR3 = (35.9751, -78.8986)  # 0.1 km north of the demo's CR-3 (NCCU)
OUTSIDE = (36.1000, -78.7800)  # north-east of the city, inside the map's frame


def offline(context, live_server):
    """Anything not from the app itself fails, as in a control room with no internet."""
    context.route(re.compile(r"^(?!" + re.escape(live_server) + ").*"), lambda route: route.abort())


@pytest.fixture
def dispatcher(browser, live_server):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    offline(context, live_server)
    page = context.new_page()
    refusals = []
    page.on(
        "console",
        lambda message: (
            refusals.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.refusals = refusals
    sign_in(page, live_server, "dispatch")
    expect(page.locator("#live-state")).to_have_text("Live")
    expect(page.locator("#map[data-boundary-drawn='']")).to_have_count(1)
    yield page
    context.close()


def open_phone(browser, playwright, live_server, username):
    context = browser.new_context(**playwright.devices["Pixel 7"])
    offline(context, live_server)
    page = context.new_page()
    sign_in(page, live_server, username)
    expect(page.locator("body[data-live='open']")).to_have_count(1)
    return context, page


def marker(page, row_id):
    return page.locator(f"#map path[data-row='{row_id}']")


def show(page, row_id):
    """Zoom the map until the row's marker is drawn on its own (out of any group; a group of
    markers at the very same place, as other tests' teams are, opens around it)."""
    page.evaluate("id => window.heartMap.show(id)", row_id)
    expect(marker(page, row_id)).to_have_count(1)
    return marker(page, row_id)


def drawn_or_grouped(page, kind):
    """Markers of a kind on the map: drawn on their own, plus those counted in its groups."""
    return page.evaluate(
        """kind => {
            const groups = [...document.querySelectorAll(`#map .map-group-${kind}`)];
            const grouped = groups.reduce((sum, g) => sum + Number(g.textContent), 0);
            return document.querySelectorAll(`#map path.map-${kind}`).length + grouped;
        }""",
        kind,
    )


def point_of(page, lat, lon):
    """Where a place is on the page, in CSS pixels."""
    x, y = page.evaluate(
        "([lat, lon]) => { const p = window.heartMap.map.latLngToContainerPoint([lat, lon]);"
        " return [p.x, p.y]; }",
        [lat, lon],
    )
    origin = page.locator("#map").bounding_box()
    return origin["x"] + x, origin["y"] + y


def fill_of(locator):
    return locator.evaluate("element => getComputedStyle(element).fill")


def click_map(page, lat, lon):
    """A click on the map at a place, centred on it and close in (at the default zoom a group
    of markers may be drawn over it)."""
    page.evaluate("([lat, lon]) => heartMap.map.setView([lat, lon], 14)", [lat, lon])
    x, y = page.evaluate(
        "([lat, lon]) => { const p = window.heartMap.map.latLngToContainerPoint([lat, lon]);"
        " return [p.x, p.y]; }",
        [lat, lon],
    )
    page.locator("#map").click(position={"x": x, "y": y})


def test_map_draws_boundary_and_markers_without_tiles(dispatcher):
    """No tile URL and no network: the city limits, every team and every located call."""
    expect(dispatcher.locator("#map path.map-boundary")).to_have_count(1)
    teams = dispatcher.locator("#teams-table tr[data-lat]").count()
    calls = dispatcher.locator(
        "#calls-waiting article[data-lat], #calls-active article[data-lat]"
    ).count()
    assert teams >= 4 and calls >= 1  # the demo's four teams, and any other tests added
    waiting = dispatcher.locator("#calls-waiting article[data-lat]").count()
    expect(dispatcher.locator(f"#map[data-markers='{teams + calls}']")).to_have_count(1)
    assert drawn_or_grouped(dispatcher, "team") == teams
    assert drawn_or_grouped(dispatcher, "waiting") == waiting
    assert drawn_or_grouped(dispatcher, "active") == calls - waiting
    show(dispatcher, "team-CR-1")
    expect(dispatcher.locator("#map .leaflet-tooltip", has_text="CR-1")).to_be_visible()
    assert dispatcher.locator("#map img.leaflet-tile").count() == 0
    box = dispatcher.locator("#map path.map-boundary").bounding_box()
    assert box["width"] > 200 and box["height"] > 200
    assert dispatcher.refusals == []


@pytest.fixture
def teams_at_one_place(live_app):
    """Two units on duty at the very same place (made before the board loads)."""
    signs = [f"T-{uuid.uuid4().hex[:4]}" for _ in range(2)]
    for call_sign in signs:
        make_team(call_sign, lat=35.9601, lon=-78.9102)
    return signs


def test_teams_at_the_very_same_place_can_each_be_found(teams_at_one_place, dispatcher):
    """At the closest zoom their markers are still one group: the map opens it around them."""
    for call_sign in teams_at_one_place:
        show(dispatcher, f"team-{call_sign}")
        expect(dispatcher.locator("#map .leaflet-tooltip", has_text=call_sign)).to_be_visible()
    assert dispatcher.refusals == []


def test_team_marker_colour_follows_its_status_without_reload(
    dispatcher, browser, playwright, live_server
):
    context, phone = open_phone(browser, playwright, live_server, "cr2-1")
    try:
        dispatcher.evaluate("window.notReloaded = true")
        cr2 = show(dispatcher, "team-CR-2")
        expect(cr2).to_have_class(re.compile(r"\bstatus-available\b"))
        available = fill_of(cr2)

        phone.locator("summary", has_text="Team CR-2").click()
        phone.get_by_role("button", name="Out of service").click()
        expect(dispatcher.locator("#team-CR-2 .status")).to_have_text("Out of service")
        expect(marker(dispatcher, "team-CR-2")).to_have_class(
            re.compile(r"\bstatus-out_of_service\b")
        )
        out = fill_of(marker(dispatcher, "team-CR-2"))
        assert out != available

        phone.get_by_role("button", name="Back in service").click()
        expect(marker(dispatcher, "team-CR-2")).to_have_class(re.compile(r"\bstatus-available\b"))
        assert fill_of(marker(dispatcher, "team-CR-2")) == available
        assert dispatcher.evaluate("window.notReloaded") is True
    finally:
        back = phone.get_by_role("button", name="Back in service")
        if back.count():  # leave CR-2 available for the next test, even after a failure
            back.click()
            expect(back).to_have_count(0)
        context.close()


def test_an_event_redraws_only_the_changed_teams_marker(
    dispatcher, browser, playwright, live_server
):
    """A status change live: CR-2's marker follows it; every other marker keeps its element."""
    context, phone = open_phone(browser, playwright, live_server, "cr2-1")
    try:
        # Zoomed in enough that the demo's teams and calls are each drawn, out of any group.
        cr2 = dispatcher.locator("#team-CR-2")
        dispatcher.evaluate(
            "([lat, lon]) => heartMap.map.setView([lat, lon], 13)",
            [float(cr2.get_attribute("data-lat")), float(cr2.get_attribute("data-lon"))],
        )
        expect(marker(dispatcher, "team-CR-2")).to_have_count(1)
        kept = dispatcher.evaluate(
            """() => {
                window.before = new Map([...document.querySelectorAll('#map path[data-row]')]
                    .map(path => [path.dataset.row, path]));
                return window.before.size;
            }"""
        )
        assert kept >= 3
        board = dispatcher.locator("#team-CR-2").element_handle()

        phone.locator("summary", has_text="Team CR-2").click()
        phone.get_by_role("button", name="Out of service").click()
        expect(dispatcher.locator("#team-CR-2 .status")).to_have_text("Out of service")
        expect(marker(dispatcher, "team-CR-2")).to_have_class(
            re.compile(r"\bstatus-out_of_service\b")
        )
        assert board.evaluate("row => !row.isConnected")  # the row was swapped in anew
        redrawn = dispatcher.evaluate(
            """() => [...window.before].filter(([row, path]) =>
                document.querySelector(`#map path[data-row="${row}"]`) !== path
            ).map(([row]) => row)"""
        )
        assert redrawn == ["team-CR-2"]
    finally:
        back = phone.get_by_role("button", name="Back in service")
        if back.count():
            back.click()
            expect(back).to_have_count(0)
        context.close()


def test_a_waiting_call_beside_a_team_is_drawn_over_it(dispatcher):
    """A waiting call 0.1 km from a team, at the default zoom: on top, and a click reaches it."""
    dispatcher.get_by_label("CAD number").fill("D2611279903")
    dispatcher.get_by_label("Call type").select_option(label="Welfare check")
    dispatcher.get_by_label("Latitude", exact=True).fill(str(BESIDE_CR3[0]))
    dispatcher.get_by_label("Longitude", exact=True).fill(str(BESIDE_CR3[1]))
    dispatcher.get_by_role("button", name="Enter call").click()
    call = dispatcher.locator("#calls-waiting article[data-cad=D2611279903]")
    expect(call).to_have_count(1)
    row_id = call.get_attribute("id")

    dispatcher.reload()  # the default zoom, everything drawn at once
    expect(dispatcher.locator("#map[data-markers]")).to_have_count(1)
    team = dispatcher.locator("#team-CR-3")
    team_at = point_of(
        dispatcher, float(team.get_attribute("data-lat")), float(team.get_attribute("data-lon"))
    )
    call_at = point_of(dispatcher, *BESIDE_CR3)
    assert abs(team_at[0] - call_at[0]) + abs(team_at[1] - call_at[1]) < 9  # inside the team's dot
    # What the pointer meets there: the call, or a group of waiting calls holding it (a click
    # on a group zooms in), never the team.
    for _ in range(4):
        on_top = dispatcher.evaluate(
            """([x, y]) => { const top = document.elementFromPoint(x, y);
                return [top.closest('.leaflet-pane').className, top.getAttribute('data-row')]; }""",
            list(call_at),
        )
        assert "leaflet-waiting-calls-pane" in on_top[0]
        if on_top[1] == row_id:
            dispatcher.mouse.click(*call_at)
            break
        dispatcher.evaluate(
            "window.moved = false; heartMap.map.once('moveend', () => window.moved = true)"
        )
        dispatcher.mouse.click(*call_at)
        wait_until(dispatcher, "window.moved")
        call_at = point_of(dispatcher, *BESIDE_CR3)
    assert on_top[1] == row_id
    expect(call).to_be_focused()
    expect(dispatcher.locator("#map .leaflet-tooltip", has_text="D2611279903")).to_be_visible()
    expect(dispatcher.get_by_label("Latitude", exact=True)).to_have_value("")  # no new call picked


def test_click_inside_and_outside_city_limits_shows_the_verdict(dispatcher):
    verdict = dispatcher.locator("#verdict")
    click_map(dispatcher, *DOWNTOWN)
    expect(verdict).to_contain_text("Inside city limits")
    expect(dispatcher.get_by_label("Latitude", exact=True)).to_have_value(re.compile(r"^35\.99"))
    expect(dispatcher.locator("#map path.map-pick")).to_have_count(1)

    click_map(dispatcher, *OUTSIDE)
    expect(verdict).to_contain_text("Outside city limits")
    expect(dispatcher.get_by_label("Longitude", exact=True)).to_have_value(
        re.compile(r"^-78\.7[89]")
    )

    dispatcher.get_by_label("Call type").select_option(label="Welfare check")
    expect(verdict).to_contain_text("Fallback: Outside city limits")
    assert dispatcher.refusals == []


def test_dragging_an_unverified_call_places_it(dispatcher):
    dispatcher.get_by_label("CAD number").fill("D2611279901")
    dispatcher.get_by_label("Call type").select_option(label="Welfare check")
    dispatcher.get_by_label("Address").fill("Nowhere In Particular Lane")
    dispatcher.get_by_role("button", name="Enter call").click()
    call = dispatcher.locator("article.call-row[data-cad=D2611279901]")
    expect(call).to_contain_text("Location unverified")

    pin = dispatcher.locator("#map .map-unverified")
    expect(pin).to_have_count(1)
    start = pin.bounding_box()
    x, y = dispatcher.evaluate(
        "([lat, lon]) => { const p = window.heartMap.map.latLngToContainerPoint([lat, lon]);"
        " return [p.x, p.y]; }",
        list(DOWNTOWN),
    )
    origin = dispatcher.locator("#map").bounding_box()
    dispatcher.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    dispatcher.mouse.down()
    dispatcher.mouse.move(origin["x"] + x, origin["y"] + y, steps=8)
    dispatcher.mouse.up()

    expect(dispatcher.locator(".notices")).to_contain_text(
        "Call D2611279901 placed inside city limits."
    )
    expect(call).to_contain_text("Inside city limits")
    expect(dispatcher.locator("#map .map-unverified")).to_have_count(0)
    show(dispatcher, call.get_attribute("id"))


def test_phone_shows_the_call_map_and_navigate(dispatcher, browser, playwright, live_server):
    dispatcher.get_by_label("CAD number").fill("D2611279902")
    dispatcher.get_by_label("Call type").select_option(label="Welfare check")
    dispatcher.get_by_label("Address").fill("737 Ninth St, Durham, NC 27705")
    dispatcher.get_by_role("button", name="Enter call").click()
    call = dispatcher.locator("article.call-row[data-cad=D2611279902]")
    assign_from_list(call, "CR-2")
    expect(dispatcher.locator("#team-CR-2 .status")).to_have_text("Assigned")

    context, phone = open_phone(browser, playwright, live_server, "cr2-1")
    try:
        expect(phone.locator("svg.call-map circle.point")).to_be_visible()
        navigate = phone.get_by_role("link", name="Navigate", exact=True)
        expect(navigate).to_have_attribute(
            "href", re.compile(r"^geo:36\.009004,-78\.922177\?q=.*Ninth")
        )
        box = navigate.bounding_box()
        assert box["height"] >= 48 and box["width"] >= 48
    finally:
        context.close()
        active = dispatcher.locator("#calls-active article", has_text="D2611279902")
        active.get_by_role("button", name="Take team off").click()
        expect(dispatcher.locator("#team-CR-2 .status")).to_have_text("Available")
