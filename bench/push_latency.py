"""Call alerts: the time from an assignment to its push request reaching the push service
(a local one, bench/push_service.py, so the figure is the server's own part: the request
leaving the server), and what push costs the assignment itself.

    python -m bench.push_latency [--rounds 30] [--devices 3] [--database-url URL]

Two paths are measured: the assignment made in this process (its commit wakes the sender at
once) and one made by another process (the sender finds it at its next poll of the feed,
HEART_PUSH_POLL_SECONDS). The baseline is the assignment's own duration in the same run with
no device subscribed. Figures are median and p95 in milliseconds.
"""

import argparse
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from heart_field import create_app
from heart_field.config import TestConfig
from heart_field.domain import alerts, feed, status
from heart_field.domain.status import Action, Tap
from heart_field.extensions import db
from heart_field.models import Incident, Role, Team, User, utcnow

from .push_service import Browser, PushService


def p95(values):
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def summary(values):
    return f"median {statistics.median(values) * 1000:.1f} ms, p95 {p95(values) * 1000:.1f} ms"


def run(rounds: int, devices: int, database_url: str | None) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="push-latency-"))
    url = database_url or f"sqlite:///{folder / 'bench.db'}"
    app = create_app(
        type("Config", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url, "TESTING": False})
    )
    results = {}
    with app.app_context():
        db.drop_all()
        db.create_all()
        team = Team(
            call_sign="CR-1",
            unit_type="community_response",
            status="available",  # on duty
            last_lat=35.99,
            last_lon=-78.9,
        )
        db.session.add(team)
        db.session.commit()
        service = PushService(app.config["HEART_VAPID_PUBLIC_KEY"])
        sender = app.extensions["heart_push"]
        try:
            results["baseline"] = [assign_and_release(team, None, None)[0] for _ in range(rounds)]
            browsers = []
            for n in range(devices):
                user = User(username=f"r{n}", display_name=f"R{n}", role=Role.RESPONDER, team=team)
                user.password_hash = "x"
                db.session.add(user)
                db.session.commit()
                browser = Browser()
                alerts.subscribe(
                    db.session,
                    user,
                    f"bench-{n}",
                    service.endpoint(f"device-{n}"),
                    browser.p256dh,
                    browser.auth,
                    utcnow() + app.config["HEART_SESSION_MAX_AGE"],
                )
                browsers.append(browser)
            sender.run_once()  # the feed cursor, as a server's first pass sets it
            sender.ensure_running()
            results["assign_with_push"] = []
            results["same_process"] = []
            for _ in range(rounds):
                took, arrived = assign_and_release(team, service, browsers[0])
                results["assign_with_push"].append(took)
                results["same_process"].append(arrived)
            # Another process's assignment: nothing pokes this sender; it reads the feed at its poll.
            feed.written.disconnect(sender.on_feed_written)
            try:
                results["other_process"] = [
                    assign_and_release(team, service, browsers[0])[1] for _ in range(rounds)
                ]
            finally:
                feed.written.connect(sender.on_feed_written)
        finally:
            sender.stop()
            service.close()
            db.session.remove()
            db.drop_all()
            db.engine.dispose()
    return results


def assign_and_release(team, service, browser):
    """Assign a new call and, once its alert has arrived, take the team off it again.
    Answers (the assignment's own duration, assignment to alert arriving)."""
    incident = Incident(
        cad_number=f"B{uuid.uuid4().hex[:10]}",
        call_type="welfare_check",
        priority=2,
        lat=36.01,
        lon=-78.92,
        within_city_limits=True,
    )
    db.session.add(incident)
    db.session.commit()
    seen = len(service.received) if service else 0
    started = time.perf_counter()
    status.apply(
        db.session,
        db.session.get(Team, team.id),
        Tap(Action.ASSIGN, str(uuid.uuid4()), incident_id=incident.id),
        None,
    )
    took = time.perf_counter() - started
    arrived = None
    if service is not None:
        while arrived is None:
            fresh = service.wait_for(seen + 1, timeout=15)[seen:]
            if not fresh:
                raise RuntimeError("no alert arrived within 15 s")
            for request in fresh:
                seen += 1
                alert = browser.decrypt(request.body) if request.path.endswith("device-0") else {}
                if alert.get("kind") == "assign" and alert.get("incident") == incident.id:
                    arrived = request.at - started
    status.apply(
        db.session,
        db.session.get(Team, team.id),
        Tap(Action.CANCEL, str(uuid.uuid4())),
        None,
    )
    return took, arrived


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--devices", type=int, default=3)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    results = run(args.rounds, args.devices, args.database_url)
    print(f"rounds {args.rounds}, devices on the team {args.devices}")
    print("assignment alone, no device subscribed (baseline):", summary(results["baseline"]))
    print("assignment with the team's devices subscribed:   ", summary(results["assign_with_push"]))
    print("assignment -> push request, same process:        ", summary(results["same_process"]))
    print("assignment -> push request, another process:     ", summary(results["other_process"]))


if __name__ == "__main__":
    main()
