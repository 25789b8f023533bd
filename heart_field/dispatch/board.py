"""The board's contents for one request: the whole board, or only the rows a feed event
changed (row updates: GET /dispatch/board/changes).

A live event names a team and a call. The board asks for what changed after the cursor it
shows; the answer replaces just those teams' rows and held calls, the waiting page when a
waiting call was involved, and the alerts and counters (htmx out-of-band swaps, by id). So the
browser's work per event stays flat however big the board is, and the server renders the
changed rows only, with the same statements whatever the data.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import timedelta

from flask import current_app, request
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .. import settings
from ..domain import board, feed, shifts, signals, status
from ..domain.geo import distance_km
from ..domain.status import Action
from ..extensions import db
from ..models import (
    URGENT_ACK_SECONDS,
    Assignment,
    CallNote,
    Incident,
    IncidentStatus,
    Role,
    Team,
    TeamStatus,
    utcnow,
)
from .forms import ElsewhereForm, PlaceForm

# Calls sent to another responder stay on the board this long, so the dispatcher can record who went.
ELSEWHERE_WINDOW = timedelta(hours=12)
# Feed actions that take a call out of the waiting list or put one back in it.
WAITING_ACTIONS = frozenset(
    a.value
    for a in (
        Action.ASSIGN,
        Action.CANCEL,
        Action.DECLINE,
        Action.CANCEL_CALL,
        Action.REASSIGN,
        Action.DIVERT,
    )
)


@dataclass
class TeamTile:
    """One team as the board shows it, with what needs the dispatcher's attention."""

    team: Team
    assignment: Assignment | None
    distance_km: float | None = None
    accept_overdue: bool = False
    welfare_due: bool = False
    backup: object | None = None  # the open backup request (a feed entry)
    alerts: list[str] = field(default_factory=list)


def tiles_of(teams, assignments, now) -> list[TeamTile]:
    accept_after = timedelta(minutes=current_app.config["HEART_ACCEPT_TIMEOUT_MINUTES"])
    welfare_after = timedelta(minutes=current_app.config["HEART_ON_SCENE_WELFARE_MINUTES"])
    backups = signals.open_backups(db.session)
    welfare_acks = signals.last_signal_times(db.session, signals.WELFARE_ACK)
    tiles = []
    for team in teams:
        assignment = assignments.get(team.id)
        tile = TeamTile(team, assignment, backup=backups.get(team.id))
        incident = assignment.incident if assignment else None
        if incident and incident.lat is not None and team.last_lat is not None:
            tile.distance_km = distance_km(
                (team.last_lat, team.last_lon), (incident.lat, incident.lon)
            )
        if assignment and team.status == TeamStatus.ASSIGNED and assignment.accepted_at is None:
            tile.accept_overdue = now - assignment.assigned_at >= accept_after
        if team.status == TeamStatus.ON_SCENE:
            since = max(team.status_since, welfare_acks.get(team.id) or team.status_since)
            tile.welfare_due = now - since >= welfare_after
        if tile.backup:
            tile.alerts.append("backup")
        if tile.welfare_due:
            tile.alerts.append("welfare")
        if tile.accept_overdue:
            tile.alerts.append("accept")
        tiles.append(tile)
    return tiles


class FilterError(ValueError):
    pass


def call_filter() -> board.CallFilter:
    """The board's view from the query string (?q=&priority=&status=&page=); FilterError
    says what could not be read."""
    args = request.args
    search = (args.get("q") or "").strip()
    if len(search) > board.SEARCH_MAX_LENGTH:
        raise FilterError(f"Search for at most {board.SEARCH_MAX_LENGTH} characters.")
    priority = args.get("priority") or None
    if priority is not None and priority not in ("1", "2", "3"):
        raise FilterError("Priority is 1, 2 or 3.")
    wanted = args.get("status") or None
    if wanted is not None and wanted not in board.STATUS_FILTERS:
        raise FilterError("That status is not one the board shows.")
    page = args.get("page") or "1"
    if not page.isdigit() or int(page) < 1:
        raise FilterError("Page is a number from 1.")
    return board.CallFilter(search, int(priority) if priority else None, wanted, int(page))


@dataclass
class BoardSteering:
    """The updates (notes) on the calls a response shows, and the urgent ones not
    acknowledged in time (an alert, whatever the page)."""

    notes: dict[int, list] = field(default_factory=dict)
    unacknowledged: list = field(default_factory=list)
    overdue_after: timedelta = timedelta(minutes=15)

    def is_overdue(self, incident: Incident) -> bool:
        return utcnow() - incident.received_at >= self.overdue_after


def steering_for(incidents) -> BoardSteering:
    """Two queries: the notes of these calls, and the urgent notes nobody acknowledged."""
    found = BoardSteering(
        overdue_after=timedelta(minutes=current_app.config["HEART_WAITING_OVERDUE_MINUTES"])
    )
    # Notes hold personal details: only those who may see calls read them (not admins).
    ids = [i.id for i in incidents]
    if ids and current_user.role in (Role.DISPATCHER, Role.SUPERVISOR):
        for note in db.session.scalars(
            select(CallNote)
            .where(CallNote.incident_id.in_(ids))
            .options(joinedload(CallNote.acknowledged_by), joinedload(CallNote.created_by))
            .order_by(CallNote.id)
        ):
            found.notes.setdefault(note.incident_id, []).append(note)
    older_than = utcnow() - timedelta(seconds=URGENT_ACK_SECONDS)
    held = [
        s.value for s in (IncidentStatus.ASSIGNED, IncidentStatus.EN_ROUTE, IncidentStatus.ON_SCENE)
    ]
    found.unacknowledged = list(
        db.session.scalars(
            select(CallNote)
            .join(Incident, Incident.id == CallNote.incident_id)
            .where(
                CallNote.urgent.is_(True),
                CallNote.acknowledged_at.is_(None),
                CallNote.team_id.is_not(None),
                CallNote.created_at <= older_than,
                Incident.status.in_(held),
            )
            .options(joinedload(CallNote.team), joinedload(CallNote.incident))
            .order_by(CallNote.id)
        )
    )
    return found


def whole(flt: board.CallFilter) -> dict:
    """Everything the board shows, for the page or a full refresh."""
    now = utcnow()
    # The cursor is read before what the board shows: every event up to it is on the board.
    cursor = feed.latest_cursor(db.session)
    units, teams, tiles, page = _units_and_page(flt, now)
    active = _held_calls(tiles, flt)
    elsewhere = _elsewhere(now)
    shown = page.calls + active
    return dict(
        cursor=cursor,
        tiles=tiles,
        alerts=[t for t in tiles if t.alerts],
        available=[t for t in teams if t.status == TeamStatus.AVAILABLE],
        waiting=page.calls,
        waiting_page=page,
        active=active,
        held_count=len(active),
        elsewhere=elsewhere,
        board_calls=shown,
        steer=steering_for(shown),
        divert_choices=board.waiting_ahead(db.session, 3),
        late=status.late_statuses(db.session),
        **_common(flt),
        **_duty(units, now),
    )


def changed_rows(flt: board.CallFilter, changes: board.Changes, tick: bool = False) -> dict:
    """What a row update shows: the changed teams' rows and held calls, the waiting page if a
    waiting call moved (or on the timer's tick: calls entered elsewhere, clocks), and the
    alerts and counters."""
    now = utcnow()
    _units, teams, tiles, page = _units_and_page(flt, now)
    changed = [t for t in tiles if t.team.id in changes.team_ids]  # in call-sign order
    active_changed = _held_calls(changed, flt)
    # The waiting page is drawn again when a call left or joined it, or a call on it (or the
    # team recommended for one) changed.
    waiting_moved = (
        tick
        or bool(changes.actions & WAITING_ACTIONS)
        or any(
            c.id in changes.incident_ids or c.recommended_team_id in changes.team_ids
            for c in page.calls
        )
    )
    waiting = page.calls if waiting_moved else []
    shown = waiting + active_changed
    return dict(
        cursor=changes.cursor,
        tiles=tiles,
        changed_tiles=changed,
        alerts=[t for t in tiles if t.alerts],
        available=[t for t in teams if t.status == TeamStatus.AVAILABLE],
        held_count=len(_held_calls(tiles, flt)),
        waiting=waiting,
        waiting_page=page,
        waiting_moved=waiting_moved,
        tick=tick,
        elsewhere=_elsewhere(now) if tick else [],
        **row_forms(),
        active=active_changed,
        board_calls=shown,
        steer=steering_for(shown),
        divert_choices=board.waiting_ahead(db.session, 3),
        late=status.late_statuses(db.session, list(changes.team_ids)),
        crews=shifts.crews(db.session, [t.team.id for t in changed]),
        **_common(flt, frozenset(request.args.get("have", "").split(","))),
        **_hours(now),
    )


def row_forms(place_forms=None, elsewhere_forms=None) -> dict:
    """The forms in call rows: "Place call" and "Send elsewhere", empty, or as a dispatcher
    sent them (by call id) when they came back with a message (422)."""
    return dict(
        place_forms=place_forms or {},
        new_place_form=lambda: PlaceForm(formdata=None),
        elsewhere_forms=elsewhere_forms or {},
        new_elsewhere_form=lambda: ElsewhereForm(formdata=None),
    )


def _units_and_page(flt: board.CallFilter, now):
    """What the whole board and a row update both read: the units (by call sign), those on
    duty, their tiles (alerts, held calls) and the page of waiting calls."""
    units = shifts.open_units(db.session)
    teams = [t for t in units if t.status != TeamStatus.OFF_DUTY]
    tiles = tiles_of(teams, board.open_assignments(db.session), now)
    page = board.waiting_page(
        db.session, flt, now, _overdue_after(), current_app.config["HEART_BOARD_PAGE_SIZE"]
    )
    return units, teams, tiles, page


def _elsewhere(now) -> list[Incident]:
    """Calls sent to another responder lately, newest first."""
    return db.session.scalars(
        select(Incident)
        .where(
            Incident.status == IncidentStatus.ROUTED_ELSEWHERE,
            Incident.received_at >= now - ELSEWHERE_WINDOW,
        )
        .order_by(Incident.received_at.desc())
        .limit(50)
    ).all()


def _held_calls(tiles, flt: board.CallFilter) -> list[Incident]:
    """The calls the given teams hold that pass the filter, in the teams' order."""
    calls = [t.assignment.incident for t in tiles if t.assignment]
    return [c for c in calls if flt.shows_held(c.status) and flt.matches(c)]


def view_args(flt: board.CallFilter) -> dict:
    """The query string of this view of the board (what call_filter reads back)."""
    args = dict(q=flt.search, priority=flt.priority, status=flt.status)
    if flt.page > 1:
        args["page"] = flt.page
    return {k: v for k, v in args.items() if v}


def board_part(held: frozenset[str]):
    """A part of the board (alerts, team choices) with the digest of what it shows: a row
    update leaves it out when the board already shows that digest (`held`, sent back by
    board_rows.js), so an unchanged part costs the browser nothing."""

    def part(html: Markup) -> Markup:
        # The same part drawn whole or for a row update (hx-swap-oob) has the same digest.
        shown = str(html).replace(' hx-swap-oob="true"', "")
        digest = hashlib.blake2b(shown.encode(), digest_size=8).hexdigest()
        if digest in held:
            return Markup("")
        return Markup(str(html).replace('data-digest=""', f'data-digest="{digest}"', 1))

    return part


def _overdue_after() -> timedelta:
    return timedelta(minutes=current_app.config["HEART_WAITING_OVERDUE_MINUTES"])


def _common(flt: board.CallFilter, held_parts: frozenset[str] = frozenset()) -> dict:
    from ..domain import intake
    from ..field.forms import DECLINE_REASONS

    return dict(
        call_filter=flt,
        status_filters=board.STATUS_FILTERS,
        board_view_args=lambda page: view_args(replace(flt, page=page)),
        can_dispatch=current_user.role == Role.DISPATCHER,
        city_bounds=settings.dispatching().city_limits.bounds,
        decline_labels=DECLINE_REASONS,
        other_responders=intake.OTHER_RESPONDERS,
        missing_roles=shifts.missing,
        board_part=board_part(held_parts),
    )


def _hours(now) -> dict:
    geo = settings.dispatching()
    return dict(
        past_hours=shifts.an_hour_past_service_hours(geo.service_hours, geo.zone, now),
        demo_hours=current_app.config.get("HEART_DEMO_HOURS"),
    )


def _duty(units, now) -> dict:
    """Shifts on the board: units off duty (listed apart), each crew, the short-staffed,
    units still on duty an hour past service hours, and demo service hours."""
    return dict(
        off_duty=[t for t in units if t.status == TeamStatus.OFF_DUTY],
        crews=shifts.crews(db.session),
        **_hours(now),
    )
