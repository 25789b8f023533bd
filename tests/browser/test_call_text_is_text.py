"""Text that came with a call is text on every page and on the map, never markup.

Markup goes into every text field a call carries (CAD number, address, narrative, callback
number), through the CAD API and through the dispatch form. The board, its map (every marker
hovered, the unplaced call's permanent label) and the responder's phone are opened; a
MutationObserver installed before any page script records every element that appears with the
probe's attribute, and every navigation is recorded. Nothing may be created from the text and
no page may leave for the refresh target.
"""

import json
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from bench.servers import Gunicorn, demo_env, flask_cli, gunicorn, seed_demo
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser
expect.set_options(timeout=15_000)

# No spaces and at most 40 characters with a one-letter suffix: the API's CAD pattern allows it
# (HTML takes "/" as a separator between attributes). Every refresh goes to a page named "h".
CAD_MARKUP = '<meta/content="0;h"/http-equiv=refresh>'
ADDRESS_MARKUP = '<img src=x data-probe><b data-probe>Bold St</b><meta data-probe http-equiv=refresh content="0;url=h">'
NARRATIVE_MARKUP = '<b data-probe>loud</b><img src=x data-probe><meta data-probe http-equiv=refresh content="0;url=h">'
CALLBACK_MARKUP = "<b data-probe>919</b>"

WATCH = """
window.__probes = [];
new MutationObserver(function (records) {
  records.forEach(function (record) {
    record.addedNodes.forEach(function (node) {
      if (node.nodeType !== 1) return;
      var found = [];
      if (node.matches("[data-probe], meta[http-equiv]")) found.push(node);
      node.querySelectorAll("[data-probe], meta[http-equiv]").forEach(function (n) { found.push(n); });
      found.forEach(function (n) { window.__probes.push(n.outerHTML); });
    });
  });
}).observe(document, {childList: true, subtree: true});
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A server of the module's own, and an API token for it."""
    folder = tmp_path_factory.mktemp("markup")
    env = demo_env(
        f"sqlite:///{folder / 'markup.db'}",
        SECRET_KEY="markup-test-secret",
        HEART_SERVICE_HOURS="00:00-24:00",
    )
    seed_demo(env)
    token = flask_cli(env, "create-token", "markup test").split()[-1]
    with gunicorn("app:app", env, Gunicorn(threads=16), folder / "server.log", "/login") as url:
        yield url, token


def api(url, token, path, body):
    request = urllib.request.Request(
        url + "/api/v1" + path,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        raise AssertionError(f"{path}: {error.code} {error.read()!r}") from None


def watched_page(context):
    page = context.new_page()
    page.add_init_script(WATCH)
    page.visited = []
    page.on("framenavigated", lambda frame: page.visited.append(frame.url))
    return page


def assert_nothing_made_of_text(page):
    probes = page.evaluate("window.__probes")
    assert probes == [], f"elements made from call text: {probes}"
    assert not [u for u in page.visited if u.split("?")[0].endswith("/h")], page.visited
    assert not page.url.endswith("/h")


def test_markup_in_every_call_field_stays_text(browser, playwright, server):
    url, token = server
    safety = {"weapons": False, "violence": False, "medical_emergency": False}
    # Unplaced: its permanent label on the map carries the CAD number from the first paint.
    api(url, token, "/incidents", {
        "cad_number": "U" + CAD_MARKUP, "call_type": "welfare_check", "priority": 2,
        "address": ADDRESS_MARKUP, "safety": safety, "narrative": NARRATIVE_MARKUP,
        "callback_phone": CALLBACK_MARKUP,
    })  # fmt: skip
    placed = api(url, token, "/incidents", {
        "cad_number": CAD_MARKUP, "call_type": "welfare_check", "priority": 1,
        "address": ADDRESS_MARKUP, "lat": 35.9990, "lon": -78.9060, "safety": safety,
        "narrative": NARRATIVE_MARKUP, "callback_phone": CALLBACK_MARKUP,
    })  # fmt: skip

    desk = browser.new_context(viewport={"width": 1440, "height": 900})
    board = watched_page(desk)
    sign_in(board, url, "dispatch")
    expect(board).to_have_url(f"{url}/dispatch/")
    expect(board.locator("#map[data-boundary-drawn='']")).to_have_count(1)
    expect(board.locator(".map-label-unverified")).to_have_count(1)

    # The dispatch form: the same markup typed in by hand.
    form = board.locator("#intake-form")
    form.get_by_label("CAD number").fill("<b/data-probe>F1")
    form.get_by_label("Call type", exact=True).select_option("welfare_check")
    form.get_by_label("Address", exact=True).fill(ADDRESS_MARKUP)
    form.get_by_label("Latitude", exact=True).fill("35.9960")
    form.get_by_label("Longitude", exact=True).fill("-78.9020")
    form.get_by_label("Narrative", exact=True).fill(NARRATIVE_MARKUP)
    form.get_by_label("Callback number", exact=True).fill(CALLBACK_MARKUP)
    form.get_by_role("button", name="Enter call").click()
    expect(board.locator("article.call-row", has_text="F1")).to_have_count(1)

    # A call arriving live, while the board is open.
    api(url, token, "/incidents", {
        "cad_number": "L" + CAD_MARKUP, "call_type": "welfare_check", "priority": 2,
        "address": ADDRESS_MARKUP, "lat": 35.9930, "lon": -78.9000, "safety": safety,
        "narrative": NARRATIVE_MARKUP, "callback_phone": CALLBACK_MARKUP,
    })  # fmt: skip
    # A new call is no feed event: the board's quiet refresh (every 20 s) brings it.
    arrived = board.locator("article.call-row", has_text="L" + CAD_MARKUP)
    expect(arrived).to_have_count(1, timeout=30_000)

    board.locator(".map-unverified").hover()
    # Close in on the three calls, so none is in a group (the map groups nearby markers).
    board.evaluate(
        "heartMap.map.fitBounds([[35.993, -78.906], [35.999, -78.900]], {padding: [40, 40]})"
    )
    markers = board.locator("#map path.map-call")
    expect(markers).not_to_have_count(0)
    shown = []
    for n in range(markers.count()):
        # The pointer over each marker (teams may sit on top of a call where a real pointer is).
        markers.nth(n).dispatch_event("mouseover")
        expect(board.locator(".leaflet-tooltip-pane .map-label").last).to_be_visible()
        shown.append(board.locator(".leaflet-tooltip-pane").inner_text())
        markers.nth(n).dispatch_event("mouseout")
    # The address shown as the characters typed.
    assert sum(ADDRESS_MARKUP in words for words in shown) >= 3, shown
    assert_nothing_made_of_text(board)

    # A fresh load renders everything from the server at once.
    board.reload()
    expect(board.locator("#map[data-markers]")).to_have_count(1)
    expect(board.locator("article.call-row", has_text="U" + CAD_MARKUP)).to_have_count(1)
    expect(board.locator(".map-label-unverified")).to_have_text(
        "U" + CAD_MARKUP + " · drag to place"
    )
    assert_nothing_made_of_text(board)

    # The responder's phone: address, CAD number, callback number and narrative.
    api(url, token, f"/incidents/{placed['id']}/assign", {"team": "CR-1"})
    phone_context = browser.new_context(**playwright.devices["Pixel 7"])
    phone = watched_page(phone_context)
    sign_in(phone, url, "cr1-1")
    expect(phone).to_have_url(f"{url}/field/")
    card = phone.locator("#field-card")
    expect(card.locator(".address")).to_have_text(ADDRESS_MARKUP)
    expect(card.locator(".narrative")).to_have_text(NARRATIVE_MARKUP)
    expect(card.get_by_text(CALLBACK_MARKUP, exact=True)).to_be_visible()
    expect(card.get_by_text(CAD_MARKUP, exact=True)).to_be_visible()
    phone.get_by_role("button", name="Accept", exact=True).click()
    expect(phone.get_by_role("button", name="En route", exact=True)).to_be_visible()
    assert_nothing_made_of_text(phone)
    assert_nothing_made_of_text(board)
    desk.close()
    phone_context.close()
