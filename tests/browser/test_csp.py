"""The real pages run under the Content-Security-Policy without a single violation."""

import pytest

from tests.browser.conftest import sign_in, wait_until

pytestmark = pytest.mark.browser

# Every refusal the page's own document sees, whatever the console says about it.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(event.violatedDirective + " " + (event.blockedURI || "inline") +
                           " " + (event.sample || ""));
});
"""


@pytest.mark.parametrize(
    ("username", "device", "region"),
    [("cr1-2", "Pixel 7", "#field-card"), ("dispatch", None, "#board")],
)
def test_pages_work_under_the_policy(browser, playwright, live_server, username, device, region):
    """Sign in, load the landing page, let the live region refresh itself twice (the swap
    htmx does on every feed event) and wait out one round of polling: nothing is refused."""
    options = playwright.devices[device] if device else {"viewport": {"width": 1440, "height": 900}}
    context = browser.new_context(**options)
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    refusals = []
    page.on(
        "console",
        lambda message: (
            refusals.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    response = page.goto(f"{live_server}/login")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    sign_in(page, live_server, username)
    page.wait_for_load_state("networkidle")
    # A refresh is answered with the region (swapped in) or, when nothing changed, 304. A region
    # that replaces itself is detached when its request ends, so its afterRequest never reaches
    # the document: the new region's htmx:load counts it instead.
    page.evaluate(
        """region => { window.swaps = 0;
             document.addEventListener("htmx:afterRequest", e => {
               if (e.detail.successful || e.detail.xhr.status === 304) window.swaps++; });
             document.addEventListener("htmx:load", e => {
               if (e.target.matches && e.target.matches(region)) window.swaps++; }); }""",
        region,
    )
    for count in (1, 2):
        page.evaluate(f"() => htmx.trigger(document.querySelector('{region}'), 'sse:feed')")
        # This refresh, or one already on its way (htmx then drops the new trigger).
        wait_until(page, "n => window.swaps >= n", count)
    page.wait_for_timeout(3500)  # one round of the board's polling
    refusals += page.evaluate("() => window.__violations")
    context.close()
    assert refusals == []
