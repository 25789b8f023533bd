"""Phone-grade front end in real Chromium: no accessibility violations (axe-core), nothing
wider than a 320 px screen, every control at least 48 px, dark mode included."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.browser.test_offline import new_responder_with_call

pytestmark = pytest.mark.browser

CONTROLS = "button, a[href], select, input:not([type=hidden]), textarea, summary"


def violations(page, impacts=("minor", "moderate", "serious", "critical")):
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in impacts
    ]


def too_small(page):
    """Visible controls (or the label that wraps them) under 48 x 48 px."""
    return page.evaluate(
        """selector => Array.from(document.querySelectorAll(selector))
        .filter(el => el.offsetParent !== null || el.getClientRects().length)
        .map(el => { const target = el.closest("label") || el; const r = target.getBoundingClientRect();
                     return [el.outerHTML.slice(0, 80), Math.round(r.width), Math.round(r.height)]; })
        .filter(([, w, h]) => w > 0 && (w < 48 || h < 48))""",
        CONTROLS,
    )


def overflow(page):
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def screens(page, live_server, username):
    """Visit each screen a responder sees, yielding its name once it is showing."""
    page.goto(f"{live_server}/login")
    yield "login"
    sign_in(page, live_server, username)
    expect(page.get_by_role("button", name="Accept", exact=True)).to_be_visible()
    yield "field"
    page.get_by_role("button", name="Decline", exact=True).click()
    expect(page.get_by_label("Why decline?")).to_be_visible()
    yield "decline"
    page.get_by_role("link", name="Back").click()
    for name in ("Accept", "En route", "On scene", "Clear"):
        page.get_by_role("button", name=name, exact=True).click()
    expect(page.get_by_label("Disposition")).to_be_visible()
    yield "outcome"
    page.get_by_role("button", name="Save outcome").click()
    expect(page.get_by_text("Choose a disposition.")).to_be_visible()
    yield "outcome with an error"
    page.goto(f"{live_server}/lock")
    yield "lock"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_responder_screens_have_no_accessibility_violations(
    live_app, browser, playwright, live_server, scheme
):
    context = browser.new_context(
        **playwright.devices["Pixel 7"], color_scheme=scheme, reduced_motion="reduce"
    )
    page = context.new_page()
    found = {
        name: violations(page)
        for name in screens(page, live_server, new_responder_with_call(live_app)[0])
    }
    context.close()
    assert {name: v for name, v in found.items() if v} == {}


def test_staff_pages_have_no_serious_accessibility_violations(browser, live_server):
    """Serious and critical only for now: these pages belong to other work in progress."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    found = {}
    for username, path in (
        ("dispatch", "/dispatch/"),
        ("navigator", "/navigation/"),
        ("supervisor", "/reports/"),
    ):
        page.context.clear_cookies()
        sign_in(page, live_server, username)
        page.goto(f"{live_server}{path}")
        found[path] = violations(page, impacts=("serious", "critical"))
    page.goto(f"{live_server}/no-such-page")
    found["404"] = violations(page)
    context.close()
    assert {name: v for name, v in found.items() if v} == {}


@pytest.mark.parametrize(
    "viewport",
    [{"width": 320, "height": 640}, {"width": 1180, "height": 820}],
    ids=["320px phone", "tablet landscape"],
)
def test_screens_fit_the_width_and_every_control_is_a_thumb_target(
    live_app, browser, live_server, viewport
):
    context = browser.new_context(
        viewport=viewport, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    page = context.new_page()
    problems = {}
    for name in screens(page, live_server, new_responder_with_call(live_app)[0]):
        if overflow(page) > 0:
            problems[f"{name}: overflow"] = overflow(page)
        if too_small(page):
            problems[f"{name}: small controls"] = too_small(page)
    context.close()
    assert problems == {}
