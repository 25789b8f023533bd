"""The feed: the status_events table, read by id as a cursor, and the one way to write to it.

Every change a board or phone must hear about (a status change, a backup request, an
acknowledgement) is a row in status_events, and readers follow the table by id. That is only
safe if ids become visible in increasing order: on PostgreSQL ids come from a sequence, so two
transactions can commit out of order (8 visible while 7 is still in flight) and a reader that
moved its cursor to 8 would skip 7 forever. So every transaction that inserts into the feed
runs inside :func:`writing`, which makes the writers take turns:

- PostgreSQL: ``pg_advisory_xact_lock(FEED_LOCK_KEY)``, a transaction-level advisory lock on one
  constant key, taken before the id is drawn and released by the commit or rollback. It locks
  no row or table: only other feed writers wait for it.
- SQLite: ``BEGIN IMMEDIATE``, the database's one write lock, taken up front (waiting up to
  busy_timeout), so a read-then-write transaction never fails with "database is locked" and
  one writer at a time gives the same order.

After the commit, :data:`written` (a blinker signal) announces the new entries, as plain
:class:`FeedEvent` values, to whoever listens in this process (the live stream's reader, push
notifications). Nothing here knows about web requests.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import datetime

from blinker import Namespace
from sqlalchemy import Connection, func, select, text
from sqlalchemy.orm import Session, joinedload

from ..models import StatusEvent

# pg_advisory_xact_lock key for the feed: any constant shared by every writer.
FEED_LOCK_KEY = 4_348_101

_signals = Namespace()
#: Sent after a feed write commits: ``written.send(None, events=(FeedEvent, ...))``.
#: Receivers run in the writer's thread, after the commit: keep them quick, and never let
#: them raise (the write has happened whatever they do).
written = _signals.signal("heart-feed-written")


@dataclass(frozen=True)
class FeedEvent:
    """One feed entry as written: plain values, safe to keep after the session is gone."""

    id: int
    team_id: int
    incident_id: int | None
    actor_id: int | None
    action: str
    from_status: str
    to_status: str
    team_version: int
    occurred_at: datetime
    received_at: datetime
    client_uuid: str
    lat: float | None = None
    lon: float | None = None
    detail: str | None = None

    @classmethod
    def of(cls, row: StatusEvent) -> FeedEvent:
        return cls(**{f.name: getattr(row, f.name) for f in fields(cls)})


class FeedWrite:
    """The transaction of :func:`writing`: its connection, and the entries it adds."""

    def __init__(self, session: Session):
        self.session = session
        self.connection: Connection = session.connection()
        self.events: list[FeedEvent] = []

    def add(self, **values) -> FeedEvent:
        """Insert one feed entry (the columns of status_events but id) and answer it with its id.
        A client_uuid seen before raises IntegrityError: the caller's idempotency check."""
        row = StatusEvent(**values)
        self.session.add(row)
        self.session.flush()
        event = FeedEvent(id=row.id, **values)
        self.events.append(event)
        return event


def lock(connection: Connection) -> None:
    """Take the feed's turn on this connection (see the module's docstring)."""
    dialect = connection.dialect.name
    if dialect == "sqlite":
        # pysqlite begins its own transaction only at the first write, so the reads before it
        # would see data outside the write's lock: begin explicitly, before any of them.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    elif dialect == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": FEED_LOCK_KEY})


@contextmanager
def writing(session: Session) -> Iterator[FeedWrite]:
    """``with feed.writing(session) as write:`` the block is one transaction that may add feed
    entries: it takes the feed's turn first, commits when the block ends (or rolls back if it
    raises), then announces the new entries with :data:`written`.

    The session must have nothing unwritten in it: on SQLite the transaction has to begin
    here, so the reads inside the block belong to it."""
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("feed.writing() needs a session with no pending changes")
    write = FeedWrite(session)
    try:
        lock(write.connection)
        yield write
        session.commit()
    except BaseException:
        session.rollback()
        raise
    if write.events:
        written.send(None, events=tuple(write.events))


def events_after(
    session: Session, cursor: int, team_id: int | None = None, limit: int = 200
) -> list[StatusEvent]:
    """Feed entries after the cursor, in id order, with their team loaded. Reading by id is
    safe because writers take turns (:func:`writing`), so ids appear in order."""
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


def event_by_uuid(session: Session, client_uuid: str) -> FeedEvent | None:
    row = session.scalar(select(StatusEvent).where(StatusEvent.client_uuid == client_uuid))
    return FeedEvent.of(row) if row is not None else None
