"""The live feed: the status_events table is the feed and its id the cursor.

The dispatch board and each team's screen follow it over Server-Sent Events
(``GET /live/events``): every event after the cursor is sent with its id, so a browser
that reconnects sends ``Last-Event-ID`` and gets what it missed; ``?after=N`` gives the
first cursor (the page renders it, so nothing between page and stream is lost). A comment
line every few seconds keeps proxies from closing an idle stream, and each stream ends
after ``HEART_LIVE_STREAM_SECONDS`` so a thread is never held by a client that went away;
the browser reconnects by itself, with ``Last-Event-ID``.

Streams do not each poll the database: per app and process one :class:`Bell` thread reads
the newest id every ``HEART_LIVE_POLL_SECONDS`` and wakes the streams, which then read what
is theirs.

Because the feed is a table, several workers and app instances on one database all see
every event, with no broker. One catch makes that correct on PostgreSQL: ids come from a
sequence, so two transactions can commit out of order (id 8 visible while 7 is still in
flight); a reader that moved its cursor to 8 would skip 7 forever. Every insert into the
feed therefore holds a transaction-level advisory lock (:func:`begin_feed_write`) from before the
id is drawn until commit, so ids become visible in order. SQLite has one writer at a time,
which gives the same guarantee.

Backup requests and the dispatcher's acknowledgements are feed entries too (:func:`signal`),
with the team's status unchanged: they are not status changes, and the status machine's
transitions do not know them.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator

from flask import Blueprint, Response, abort, current_app, has_app_context, request
from flask_login import current_user
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, joinedload

from .access import roles
from .extensions import db
from .models import Role, StatusEvent, Team, User, utcnow

log = logging.getLogger(__name__)

# pg_advisory_xact_lock key for the feed: any constant shared by every writer.
FEED_LOCK_KEY = 4_348_101

# Feed entries that are not status changes.
BACKUP = "backup"  # a responder asks for backup
BACKUP_ACK = "backup_ack"  # the dispatcher has seen it
WELFARE_ACK = "welfare_ack"  # the dispatcher checked on a team long on scene
SIGNALS = (BACKUP, BACKUP_ACK, WELFARE_ACK)


def begin_feed_write(session: Session) -> None:
    """Start a transaction that writes to the feed, taking turns with every other writer.

    Writers take turns, so status_events ids commit in increasing order and a reader
    following the feed by id can never step past an event that commits later. On SQLite,
    BEGIN IMMEDIATE takes the write lock up front (waiting up to busy_timeout), so a
    read-then-write transaction cannot fail with "database is locked"; on PostgreSQL a
    transaction-level advisory lock does the same, released at commit or rollback. The
    caller's transaction ends first: anything pending is committed, and what it loaded
    expires, so rows are read again under the lock.
    """
    session.commit()
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        # pysqlite opens its own transaction only at the first write; reads before that see
        # the latest data, and ordinary write paths take the lock (waiting busy_timeout) at
        # their first write. Here the reads must belong to the write, so begin explicitly.
        session.connection().exec_driver_sql("BEGIN IMMEDIATE")
    elif dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": FEED_LOCK_KEY})


def events_after(
    session: Session, cursor: int, team_id: int | None = None, limit: int = 200
) -> list[StatusEvent]:
    """Feed entries after the cursor, in id order, with their team loaded. Reading by id is
    safe because every writer takes turns (begin_feed_write), so ids appear in order."""
    query = (
        select(StatusEvent)
        .options(joinedload(StatusEvent.team))
        .where(StatusEvent.id > cursor)
        .order_by(StatusEvent.id)
        .limit(limit)
    )
    if team_id is not None:
        query = query.where(StatusEvent.team_id == team_id)
    return list(session.scalars(query))


def latest_cursor(session: Session) -> int:
    return session.scalar(select(func.max(StatusEvent.id))) or 0


def signal(
    session: Session,
    team: Team,
    kind: str,
    actor: User | None,
    client_uuid: str,
    incident_id: int | None = None,
    detail: str | None = None,
    lat: float | None = None,
    lon: float | None = None,
) -> StatusEvent:
    """Append a feed entry that changes no status (backup, acknowledgements); commits.
    A client UUID seen before answers with its first entry (double taps, offline replays)."""
    if kind not in SIGNALS:
        raise ValueError(f"unknown signal {kind!r}")
    begin_feed_write(session)
    earlier = session.scalar(select(StatusEvent).where(StatusEvent.client_uuid == client_uuid))
    if earlier is not None:
        return earlier
    now = utcnow()
    event = StatusEvent(
        team_id=team.id,
        incident_id=incident_id,
        actor_id=actor.id if actor else None,
        action=kind,
        from_status=team.status,
        to_status=team.status,
        team_version=team.version,
        occurred_at=now,
        received_at=now,
        client_uuid=client_uuid,
        detail=detail,
        lat=lat,
        lon=lon,
    )
    session.add(event)
    session.commit()
    nudge()
    return event


def open_backups(session: Session) -> dict[int, StatusEvent]:
    """team id -> its latest backup request not yet acknowledged."""
    latest: dict[str, dict[int, int]] = {BACKUP: {}, BACKUP_ACK: {}}
    rows = session.execute(
        select(StatusEvent.action, StatusEvent.team_id, func.max(StatusEvent.id))
        .where(StatusEvent.action.in_((BACKUP, BACKUP_ACK)))
        .group_by(StatusEvent.action, StatusEvent.team_id)
    ).all()
    for kind, team_id, event_id in rows:
        latest[kind][team_id] = event_id
    waiting = [
        event_id
        for team_id, event_id in latest[BACKUP].items()
        if event_id > latest[BACKUP_ACK].get(team_id, 0)
    ]
    if not waiting:
        return {}
    events = session.scalars(select(StatusEvent).where(StatusEvent.id.in_(waiting)))
    return {e.team_id: e for e in events}


def last_signal_times(session: Session, kind: str) -> dict[int, object]:
    """team id -> when it last had this kind of entry."""
    rows = session.execute(
        select(StatusEvent.team_id, func.max(StatusEvent.received_at))
        .where(StatusEvent.action == kind)
        .group_by(StatusEvent.team_id)
    ).all()
    return dict(rows)


# --------------------------------------------------------------------------- the stream

bp = Blueprint("live", __name__, url_prefix="/live")


def _payload(event: StatusEvent, call_sign: str) -> str:
    """What a client needs to know something changed: no personal details. A status change
    carries the team's row version it made, so a screen that already shows that version
    (its own tap's answer) need not fetch it again."""
    from .domain.status import Action

    payload = {
        "team": call_sign,
        "action": event.action,
        "status": event.to_status,
        "incident": event.incident_id,
    }
    if event.action in {action.value for action in Action}:
        payload["version"] = event.team_version
    return json.dumps(payload)


def format_event(event: StatusEvent, call_sign: str) -> str:
    return f"id: {event.id}\nevent: feed\ndata: {_payload(event, call_sign)}\n\n"


def _cursor() -> int:
    raw = request.headers.get("Last-Event-ID") or request.args.get("after")
    if raw is None or raw == "":
        return latest_cursor(db.session)
    try:
        cursor = int(raw)
    except ValueError:
        abort(400)
    if cursor < 0:
        abort(400)
    return cursor


@bp.route("/events")
@roles(Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN, Role.RESPONDER)
def events():
    """The feed as Server-Sent Events: every event for the board, a team's own for a responder."""
    team_id = None
    if current_user.role == Role.RESPONDER:
        if current_user.team_id is None:
            abort(404)
        team_id = current_user.team_id
    cursor = _cursor()
    app = current_app._get_current_object()
    response = Response(_stream(app, cursor, team_id), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"  # nginx: pass each event straight on
    return response


class Bell:
    """One thread per app and process follows the feed and keeps its latest events, formatted,
    for the streams of that process: an idle board costs one small query per poll per
    process, and an event costs one read per process, not one per open stream. A stream
    further behind than the bell's memory (a resume after a long gap) reads the database
    itself. The thread runs only while some stream is waiting."""

    KEEP = 1000  # events kept in memory

    def __init__(self, app):
        self.app = app
        self.latest = 0  # the newest id read
        self._floor: int | None = None  # the memory holds every event after this id
        self._recent: list[tuple[int, int, str]] = []  # (id, team id, SSE text)
        self._changed = threading.Condition()
        self._waiting = 0
        self._running = False
        self._poked = threading.Event()

    def poke(self) -> None:
        """Read now: this process has just written an event."""
        self._poked.set()

    def since(self, cursor: int, team_id: int | None) -> tuple[list[str], int] | None:
        """(messages after cursor, new cursor) from memory, or None when memory does not reach back."""
        with self._changed:
            if not self._running or self._floor is None or cursor < self._floor:
                return None
            chunks = [
                text
                for event_id, team, text in self._recent
                if event_id > cursor and (team_id is None or team == team_id)
            ]
            return chunks, max(cursor, self.latest)

    def wait_past(self, mark: int, timeout: float) -> None:
        """Return once the feed's newest id is past `mark`, or after `timeout` seconds."""
        with self._changed:
            self._waiting += 1
            if not self._running:
                self._running = True
                self._floor = None
                threading.Thread(target=self._watch, name="heart-live-bell", daemon=True).start()
            try:
                if self.latest <= mark or self._floor is None:
                    self._changed.wait(timeout)
            finally:
                self._waiting -= 1

    def _read(self) -> None:
        with self.app.app_context():
            if self._floor is None:
                latest = latest_cursor(db.session)
                with self._changed:
                    self.latest = self._floor = latest
                    self._recent = []
                    self._changed.notify_all()
                return
            found = events_after(db.session, self.latest)
            if not found:
                return
            call_signs = dict(db.session.execute(select(Team.id, Team.call_sign)).all())
            fresh = [
                (e.id, e.team_id, format_event(e, call_signs.get(e.team_id, ""))) for e in found
            ]
        with self._changed:
            self._recent.extend(fresh)
            if len(self._recent) > self.KEEP:
                dropped = self._recent[: len(self._recent) - self.KEEP]
                self._recent = self._recent[len(dropped) :]
                self._floor = dropped[-1][0]
            self.latest = fresh[-1][0]
            self._changed.notify_all()

    def _watch(self) -> None:
        poll = self.app.config["HEART_LIVE_POLL_SECONDS"]
        while True:
            try:
                self._read()
            except Exception:  # noqa: BLE001 - a failed read must not kill the bell
                log.warning("live feed: could not read the feed", exc_info=True)
            self._poked.wait(poll)
            self._poked.clear()
            with self._changed:
                if self._waiting == 0:
                    self._running = False
                    return


_bells_lock = threading.Lock()


def nudge() -> None:
    """After a commit that added feed events: this process's streams hear them at once
    (other processes within HEART_LIVE_POLL_SECONDS)."""
    if has_app_context():
        bell = current_app.extensions.get("heart_live_bell")
        if bell is not None:
            bell.poke()


def bell_for(app) -> Bell:
    with _bells_lock:
        bell = app.extensions.get("heart_live_bell")
        if bell is None:
            bell = app.extensions["heart_live_bell"] = Bell(app)
        return bell


def _stream(app, cursor: int, team_id: int | None) -> Iterator[str]:
    lifetime = app.config["HEART_LIVE_STREAM_SECONDS"]
    heartbeat = app.config["HEART_LIVE_HEARTBEAT_SECONDS"]
    bell = bell_for(app)
    started = last_sent = time.monotonic()
    yield "retry: 2000\n: connected\n\n"
    while True:
        mark = bell.latest  # seen by the bell before this read
        remembered = bell.since(cursor, team_id)
        if remembered is not None:
            chunks, cursor = remembered
            more = False
        else:
            with app.app_context():
                found = events_after(db.session, cursor, team_id)
                call_signs = (
                    dict(db.session.execute(select(Team.id, Team.call_sign)).all()) if found else {}
                )
                chunks = [format_event(e, call_signs.get(e.team_id, "")) for e in found]
            if found:
                cursor = found[-1].id
            more = len(found) == 200
        if chunks:
            yield "".join(chunks)
            last_sent = time.monotonic()
            if more:
                continue  # more waiting: read on at once
        elif time.monotonic() - last_sent >= heartbeat:
            yield ": heartbeat\n\n"
            last_sent = time.monotonic()
        left = lifetime - (time.monotonic() - started)
        if left <= 0:
            return
        # A team's stream read from the database has seen everything up to `mark`, its own or not.
        bell.wait_past(
            cursor if team_id is None or remembered is not None else max(cursor, mark),
            min(left, heartbeat),
        )
