"""Dispatchers steering the same call at once, against a real gunicorn server with several
workers: one wins, every other is answered 409 with the board as the winner left it, and
nothing is half-written."""

import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from heart_field.domain import status
from heart_field.domain.status import Action, Tap
from heart_field.extensions import db
from heart_field.models import Assignment, CallResolution, Incident, Role, StatusEvent, Team
from tests.concurrency.conftest import Client
from tests.conftest import PASSWORD, make_incident, make_team, make_user

DISPATCHERS = 12


def test_dispatchers_cancelling_and_reassigning_one_call_at_once(server):
    """Half cancel the call, half give it to a team of their own: exactly one succeeds."""
    with server.app_context():
        holder = make_team("ST-0")
        spares = [make_team(f"ST-{n}").call_sign for n in range(1, DISPATCHERS + 1)]
        for n in range(DISPATCHERS):
            make_user(f"desk{n}", Role.DISPATCHER)
        call = make_incident("ST-CALL")
        status.apply(
            db.session, holder, Tap(Action.ASSIGN, str(uuid.uuid4()), incident_id=call.id), None
        )
        call_id = call.id
        events_before = db.session.scalar(select(func.count()).select_from(StatusEvent))
    clients = [Client(server.url, f"desk{n}", PASSWORD) for n in range(DISPATCHERS)]
    start = threading.Barrier(DISPATCHERS)

    def act(n):
        start.wait()
        if n % 2:
            return clients[n].post(
                f"/dispatch/incidents/{call_id}/end", {"code": "duplicate", "team": "ST-0"}
            )
        return clients[n].post(
            f"/dispatch/incidents/{call_id}/reassign",
            {"team": spares[n], "from_team": "ST-0"},
        )

    with ThreadPoolExecutor(DISPATCHERS) as pool:
        answers = list(pool.map(act, range(DISPATCHERS)))

    codes = Counter(code for code, _ in answers)
    assert codes == {200: 1, 409: DISPATCHERS - 1}, codes
    assert all("Not done." in body for code, body in answers if code == 409)
    with server.app_context():
        call = db.session.get(Incident, call_id)
        events = db.session.scalar(select(func.count()).select_from(StatusEvent))
        open_assignments = db.session.scalars(
            select(Assignment).where(
                Assignment.incident_id == call_id, Assignment.ended_at.is_(None)
            )
        ).all()
        busy = db.session.scalars(select(Team).where(Team.status != "available")).all()
        resolutions = db.session.scalar(select(func.count()).select_from(CallResolution))
        if call.status == "cancelled":  # a cancel won: one entry (ST-0 released)
            assert (events, resolutions, open_assignments, busy) == (events_before + 1, 1, [], [])
        else:  # a reassign won: two entries (ST-0 released, the new team assigned)
            assert call.status == "assigned" and resolutions == 0
            assert events == events_before + 2
            assert len(open_assignments) == 1 and [t.id for t in busy] == [
                open_assignments[0].team_id
            ]
    log = server.log_text()
    assert "database is locked" not in log and "Traceback" not in log
