"""The responder screen's budgets, measured by hand (figures go to bench/RESULTS.md).

    .venv/bin/python -m bench.field_budget                 # bytes only
    LIGHTHOUSE=/path/to/node_modules/.bin/lighthouse .venv/bin/python -m bench.field_budget

Serves the app under gunicorn on a throwaway database with the demo shift, signs a responder
in, and loads /field/ in a fresh Chromium profile (empty HTTP cache, no service worker yet):
every response the page itself fetched is counted as gzip would send it (level 6); the service
worker's own downloads for its cache are left out. Budget: 60 KB.

With LIGHTHOUSE set, runs Lighthouse (mobile form factor, Debian's Chromium) on the login,
field and outcome pages with the responder's session cookie, and prints the category scores.
Budgets: performance >= 95, accessibility 100, best practices 100.
"""

import gzip
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from .browser import LAUNCH_ARGS, chromium_path
from .servers import DEMO_PASSWORD, Gunicorn, demo_server

BUDGET_KB = 60


def sign_in(page, url, username):
    page.goto(f"{url}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{url}/**")


def assign_call(browser, url):
    page = browser.new_page()
    sign_in(page, url, "dispatch")
    call = page.locator("article.call-row", has_text="D2611270001")
    call.locator("select").focus()  # the team list fills when reached for
    call.locator("select").select_option("CR-1")
    call.get_by_role("button", name="Assign", exact=True).click()
    page.locator("#team-CR-1 .status", has_text="Assigned").wait_for()
    page.close()


def measure_first_load(browser, url):
    context = browser.new_context(viewport={"width": 412, "height": 915}, is_mobile=True)
    page = context.new_page()
    sign_in(page, url, "cr1-1")
    cookies = context.cookies()
    context.close()

    context = browser.new_context(viewport={"width": 412, "height": 915}, is_mobile=True)
    context.add_cookies(cookies)
    page = context.new_page()
    fetched = []

    def record(response):
        try:
            body = response.body()
        except Exception:  # redirects and aborted requests have no body
            return
        fetched.append(
            (
                response.url.replace(url, ""),
                len(body),
                len(gzip.compress(body, 6)),
                response.request.service_worker is not None
                if hasattr(response.request, "service_worker")
                else False,
            )
        )

    context.on("response", record)
    page.goto(f"{url}/field/")
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=15000)
    page.wait_for_timeout(500)
    context.close()
    return fetched, cookies


def lighthouse(url, cookies, lighthouse_bin):
    cookie = "; ".join(f"{c['name']}={c['value']}" for c in cookies)
    scores = {}
    for name, path, headers in (
        ("login", "/login", None),
        ("field", "/field/", cookie),
        ("outcome", "/field/outcome", cookie),
    ):
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            command = [
                lighthouse_bin,
                f"{url}{path}",
                "--quiet",
                "--output=json",
                f"--output-path={out.name}",
                "--form-factor=mobile",
                "--only-categories=performance,accessibility,best-practices",
                "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
            ]
            if headers:
                command.append(f"--extra-headers={json.dumps({'Cookie': headers})}")
            subprocess.run(
                command,
                check=True,
                env={**os.environ, "CHROME_PATH": chromium_path()},
                capture_output=True,
            )
            report = json.load(open(out.name))
        categories = report["categories"]
        failing = [
            a["id"]
            for a in report["audits"].values()
            if a.get("score") is not None
            and a["score"] < 1
            and a.get("scoreDisplayMode") == "binary"
        ]
        scores[name] = (
            {k: round(v["score"] * 100) for k, v in categories.items()},
            report["audits"]["first-contentful-paint"]["displayValue"],
            report["audits"]["largest-contentful-paint"]["displayValue"],
            report["audits"]["total-blocking-time"]["displayValue"],
            failing,
        )
    return scores


def main() -> int:
    with (
        tempfile.TemporaryDirectory() as folder,
        demo_server(Path(folder), Gunicorn(threads=4)) as url,
    ):
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path(), args=LAUNCH_ARGS)
            assign_call(browser, url)
            fetched, cookies = measure_first_load(browser, url)
            browser.close()
        page_rows = [r for r in fetched if not r[3]]
        print(f"{'resource':55} {'bytes':>8} {'gzip':>7}")
        for path, raw, packed, _ in page_rows:
            print(f"{path[:55]:55} {raw:8} {packed:7}")
        total = sum(r[2] for r in page_rows)
        print(
            f"/field/ first load: {len(page_rows)} responses, {sum(r[1] for r in page_rows)} bytes, "
            f"{total} gzipped = {total / 1024:.1f} KB (budget {BUDGET_KB} KB): "
            f"{'OK' if total <= BUDGET_KB * 1024 else 'OVER'}"
        )
        if os.environ.get("LIGHTHOUSE"):
            for name, (cats, fcp, lcp, tbt, failing) in lighthouse(
                url, cookies, os.environ["LIGHTHOUSE"]
            ).items():
                print(f"lighthouse {name}: {cats} FCP {fcp} LCP {lcp} TBT {tbt} failing: {failing}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
