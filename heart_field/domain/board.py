"""What the dispatch board lists, read so that its cost follows the page, not the tables.

The board shows every unit (a few hundred at most), the calls held by a team (at most one per
unit), and one page of the calls waiting for a team, most urgent first (priority, then age).
Waiting calls are paged, searched and filtered; what the dispatcher must act on is read apart
from the page, so paging never hides it: the calls waiting past the overdue time are counted
and the most urgent of them listed at the top.

Each list is one query on an index (migration 0020): waiting calls by (status, priority,
received_at), held calls through the open assignments, changes through the feed's id. Nothing
here reads every status event or every incident.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from ..models import (
    ACTIVE_INCIDENT_STATUSES,
    Assignment,
    Incident,
    IncidentStatus,
    StatusEvent,
)

OVERDUE_LISTED = 10  # overdue calls listed at the top, most urgent first (all are counted)
CHANGES_AT_MOST = 100  # feed entries a row update covers; further behind, the whole board
SEARCH_MAX_LENGTH = 80

# What the status filter offers: calls waiting, or held by a team at one stage.
STATUS_FILTERS = {
    IncidentStatus.OPEN.value: "Waiting",
    IncidentStatus.ASSIGNED.value: "Assigned",
    IncidentStatus.EN_ROUTE.value: "En route",
    IncidentStatus.ON_SCENE.value: "On scene",
}
# Feed actions after which the whole board is drawn again: the units on duty changed.
WHOLE_BOARD_ACTIONS = frozenset({"log_on", "log_off"})


@dataclass(frozen=True)
class CallFilter:
    """The dispatcher's view of the calls: a search (CAD number or address), a priority, a
    status, and the page of waiting calls."""

    search: str = ""
    priority: int | None = None
    status: str | None = None
    page: int = 1

    @property
    def narrowed(self) -> bool:
        return bool(self.search or self.priority or self.status)

    def shows_waiting(self) -> bool:
        return self.status in (None, IncidentStatus.OPEN.value)

    def shows_held(self, status: str) -> bool:
        return self.status is None or self.status == status

    def matches(self, incident: Incident) -> bool:
        """Whether a held call passes the search and priority (held calls are few: in Python)."""
        if self.priority and incident.priority != self.priority:
            return False
        if not self.search:
            return True
        needle = self.search.lower()
        return needle in incident.cad_number.lower() or needle in (incident.address or "").lower()

    def where(self, query):
        """The search and priority as SQL conditions on Incident."""
        if self.priority:
            query = query.where(Incident.priority == self.priority)
        if self.search:
            pattern = (
                "%"
                + self.search.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")
                + "%"
            )
            query = query.where(
                or_(
                    Incident.cad_number.ilike(pattern, escape="\\"),
                    Incident.address.ilike(pattern, escape="\\"),
                )
            )
        return query


@dataclass(frozen=True)
class WaitingPage:
    calls: list[Incident]
    total: int  # waiting calls that pass the filter
    page: int
    pages: int
    size: int  # calls on a full page
    overdue: list[Incident]  # the most urgent overdue calls, whatever the page and filter
    overdue_total: int


def _waiting(flt: CallFilter | None = None):
    query = select(Incident).where(Incident.status == IncidentStatus.OPEN.value)
    return flt.where(query) if flt else query


def _by_urgency(query):
    return query.order_by(Incident.priority, Incident.received_at, Incident.id)


def waiting_page(
    session: Session, flt: CallFilter, now: datetime, overdue_after: timedelta, page_size: int
) -> WaitingPage:
    """One page of the waiting calls that pass the filter, and the overdue calls apart."""
    total = 0
    calls: list[Incident] = []
    if flt.shows_waiting():
        total = session.scalar(_waiting(flt).with_only_columns(func.count()).order_by(None))
    pages = max(1, math.ceil(total / page_size))
    page = min(max(1, flt.page), pages)
    if total:
        calls = list(
            session.scalars(
                _by_urgency(_waiting(flt))
                .options(selectinload(Incident.assignments), joinedload(Incident.recommended_team))
                .limit(page_size)
                .offset((page - 1) * page_size)
            )
        )
    # Overdue calls show whatever the filter and page: they need acting on.
    late = _waiting().where(Incident.received_at <= now - overdue_after)
    overdue_total = session.scalar(late.with_only_columns(func.count()).order_by(None))
    overdue = (
        list(session.scalars(_by_urgency(late).limit(OVERDUE_LISTED))) if overdue_total else []
    )
    return WaitingPage(calls, total, page, pages, page_size, overdue, overdue_total)


def waiting_ahead(session: Session, priority: int, limit: int = 10) -> list[Incident]:
    """The most urgent waiting calls at this priority or higher (a diverted team's choices)."""
    query = _by_urgency(
        _waiting().where(Incident.priority <= priority, Incident.within_city_limits.is_not(None))
    )
    return list(session.scalars(query.limit(limit)))


def open_assignments(session: Session, team_ids=None) -> dict[int, Assignment]:
    """team id -> its open assignment with the call (every unit's, or these units')."""
    query = (
        select(Assignment)
        .where(Assignment.ended_at.is_(None))
        .options(joinedload(Assignment.incident).selectinload(Incident.assignments))
    )
    if team_ids is not None:
        query = query.where(Assignment.team_id.in_(list(team_ids)))
    found = {}
    for assignment in session.scalars(query).unique():
        if assignment.incident.status in ACTIVE_INCIDENT_STATUSES:
            found[assignment.team_id] = assignment
    return found


@dataclass(frozen=True)
class Changes:
    """What the feed entries after a board's cursor touched."""

    cursor: int  # the newest entry read
    team_ids: frozenset[int]
    incident_ids: frozenset[int]
    actions: frozenset[str]
    whole_board: bool  # too many, or the units on duty changed: draw the whole board

    @property
    def any(self) -> bool:
        return bool(self.team_ids)


def changes_after(session: Session, cursor: int) -> Changes:
    """The teams and calls named by the feed entries after the cursor (at most CHANGES_AT_MOST)."""
    rows = session.execute(
        select(StatusEvent.id, StatusEvent.team_id, StatusEvent.incident_id, StatusEvent.action)
        .where(StatusEvent.id > cursor)
        .order_by(StatusEvent.id)
        .limit(CHANGES_AT_MOST + 1)
    ).all()
    actions = frozenset(r.action for r in rows)
    return Changes(
        cursor=rows[-1].id if rows else cursor,
        team_ids=frozenset(r.team_id for r in rows),
        incident_ids=frozenset(r.incident_id for r in rows if r.incident_id is not None),
        actions=actions,
        whole_board=len(rows) > CHANGES_AT_MOST or bool(actions & WHOLE_BOARD_ACTIONS),
    )


def calls_mark(session: Session) -> tuple[int, int]:
    """What changes when a call is entered or leaves the waiting list without a team touching
    it (the feed names only calls a team's status changed): the newest call's id and how many
    calls wait. Two index lookups, cheap enough for the live stream to read every poll."""
    newest = session.scalar(select(func.max(Incident.id))) or 0
    waiting = session.scalar(
        select(func.count()).select_from(Incident).where(Incident.status == IncidentStatus.OPEN)
    )
    return newest, waiting or 0
