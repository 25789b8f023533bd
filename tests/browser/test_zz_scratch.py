import pytest
from playwright.sync_api import expect
from tests.browser.conftest import sign_in
pytestmark = pytest.mark.browser

def test_preload(browser, live_server):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    logs, reqs = [], []
    page.on("console", lambda m: logs.append(m.type + " " + m.text))
    page.on("request", lambda r: reqs.append(r.url) if "city-limits" in r.url else None)
    sign_in(page, live_server, "dispatch")
    expect(page.locator("#map[data-boundary-drawn='']")).to_have_count(1)
    page.reload()
    expect(page.locator("#map[data-boundary-drawn='']")).to_have_count(1)
    page.wait_for_timeout(4000)
    print(reqs)
    print("\n".join(logs))
    print(page.evaluate("performance.getEntriesByType('resource').filter(e => e.name.includes('city-limits')).map(e => [e.initiatorType, e.startTime, e.responseEnd])"))
