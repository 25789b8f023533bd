"""How long the Care Navigation hand-off takes on an emulated phone, and how many taps.

Run by hand (not in the test suite):  .venv/bin/python -m bench.referral_handoff [runs]

Starts the app under gunicorn on a throwaway SQLite database with the demo shift, signs in as
a responder on a Pixel 7 (Chromium, headless) and, from the card after a clear, refers a
person: Refer to Care Navigation -> Yes -> name -> phone -> one need -> Send referral, with
the default urgency (within 48 hours). It counts the taps and typed characters, and times the
automated run (browser and server, no human), against a baseline measured in the same run:
reloading the responder's screen. A person's time is the taps and typing plus the talk.
"""

import statistics
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from .browser import LAUNCH_ARGS, chromium_path
from .servers import DEMO_PASSWORD, Gunicorn, demo_server


def main(runs: int) -> None:
    with (
        tempfile.TemporaryDirectory() as folder,
        demo_server(Path(folder), Gunicorn(threads=4)) as url,
    ):
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path(), args=LAUNCH_ARGS)
            phone = browser.new_context(**p.devices["Pixel 7"]).new_page()
            phone.goto(f"{url}/login")
            phone.get_by_label("Username").fill("cr1-1")
            phone.get_by_label("Password").fill(DEMO_PASSWORD)
            phone.get_by_role("button", name="Sign in").click()
            expect(phone.get_by_role("heading", name="Care Navigation")).to_be_visible()
            baseline, handoff = [], []
            taps = typed = 0
            for _ in range(runs):
                start = time.perf_counter()
                phone.reload()
                expect(phone.get_by_role("heading", name="Care Navigation")).to_be_visible()
                baseline.append(time.perf_counter() - start)

                taps = typed = 0
                start = time.perf_counter()
                phone.get_by_role("button", name="Refer to Care Navigation").first.tap()
                taps += 1
                phone.get_by_label("Yes, they agree to be contacted").tap()
                taps += 1
                for label, text in (("Name or alias", "Kim P."), ("Phone", "9195550199")):
                    phone.get_by_label(label).tap()
                    phone.get_by_label(label).press_sequentially(text)
                    taps, typed = taps + 1, typed + len(text)
                phone.get_by_label("Housing").tap()
                taps += 1
                phone.get_by_role("button", name="Send referral").tap()
                taps += 1
                expect(phone.get_by_text("sent to Care Navigation")).to_be_visible()
                handoff.append(time.perf_counter() - start)
            browser.close()
    b, h = statistics.median(baseline), statistics.median(handoff)
    print(f"runs: {runs}")
    print(f"hand-off: {taps} taps, {typed} characters typed (urgency left at its default)")
    print(f"baseline, reload the responder's screen: median {b * 1000:.0f} ms")
    print(
        f"hand-off, automated (no human pauses): median {h * 1000:.0f} ms = {h / b:.1f} x baseline"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
