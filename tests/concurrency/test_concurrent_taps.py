"""Many people tapping at once, against a real gunicorn server with several workers:
a status is never lost or applied twice, and the event feed's cursor misses nothing."""

import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import create_engine, func, select, text

from heart_field.domain import status
from heart_field.domain.status import Action, Tap
from heart_field.extensions import db
from heart_field.models import Role, StatusEvent, Team, TeamStatus
from tests.concurrency.conftest import Client
from tests.conftest import PASSWORD, make_incident, make_team, make_user

TAPS = 50


def test_fifty_conflicting_taps_apply_exactly_one(server):
    """50 taps made on the same version of one team: one applies, 49 are answered 409."""
    with server.app_context():
        team = make_team("CR-50")
        make_user("tapper", Role.RESPONDER, team)
        call = make_incident("D50")
        status.apply(
            db.session, team, Tap(Action.ASSIGN, str(uuid.uuid4()), incident_id=call.id), actor=None
        )
        version = team.version
        events_before = db.session.scalar(select(func.count()).select_from(StatusEvent))
    client = Client(server.url, "tapper", PASSWORD)
    actions = [Action.ACCEPT, Action.EN_ROUTE, Action.OUT_OF_SERVICE]
    start = threading.Barrier(TAPS)

    def tap(n):
        form = {
            "action": actions[n % len(actions)].value,
            "version": version,
            "client_uuid": str(uuid.uuid4()),
        }
        start.wait()
        return client.post("/field/status", form)

    with ThreadPoolExecutor(TAPS) as pool:
        answers = list(pool.map(tap, range(TAPS)))

    codes = Counter(code for code, _ in answers)
    assert codes == {200: 1, 409: TAPS - 1}, codes
    assert all("Not applied." in body for code, body in answers if code == 409)
    with server.app_context():
        team = db.session.scalar(select(Team).where(Team.call_sign == "CR-50"))
        events = db.session.scalars(select(StatusEvent).order_by(StatusEvent.id)).all()
        assert team.version == version + 1
        assert len(events) == events_before + 1
        assert events[-1].team_version == team.version
        assert events[-1].to_status == team.status
    log = server.log_text()
    assert "database is locked" not in log
    assert "Traceback" not in log
    assert server.log_count('"POST /field/status HTTP/1.1" 409', TAPS - 1) == TAPS - 1


WRITERS = 6
TAPS_EACH = 10


def test_feed_cursor_misses_nothing_under_concurrent_writers(server):
    """Teams tapping at once while a reader follows status_events by id, as the live feed
    does: every event is seen exactly once, and none is skipped by an advancing cursor."""
    with server.app_context():
        for n in range(WRITERS):
            make_user(f"feed-{n}", Role.RESPONDER, make_team(f"FD-{n}"))
        cursor = db.session.scalar(select(func.coalesce(func.max(StatusEvent.id), 0)))
        first_cursor = cursor
    clients = [Client(server.url, f"feed-{n}", PASSWORD) for n in range(WRITERS)]
    reader = create_engine(server.database_url)
    seen: list[int] = []
    writing = threading.Event()
    writing.set()

    def follow():
        nonlocal cursor
        while True:
            done = not writing.is_set()
            with reader.connect() as connection:
                ids = (
                    connection.execute(
                        text("SELECT id FROM status_events WHERE id > :cursor ORDER BY id"),
                        {"cursor": cursor},
                    )
                    .scalars()
                    .all()
                )
            seen.extend(ids)
            cursor = ids[-1] if ids else cursor
            if done:
                return

    def write(client):
        codes = []
        for n in range(TAPS_EACH):
            action = Action.OUT_OF_SERVICE if n % 2 == 0 else Action.BACK_IN_SERVICE
            codes.append(
                client.post(
                    "/field/status",
                    {"action": action.value, "version": 1 + n, "client_uuid": str(uuid.uuid4())},
                )[0]
            )
        return codes

    follower = threading.Thread(target=follow)
    follower.start()
    with ThreadPoolExecutor(WRITERS) as pool:
        results = list(pool.map(write, clients))
    writing.clear()
    follower.join(30)
    reader.dispose()

    assert all(code == 200 for codes in results for code in codes), results
    with server.app_context():
        stored = db.session.scalars(
            select(StatusEvent.id).where(StatusEvent.id > first_cursor)
        ).all()
        statuses = db.session.scalars(select(Team.status).where(Team.call_sign.like("FD-%")))
        assert set(statuses) == {TeamStatus.AVAILABLE}
    assert len(stored) == WRITERS * TAPS_EACH
    assert len(seen) == len(set(seen)), "an event was delivered twice"
    assert sorted(seen) == sorted(stored), "the cursor skipped an event"
    assert "database is locked" not in server.log_text()
