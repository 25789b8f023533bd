"""The phone on a bad network (issue 25), measured in Chromium with DevTools throttling.

    .venv/bin/python -m bench.bad_network              # 5 runs per profile (the issue's medians)
    .venv/bin/python -m bench.bad_network --runs 1     # a quick look

Serves the app under gunicorn on a throwaway SQLite database with the demo shift, and drives an
emulated Pixel 7 with network and CPU throttled through the DevTools protocol, on the issue's
four profiles. Per profile and run, in a fresh browser profile (empty HTTP cache):
- first visit: bytes on the wire (CDP encodedDataLength of every response the page fetched,
  compressed as sent) and the time from navigating to /field/ until a status button is shown
  and the page's scripts are running (signed in beforehand, unthrottled); the server's access
  log shows whether the service worker fetched anything of its own;
- three taps (Accept, En route, On scene): time from the click to the next button and the
  "saved" notice, and the bytes that came down for each (for 1.5 s after it, so a second card
  fetch would be counted);
- assignment -> shown: from the server's commit to the call's Accept button on the phone.
Once, unthrottled: idle bytes per minute with the stream up (60 s); a tap against a stalled
server (held by CDP Fetch; no service worker) -> "Waiting to send" shown; the network cut ->
"Offline" shown on the connection line. Prints a Markdown table for bench/RESULTS.md.
"""

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from playwright.sync_api import sync_playwright

from .browser import LAUNCH_ARGS, chromium_path
from .servers import DEMO_PASSWORD, Gunicorn, demo_server

PROFILES = {  # name: (round trip ms, kbit/s, CPU slow-down)
    "none": (0, 0, 1),
    "slow 4G": (150, 1600, 4),
    "bad 3G": (400, 400, 4),
    "edge": (800, 100, 6),
}
TAPS = ("Accept", "En route", "On scene")


class Phone:
    """One throttled page, counting the bytes it receives."""

    def __init__(self, browser, playwright, base, profile, **context_args):
        self.context = browser.new_context(**playwright.devices["Pixel 7"], **context_args)
        self.page = self.context.new_page()
        self.base = base
        self.cdp = self.context.new_cdp_session(self.page)
        self.cdp.send("Network.enable")
        self._streamed = {}  # request id -> bytes seen so far (streams never finish)
        self._finished = {}  # request id -> bytes on the wire, once finished
        self.cdp.on("Network.dataReceived", self._data)
        self.cdp.on("Network.loadingFinished", self._finish)
        self.requests = []
        self.cdp.on(
            "Network.requestWillBeSent", lambda e: self.requests.append(e["request"]["url"])
        )
        self.profile = profile

    def _data(self, event):
        rid = event["requestId"]
        self._streamed[rid] = self._streamed.get(rid, 0) + event.get("encodedDataLength", 0)

    def _finish(self, event):
        self._finished[event["requestId"]] = event.get("encodedDataLength", 0)

    @property
    def received(self):
        ids = set(self._streamed) | set(self._finished)
        return sum(self._finished.get(i, self._streamed.get(i, 0)) for i in ids)

    @received.setter
    def received(self, value):
        assert value == 0
        self._streamed.clear()
        self._finished.clear()

    def throttle(self, offline=False):
        rtt, kbps, cpu = PROFILES[self.profile]
        rate = kbps * 1000 / 8 if kbps else -1
        self.cdp.send(
            "Network.emulateNetworkConditions",
            {
                "offline": offline,
                "latency": rtt,
                "downloadThroughput": rate,
                "uploadThroughput": rate,
            },
        )
        self.cdp.send("Emulation.setCPUThrottlingRate", {"rate": cpu})

    def sign_in_quietly(self, username):
        """Sign in without loading any page: the session cookie only, the HTTP cache empty."""
        import re

        login = self.context.request.get(f"{self.base}/login").text()
        token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', login).group(1)
        answer = self.context.request.post(
            f"{self.base}/login",
            form={"username": username, "password": DEMO_PASSWORD, "csrf_token": token},
            max_redirects=0,
        )
        assert answer.status == 303, answer.status

    def sign_in(self, username):
        self.page.goto(f"{self.base}/login")
        self.page.get_by_label("Username").fill(username)
        self.page.get_by_label("Password").fill(DEMO_PASSWORD)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_url(f"{self.base}/field/")

    def wait(self, script, timeout=60.0, arg=None):
        """Poll a script (the app's CSP forbids wait_for_function's eval)."""
        deadline = time.monotonic() + timeout
        while not self.page.evaluate(script, arg):
            if time.monotonic() > deadline:
                raise TimeoutError(script)
            time.sleep(0.01)

    def close(self):
        self.context.close()


BUTTON_SHOWN = """name => [...document.querySelectorAll('#field-card nav.step:not([hidden]) button')]
    .some(b => b.textContent.trim() === name && b.offsetParent !== null)"""
SAVED = """name => (document.querySelector('#field-card .notices') || {}).textContent
    ?.includes(name + ': saved')"""


def new_call(app, call_sign):
    """A new call, assigned to the team as the dispatcher would; returns when it committed."""
    from heart_field.access import team_by_call_sign
    from heart_field.domain import status
    from heart_field.domain.status import Action, Tap
    from heart_field.extensions import db
    from heart_field.models import Incident

    with app.app_context():
        team = team_by_call_sign(call_sign)
        if team.status != "available":
            status.apply(db.session, team, Tap(Action.CANCEL, str(uuid.uuid4())), None)
            team = team_by_call_sign(call_sign)
        incident = Incident(
            cad_number=f"B{uuid.uuid4().hex[:9]}",
            call_type="welfare_check",
            priority=2,
            address="101 City Hall Plaza, Durham, NC 27701",
            lat=35.9961,
            lon=-78.9017,
            within_city_limits=True,
        )
        db.session.add(incident)
        db.session.commit()
        status.apply(
            db.session, team, Tap(Action.ASSIGN, str(uuid.uuid4()), incident_id=incident.id), None
        )
        db.session.remove()
    return time.monotonic()


def one_run(browser, playwright, base, app, profile, username, call_sign):
    phone = Phone(browser, playwright, base, profile)
    try:
        phone.sign_in_quietly(username)  # the first visit is the screen itself
        new_call(app, call_sign)
        phone.throttle()
        phone.received = 0
        started = time.monotonic()
        phone.page.goto(f"{base}/field/", wait_until="commit")
        phone.wait("window.HeartOutbox && window.HeartRefresh && window.heartLive")
        phone.wait(BUTTON_SHOWN, arg="Accept")
        usable = time.monotonic() - started
        phone.wait("document.body.dataset.live === 'open'")
        time.sleep(2.0)  # the service worker's own work, after the page is usable
        first_bytes = phone.received

        taps = []
        for n, name in enumerate(TAPS):
            following = TAPS[n + 1] if n + 1 < len(TAPS) else "Clear"
            time.sleep(1.0)
            phone.received = 0
            clicked = time.monotonic()
            phone.page.get_by_role("button", name=name, exact=True).click()
            phone.wait(BUTTON_SHOWN, arg=following)
            phone.wait(SAVED, arg=name)
            confirmed = time.monotonic() - clicked
            time.sleep(1.5)  # its own feed event comes; a second card fetch would be counted
            taps.append((confirmed, phone.received))

        # The next call, from the dispatcher, to the phone.
        phone.page.get_by_role("button", name="Clear", exact=True).click()
        phone.page.get_by_label("Disposition").select_option(index=1)
        phone.page.get_by_role("button", name="Save outcome").click()
        time.sleep(2)
        committed = new_call(app, call_sign)
        phone.wait(BUTTON_SHOWN, arg="Accept")
        assigned = time.monotonic() - committed
        return {"usable": usable, "first_bytes": first_bytes, "taps": taps, "assigned": assigned}
    finally:
        phone.close()


def idle_bytes_per_minute(browser, playwright, base, username):
    phone = Phone(browser, playwright, base, "none")
    try:
        phone.sign_in(username)
        phone.wait("document.body.dataset.live === 'open'")
        time.sleep(3)
        phone.received = 0
        phone.requests.clear()
        time.sleep(60)
        return phone.received, len(phone.requests)
    finally:
        phone.close()


def stalled_tap(browser, playwright, base, app, username, call_sign):
    new_call(app, call_sign)
    phone = Phone(browser, playwright, base, "none", service_workers="block")
    try:
        phone.sign_in(username)
        phone.wait("document.body.dataset.live === 'open'")
        deadline = float(phone.page.locator("#outbox").get_attribute("data-deadline"))
        paused = []
        phone.cdp.on("Fetch.requestPaused", lambda event: paused.append(event))
        phone.cdp.send(
            "Fetch.enable",
            {"patterns": [{"urlPattern": "*/field/status*", "requestStage": "Request"}]},
        )
        clicked = time.monotonic()
        phone.page.get_by_role("button", name="Accept", exact=True).click()
        phone.wait(
            "!!document.querySelector('#outbox .outbox-queued') && "
            "document.querySelector('#outbox').textContent.includes('Waiting to send')"
        )
        shown = time.monotonic() - clicked
        for event in paused:
            phone.cdp.send("Fetch.continueRequest", {"requestId": event["requestId"]})
        phone.cdp.send("Fetch.disable")
        return shown, deadline
    finally:
        phone.close()


def dead_zone(browser, playwright, base, username):
    phone = Phone(browser, playwright, base, "none")
    try:
        phone.sign_in(username)
        phone.wait("document.body.dataset.live === 'open'")
        time.sleep(1)
        cut = time.monotonic()
        phone.throttle(offline=True)
        phone.wait("document.getElementById('connection').textContent.startsWith('Offline')")
        return time.monotonic() - cut
    finally:
        phone.close()


def median(values):
    return statistics.median(values) if values else float("nan")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    if not chromium_path():
        print("Chromium is not installed (apt-get install chromium).")
        return 1
    from heart_field import create_app

    folder = Path(tempfile.mkdtemp(prefix="heart-bad-network-"))
    settings = {"HEART_SERVICE_HOURS": "00:00-24:00", "SECRET_KEY": "bench"}
    with (
        demo_server(folder, Gunicorn(threads=16, access_log=True), **settings) as base,
        sync_playwright() as playwright,
    ):
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'demo.db'}",
                "SECRET_KEY": "bench",
                "TESTING": True,
            }
        )
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=LAUNCH_ARGS)
        results = {}
        for profile in PROFILES:
            results[profile] = []
            for run in range(args.runs):
                results[profile].append(
                    one_run(browser, playwright, base, app, profile, "cr1-1", "CR-1")
                )
                print(f"{profile} run {run + 1}: {results[profile][-1]}", file=sys.stderr)
        idle, idle_requests = idle_bytes_per_minute(browser, playwright, base, "cr2-1")
        stall, deadline = stalled_tap(browser, playwright, base, app, "cr2-1", "CR-2")
        offline = dead_zone(browser, playwright, base, "cr2-1")
        browser.close()
        log = (folder / "server.log").read_text() if (folder / "server.log").exists() else ""

    def row(name, fn):
        return f"| {name} | " + " | ".join(fn(results[p]) for p in PROFILES) + " |"

    print(f"\nMedians of {args.runs} run(s) per profile.\n")
    print("| measure | " + " | ".join(PROFILES) + " |")
    print("| --- |" + " --- |" * len(PROFILES))
    print(
        row(
            "first visit bytes on the wire",
            lambda r: f"{median([x['first_bytes'] for x in r]) / 1024:.1f} KB",
        )
    )
    print(
        row(
            "first visit → status button usable",
            lambda r: f"{median([x['usable'] for x in r]):.2f} s",
        )
    )
    print(
        row(
            'a tap → next button and "saved"',
            lambda r: (
                f"{median([t[0] for x in r for t in x['taps']]):.2f} s "
                f"(max {max(t[0] for x in r for t in x['taps']):.2f})"
            ),
        )
    )
    print(
        row(
            "bytes down per tap",
            lambda r: f"{median([t[1] for x in r for t in x['taps']]) / 1024:.1f} KB",
        )
    )
    print(
        row(
            "assignment → shown on the phone",
            lambda r: f"{median([x['assigned'] for x in r]):.2f} s",
        )
    )
    print(
        f"\nidle bytes per minute with the stream up: {idle / 1024:.2f} KB "
        f"({idle_requests} requests in that minute)"
    )
    print(f"stalled server: tap shown as waiting after {stall:.2f} s (deadline {deadline:.0f} s)")
    print(f"dead zone: 'Offline' shown after {offline:.2f} s")
    worker_static = log.count("GET /static/")
    print(f"static requests in the server log (all runs, page and worker): {worker_static}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
