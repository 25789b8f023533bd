"""An update from the CAD to the phone: the time from "note sent" (just before the API request
leaves) to "shown on the phone" (the note's element appears in the responder's page, seen by
a MutationObserver), in Debian's Chromium, on a demo server under gunicorn.

Baseline from the same run: an assignment from the CAD to the phone (POST /assign until the
card shows the new assignment), the path every call already takes.

    .venv/bin/python -m bench.note_latency [--notes 20]

Both clocks are this machine's (Python's time.time and the page's Date.now).
"""

import argparse
import json
import statistics
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

from heart_field import create_app, tokens
from heart_field.extensions import db

from .browser import LAUNCH_ARGS, chromium_path
from .servers import DEMO_PASSWORD, Gunicorn, demo_server

WATCH = """
() => {
  window.noteShownAt = {};
  window.assignmentShownAt = {};
  const seen = () => {
    const now = Date.now();
    document.querySelectorAll("[data-note]").forEach((n) => {
      if (!(n.dataset.note in window.noteShownAt)) window.noteShownAt[n.dataset.note] = now;
    });
    const card = document.getElementById("field-card");
    const a = card && card.getAttribute("data-assignment");
    if (a && !(a in window.assignmentShownAt)) window.assignmentShownAt[a] = now;
  };
  new MutationObserver(seen).observe(document.body, { subtree: true, childList: true, attributes: true });
  seen();
}
"""


def percentile(values, p):
    ordered = sorted(values)
    h = (len(ordered) - 1) * p
    low = int(h)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (h - low) * (ordered[high] - ordered[low])


class Cad:
    def __init__(self, base, secret):
        self.base, self.secret = base, secret

    def post(self, path, body):
        request = urllib.request.Request(
            self.base + "/api/v1" + path,
            data=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {self.secret}", "Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())


def call(cad):
    return {
        "cad_number": cad,
        "call_type": "welfare_check",
        "priority": 2,
        "lat": 36.009004,
        "lon": -78.922177,
        "safety": {"weapons": False, "violence": False, "medical_emergency": False},
    }


def run(notes: int) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        settings = {"HEART_SERVICE_HOURS": "00:00-24:00", "HEART_RATELIMIT_STORAGE": "memory://"}
        with demo_server(Path(folder), Gunicorn(threads=16), **settings) as base:
            app = create_app(
                {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/demo.db", "SECRET_KEY": "x"}
            )
            with app.app_context():
                _token, secret = tokens.issue(db.session, "bench")
                db.session.remove()
                db.engine.dispose()
            cad = Cad(base, secret)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=chromium_path(), args=LAUNCH_ARGS)
                context = browser.new_context(**p.devices["Pixel 7"])
                page = context.new_page()
                page.goto(base + "/login")
                page.get_by_label("Username").fill("cr1-1")
                page.get_by_label("Password").fill(DEMO_PASSWORD)
                page.get_by_role("button", name="Sign in").click()
                page.wait_for_selector("body[data-live='open']")
                page.evaluate(WATCH)

                assign_ms = []
                for n in range(notes):
                    incident = cad.post("/incidents", call(f"BENCH-A{n}"))
                    sent = time.time() * 1000
                    cad.post(f"/incidents/{incident['id']}/assign", {"team": "CR-1"})
                    page.wait_for_function(
                        "(n) => Object.keys(window.assignmentShownAt).length > n", arg=n
                    )
                    shown = page.evaluate("Math.max(...Object.values(window.assignmentShownAt))")
                    assign_ms.append(shown - sent)
                    if n < notes - 1:
                        cad.post(f"/incidents/{incident['id']}/cancel", {"reason": "bench"})
                        page.wait_for_selector("[data-steer-event]")
                    time.sleep(0.3)

                note_ms = []
                for n in range(notes):
                    sent = time.time() * 1000
                    note = cad.post(
                        f"/incidents/{incident['id']}/notes",
                        {"text": f"Update {n}", "urgent": n % 2 == 0},
                    )
                    page.wait_for_function("(id) => id in window.noteShownAt", arg=str(note["id"]))
                    note_ms.append(page.evaluate(f"window.noteShownAt['{note['id']}']") - sent)
                    time.sleep(0.3)
                browser.close()
    return {
        "notes": len(note_ms),
        "note_median_ms": round(statistics.median(note_ms)),
        "note_p95_ms": round(percentile(note_ms, 0.95)),
        "assign_median_ms": round(statistics.median(assign_ms)),
        "assign_p95_ms": round(percentile(assign_ms, 0.95)),
        "ratio_median": round(statistics.median(note_ms) / statistics.median(assign_ms), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=20)
    print(json.dumps(run(parser.parse_args().notes), indent=2))


if __name__ == "__main__":
    main()
