"""The real pages run under the Content-Security-Policy without a single violation."""

import pytest

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("username", "device"), [("cr1-2", "Pixel 7"), ("dispatch", None)])
def test_pages_work_under_the_policy(browser, playwright, live_server, username, device):
    """Sign in, load the landing page and let htmx poll: the console reports no CSP refusal."""
    options = playwright.devices[device] if device else {"viewport": {"width": 1440, "height": 900}}
    context = browser.new_context(**options)
    page = context.new_page()
    refusals = []
    page.on("console", lambda message: refusals.append(message.text)
            if "Content Security Policy" in message.text else None)
    response = page.goto(f"{live_server}/login")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    sign_in(page, live_server, username)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(3500)  # one round of the board's polling
    context.close()
    assert refusals == []
