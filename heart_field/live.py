"""The live stream: the feed (heart_field.domain.feed) as Server-Sent Events.

The dispatch board and each team's screen follow ``GET /live/events``: every feed entry after
the cursor is sent with its id, so a browser that reconnects sends ``Last-Event-ID`` and gets
what it missed; ``?after=N`` gives the first cursor (the page renders it, so nothing between
page and stream is lost). A comment line every few seconds keeps proxies from closing an idle
stream, and each stream ends after ``HEART_LIVE_STREAM_SECONDS`` so a thread is never held by a
client that went away; the browser reconnects by itself, with ``Last-Event-ID``.

Streams do not each poll the database: per app and process one :class:`Bell` thread reads
the newest entries every ``HEART_LIVE_POLL_SECONDS``, or at once when this process commits
some (the feed's ``written`` signal), and wakes the streams, which send what is theirs.

A call entered (by the CAD, the API or another dispatcher) or resolved while waiting makes no
feed entry: no team's status changed. The bell also watches the waiting calls
(:func:`heart_field.domain.board.calls_mark`) and the board streams send ``event: calls``
(no id: it is not a place in the feed) when they change, so every board shows a new call at
once rather than at its next tick.

When the server is told to stop (SIGTERM, as gunicorn passes it on to each worker), every
open stream ends at once, so the worker exits in moments rather than after the graceful
timeout; browsers reconnect, to another worker or instance, with ``Last-Event-ID``.
"""

from __future__ import annotations

import json
import logging
import signal
import threading
import time
from collections.abc import Iterator

from flask import Blueprint, Flask, Response, abort, current_app, request
from flask_login import current_user
from sqlalchemy import select

from .access import roles
from .domain import board, feed
from .domain.feed import events_after, latest_cursor
from .extensions import db
from .models import Role, StatusEvent, Team

log = logging.getLogger(__name__)

bp = Blueprint("live", __name__, url_prefix="/live")

# Set when this process is stopping: open streams end and new ones end at once.
stopping = threading.Event()


def init_app(app: Flask) -> None:
    bell = app.extensions["heart_live_bell"] = Bell(app)
    feed.written.connect(bell.on_written)  # held weakly: goes with the app
    _end_streams_on_sigterm()


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


CALLS_CHANGED = "event: calls\ndata: {}\n\n"


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
        from .access import working_team_id

        team_id = working_team_id(current_user)
        if team_id is None:
            abort(404)
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
    itself. The thread runs only while some stream is waiting.

    While the database cannot be read the thread says so once, and once more when it can."""

    KEEP = 1000  # events kept in memory

    def __init__(self, app):
        self.app = app
        self.latest = 0  # the newest id read
        self.calls = 0  # counts the changes seen in the waiting calls (board.calls_mark)
        self._calls_mark: tuple[int, int] | None = None
        self._floor: int | None = None  # the memory holds every event after this id
        self._recent: list[tuple[int, int, str]] = []  # (id, team id, SSE text)
        self._changed = threading.Condition()
        self._waiting = 0
        self._running = False
        self._poked = threading.Event()
        self._failing_since: float | None = None

    def poke(self) -> None:
        """Read now: this process has just written an event."""
        self._poked.set()

    def on_written(self, _sender, **_events) -> None:
        self.poke()

    def wake_all(self) -> None:
        """Every waiting stream looks again now (the process is stopping)."""
        with self._changed:
            self._changed.notify_all()

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

    def wait_past(self, mark: int, timeout: float, calls: int | None = None) -> None:
        """Return once the feed's newest id is past `mark` (or, given `calls`, the waiting
        calls changed since that count), or after `timeout` seconds."""
        with self._changed:
            self._waiting += 1
            if not self._running:
                self._running = True
                self._floor = None
                threading.Thread(target=self._watch, name="heart-live-bell", daemon=True).start()
            try:
                quiet = calls is None or self.calls == calls
                if (self.latest <= mark or self._floor is None) and quiet and not stopping.is_set():
                    self._changed.wait(timeout)
            finally:
                self._waiting -= 1

    def _read(self) -> None:
        with self.app.app_context():
            calls_mark = board.calls_mark(db.session)
            if calls_mark != self._calls_mark:
                with self._changed:
                    if self._calls_mark is not None:
                        self.calls += 1
                        self._changed.notify_all()
                    self._calls_mark = calls_mark
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
            except Exception as error:  # noqa: BLE001 - a failed read must not kill the bell
                if self._failing_since is None:
                    self._failing_since = time.monotonic()
                    log.warning(
                        "live feed: cannot read the feed (%s); retrying every %ss",
                        type(error).__name__,
                        poll,
                    )
            else:
                if self._failing_since is not None:
                    log.warning(
                        "live feed: reading the feed again after %.1fs",
                        time.monotonic() - self._failing_since,
                    )
                    self._failing_since = None
            self._poked.wait(poll)
            self._poked.clear()
            with self._changed:
                if self._waiting == 0:
                    self._running = False
                    return


def bell_for(app) -> Bell:
    return app.extensions["heart_live_bell"]


def _stream(app, cursor: int, team_id: int | None) -> Iterator[str]:
    lifetime = app.config["HEART_LIVE_STREAM_SECONDS"]
    heartbeat = app.config["HEART_LIVE_HEARTBEAT_SECONDS"]
    bell = bell_for(app)
    started = last_sent = time.monotonic()
    calls_heard = bell.calls if team_id is None else None  # a board hears of calls; a team not
    yield "retry: 2000\n: connected\n\n"
    while not stopping.is_set():
        mark = bell.latest  # seen by the bell before this read
        remembered = bell.since(cursor, team_id)
        if remembered is not None:
            chunks, cursor = remembered
            more = False
        else:
            try:
                with app.app_context():
                    found = events_after(db.session, cursor, team_id)
                    call_signs = (
                        dict(db.session.execute(select(Team.id, Team.call_sign)).all())
                        if found
                        else {}
                    )
                    chunks = [format_event(e, call_signs.get(e.team_id, "")) for e in found]
            except Exception:  # noqa: BLE001 - the database went away: end, the browser resumes
                return
            if found:
                cursor = found[-1].id
            more = len(found) == 200
        if calls_heard is not None and bell.calls != calls_heard:
            calls_heard = bell.calls
            chunks = [*chunks, CALLS_CHANGED]
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
            calls_heard,
        )


# ------------------------------------------------------------------------- stopping


def stop_streams() -> None:
    """End every open stream of this process now (they reconnect elsewhere)."""
    stopping.set()
    for bell in list(_bells()):
        bell.wake_all()


def _bells():
    for receiver in feed.written.receivers_for(None):
        owner = getattr(receiver, "__self__", None)
        if isinstance(owner, Bell):
            yield owner


def _end_streams_on_sigterm() -> None:
    """Under a server that handles SIGTERM itself (gunicorn's workers stop taking requests and
    wait for those in flight), end the streams too, from a thread of their own (a signal
    handler must not wait for a lock). Elsewhere (tests, the debug server) change nothing."""
    if threading.current_thread() is not threading.main_thread():
        return
    previous = signal.getsignal(signal.SIGTERM)
    if not callable(previous) or getattr(previous, "_ends_live_streams", False):
        return

    def handler(signum, frame):
        threading.Thread(target=stop_streams, name="heart-live-stop", daemon=True).start()
        previous(signum, frame)

    handler._ends_live_streams = True
    signal.signal(signal.SIGTERM, handler)
