"""The live feed over HTTP: events reach a connected client, Last-Event-ID resumes, a
responder hears only their team, instances sharing a database share the feed, and event ids
become visible in order (a cursor never skips an event still being written)."""

import json
import os
import threading
import uuid

import pytest
from sqlalchemy import select

from heart_field import create_app
from heart_field.config import TestConfig
from heart_field.domain import feed, signals, status
from heart_field.domain.status import Action, Tap
from heart_field.extensions import db
from heart_field.models import Role, StatusEvent, Team, utcnow
from tests.conftest import Session, make_incident, make_team, make_user, reload


def parse(text):
    """SSE text -> [(id, event, data)] for each message; comments are dropped."""
    messages = []
    for block in text.split("\n\n"):
        fields = {}
        for line in block.splitlines():
            if line.startswith(":") or ":" not in line:
                continue
            name, _, value = line.partition(":")
            fields[name] = value.strip()
        if "data" in fields and "id" in fields:  # a feed entry ("calls" has no place in it)
            messages.append((int(fields["id"]), fields["event"], json.loads(fields["data"])))
    return messages


def tap(team, action, **extra):
    return status.apply(
        db.session, reload(team), Tap(action, str(uuid.uuid4()), **extra), None
    ).event


@pytest.fixture
def board(sign_in, dispatcher):
    return sign_in(dispatcher)


def test_a_status_change_reaches_a_connected_client(board, team, incident):
    response = board.get(f"/live/events?after={feed.latest_cursor(db.session)}", buffered=False)
    assert response.status_code == 200
    assert response.mimetype == "text/event-stream"
    chunks = response.response
    first = next(iter(chunks))  # connected: the stream is open and has read nothing yet
    assert "retry:" in (first.decode() if isinstance(first, bytes) else first)
    event = tap(team, Action.ASSIGN, incident_id=incident.id)
    rest = "".join(c.decode() if isinstance(c, bytes) else c for c in chunks)
    assert parse(rest) == [
        (
            event.id,
            "feed",
            {
                "team": "CR-1",
                "action": "assign",
                "status": "assigned",
                "incident": incident.id,
                "version": event.team_version,
            },
        )
    ]
    response.close()


def test_only_a_status_change_carries_the_version_it_made(board, team, incident):
    """A phone skips the refresh for a version it already shows; a backup signal leaves the
    version as it was, so it must not look like one."""
    assigned = tap(team, Action.ASSIGN, incident_id=incident.id)
    backup = signals.record(db.session, reload(team), signals.BACKUP, None, str(uuid.uuid4()))
    messages = {m[0]: m[2] for m in parse(board.get(f"/live/events?after={assigned.id - 1}").text)}
    assert messages[assigned.id]["version"] == reload(team).version
    assert "version" not in messages[backup.id]


def test_resume_with_last_event_id_replays_what_was_missed_in_order(board, team, incident):
    seen = tap(team, Action.ASSIGN, incident_id=incident.id)
    missed = [tap(team, Action.ACCEPT), tap(team, Action.EN_ROUTE), tap(team, Action.ON_SCENE)]
    response = board.get("/live/events?after=0", headers={"Last-Event-ID": str(seen.id)})
    assert [(i, data["action"]) for i, _, data in parse(response.text)] == [
        (e.id, e.action) for e in missed
    ]


def test_after_gives_the_first_cursor(board, team, incident):
    first = tap(team, Action.ASSIGN, incident_id=incident.id)
    second = tap(team, Action.ACCEPT)
    assert [m[0] for m in parse(board.get(f"/live/events?after={first.id}").text)] == [second.id]
    assert [m[0] for m in parse(board.get("/live/events?after=0").text)] == [first.id, second.id]


def _read_until(chunks, wanted: str, most: int = 40) -> str:
    """The stream's text up to the chunk that holds `wanted` (heartbeats keep it coming)."""
    text = ""
    for _ in range(most):
        chunk = next(chunks, None)
        if chunk is None:
            break
        text += chunk.decode() if isinstance(chunk, bytes) else chunk
        if wanted in text:
            break
    return text


def test_a_call_entered_elsewhere_reaches_every_board_at_once(app, board, sign_in, team):
    """No team touched it, so the feed has no entry: the board's stream says the waiting calls
    changed (event: calls, with no id), and a team's stream says nothing."""
    app.config.update(HEART_LIVE_HEARTBEAT_SECONDS=0.1, HEART_LIVE_STREAM_SECONDS=3)
    crew = sign_in(make_user("crew", "responder", team))
    boards = board.get("/live/events", buffered=False)
    teams = crew.get("/live/events", buffered=False)
    board_chunks, team_chunks = iter(boards.response), iter(teams.response)
    assert ": heartbeat" in _read_until(board_chunks, ": heartbeat")  # the bell has its mark
    assert ": heartbeat" in _read_until(team_chunks, ": heartbeat")
    make_incident("D-CAD-1")  # as the CAD's API enters it
    heard = _read_until(board_chunks, "event: calls")
    assert "event: calls\ndata: {}\n\n" in heard
    assert "id:" not in heard.split("event: calls")[0].rsplit("\n\n", 1)[-1]
    assert "event: calls" not in _read_until(team_chunks, "event: calls", most=15)
    boards.close()
    teams.close()


@pytest.mark.parametrize("cursor", ["abc", "-1", "1.5"])
def test_a_bad_cursor_is_400(board, team, cursor):
    assert board.get("/live/events", headers={"Last-Event-ID": cursor}).status_code == 400
    assert board.get(f"/live/events?after={cursor}").status_code == 400


def test_a_responder_hears_only_their_own_team(sign_in, team, other_team, incident):
    crew = sign_in(make_user("crew", "responder", team))
    theirs = tap(other_team, Action.OUT_OF_SERVICE)
    ours = tap(team, Action.ASSIGN, incident_id=incident.id)
    messages = parse(crew.get("/live/events?after=0").text)
    assert [m[0] for m in messages] == [ours.id]
    assert theirs.id not in [m[0] for m in messages]


def test_the_stream_carries_no_personal_details(board, team):
    incident = make_incident(
        "D9", narrative="Sensitive narrative text", callback_phone="919-555-0100"
    )
    tap(team, Action.ASSIGN, incident_id=incident.id)
    text = board.get("/live/events?after=0").text
    assert "Sensitive" not in text and "919-555" not in text and "Ninth" not in text


def test_an_idle_stream_sends_heartbeats(app, board):
    app.config.update(HEART_LIVE_HEARTBEAT_SECONDS=0.1, HEART_LIVE_STREAM_SECONDS=0.5)
    text = board.get("/live/events").text
    assert ": heartbeat" in text and parse(text) == []


@pytest.fixture
def two_instances(tmp_path):
    """Two app instances on one database file (or TEST_DATABASE_URL), as two workers or two
    servers would be. (The `app` fixture's SQLite is one shared in-memory connection.)"""
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'shared.db'}"
    config = type("SharedDatabase", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url})
    one, two = create_app(config), create_app(config)
    with one.app_context():
        db.drop_all()
        db.create_all()
        make_user("dispatcher", Role.DISPATCHER)
        make_team()
        make_team("CR-2", lat=36.009, lon=-78.922)
        make_incident()
    yield one, two
    for instance in (two, one):
        with instance.app_context():
            if instance is one:
                db.drop_all()
            db.engine.dispose()


def text_of(chunks):
    return "".join(c.decode() if isinstance(c, bytes) else c for c in chunks)


def test_an_event_written_through_one_instance_reaches_a_client_of_another(two_instances):
    one, two = two_instances
    writer = Session(one.test_client(), "dispatcher")
    watcher = Session(two.test_client(), "dispatcher")
    response = watcher.get("/live/events?after=0", buffered=False)
    chunks = iter(response.response)
    next(chunks)  # connected
    assigned = writer.post("/dispatch/incidents/1/assign", {"team": "CR-1"}, htmx=True)
    assert assigned.status_code == 200
    messages = parse(text_of(chunks))
    response.close()
    assert [(m[2]["team"], m[2]["action"]) for m in messages] == [("CR-1", "assign")]


def test_feed_ids_become_visible_in_order(two_instances):
    """While one writer holds an event uncommitted, a second writer waits, so no reader can
    see a later id and move its cursor past the earlier one."""
    one, _ = two_instances
    with one.app_context():
        first = db.session  # the slow writer
        team = first.scalar(select(Team).where(Team.call_sign == "CR-1"))
        feed.lock(first.connection())  # the feed's turn, as feed.writing() takes it
        slow = StatusEvent(
            team_id=team.id,
            action="backup",
            from_status="available",
            to_status="available",
            team_version=1,
            occurred_at=utcnow(),
            received_at=utcnow(),
            client_uuid=str(uuid.uuid4()),
        )
        first.add(slow)
        first.flush()  # its id is drawn; not committed
        slow_id = slow.id
        done, failures, reader = threading.Event(), [], []

        def second_writer():
            with one.app_context():
                try:
                    other = db.session.scalar(select(Team).where(Team.call_sign == "CR-2"))
                    status.apply(
                        db.session, other, Tap(Action.OUT_OF_SERVICE, str(uuid.uuid4())), None
                    )
                except Exception as error:  # noqa: BLE001 - reported below
                    failures.append(error)
                finally:
                    done.set()

        def read():
            with one.app_context():
                reader.extend(e.id for e in feed.events_after(db.session, 0))

        writer = threading.Thread(target=second_writer)
        writer.start()
        try:
            assert not done.wait(0.5), "the second writer did not wait for the first"
            thread = threading.Thread(target=read)
            thread.start()
            thread.join(10)
            assert reader == []  # nothing committed yet: a reader's cursor stays where it is
        finally:
            first.commit()
            writer.join(10)
        assert not failures, failures
        ids = list(first.scalars(select(StatusEvent.id).order_by(StatusEvent.id)))
        assert ids[0] == slow_id and len(ids) == 2 and ids[1] > slow_id
