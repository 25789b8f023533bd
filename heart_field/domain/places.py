"""Familiar places (issue 23): prior contacts at a call's place, the safety and approach notes
on it, and the repeat-contact report. Flask-free: callers pass the session, the time and the
settings.

A place is a point and a radius (default 50 m) or a normalised street address: an earlier
call matches when either matches. The SQL lookup is a bounding box on the (lat, lon) index or
an equality on the place-key index, then the exact geodesic distance in Python, so its cost
stays flat as the calls table grows.
"""

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, func, literal, null, or_, select, text, union_all
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.sql.elements import TextClause

from ..models import DISPOSITIONS, Assignment, Incident, Outcome, Referral, ReferralStatus, User
from ..models.places import NOTE_MAX_CHARS, PlaceNote, ReferralLink, place_key_for
from .geo import distance_km

# An outcome of a call HEART never reached is not a contact with the place.
NOT_A_CONTACT = frozenset({"cancelled_prior_to_arrival"})
METRES_PER_DEGREE_LAT = 111_320.0


@dataclass(frozen=True)
class PlaceSettings:
    radius_m: float = 50.0
    lookback_days: int = 90
    note_days: int = 90


@dataclass(frozen=True)
class Place:
    lat: float | None
    lon: float | None
    key: str | None

    @classmethod
    def of(cls, incident: Incident) -> "Place":
        return cls(
            incident.lat, incident.lon, incident.place_key or place_key_for(incident.address)
        )

    @property
    def known(self) -> bool:
        return (self.lat is not None and self.lon is not None) or bool(self.key)

    def box(self, radius_m: float) -> tuple[float, float]:
        """Half the sides, in degrees (latitude, longitude), of the box around the radius."""
        dlat = radius_m / METRES_PER_DEGREE_LAT
        dlon = radius_m / (METRES_PER_DEGREE_LAT * max(math.cos(math.radians(self.lat)), 0.01))
        return dlat, dlon

    def sql_filter(self, lat_col, lon_col, key_col, radius_m: float):
        """Rows near the point (bounding box: an index range) or at the same address."""
        parts = []
        if self.lat is not None and self.lon is not None:
            dlat, dlon = self.box(radius_m)
            parts.append(
                and_(
                    lat_col.between(self.lat - dlat, self.lat + dlat),
                    lon_col.between(self.lon - dlon, self.lon + dlon),
                )
            )
        if self.key:
            parts.append(key_col == self.key)
        return or_(*parts)

    def sql_text(self, n: int, radius_m: float) -> tuple[str, dict]:
        """sql_filter as SQL text on incidents (bound values named by `n`): a board of a
        hundred calls builds it in a millisecond, where expression objects take tens."""
        parts, values = [], {}
        if self.lat is not None and self.lon is not None:
            dlat, dlon = self.box(radius_m)
            parts.append(
                f"(incidents.lat BETWEEN :s{n} AND :n{n} AND incidents.lon BETWEEN :w{n} AND :e{n})"
            )
            values.update(
                {
                    f"s{n}": self.lat - dlat,
                    f"n{n}": self.lat + dlat,
                    f"w{n}": self.lon - dlon,
                    f"e{n}": self.lon + dlon,
                }
            )
        if self.key:
            parts.append(f"incidents.place_key = :k{n}")
            values[f"k{n}"] = self.key
        return " OR ".join(parts), values

    def nearby(self, rows, radius_m: float) -> list:
        """The rows (with lat, lon, place_key) that match this place: the box is worked out
        once, and only rows inside it pay for the geodesic."""
        if self.lat is None or self.lon is None:
            return [r for r in rows if self.key and r.place_key == self.key]
        dlat, dlon = self.box(radius_m)
        south, north, west, east = (
            self.lat - dlat,
            self.lat + dlat,
            self.lon - dlon,
            self.lon + dlon,
        )
        return [
            r
            for r in rows
            if (self.key and r.place_key == self.key)
            or (
                r.lat is not None
                and r.lon is not None
                and south <= r.lat <= north
                and west <= r.lon <= east
                and distance_km((self.lat, self.lon), (r.lat, r.lon)) * 1000 <= radius_m
            )
        ]

    def matches(self, lat, lon, key, radius_m: float) -> bool:
        """The exact test behind the bounding box: same address, or within the radius."""
        if self.key and key == self.key:
            return True
        if None in (self.lat, self.lon, lat, lon):
            return False
        dlat, dlon = self.box(radius_m)
        if abs(lat - self.lat) > dlat or abs(lon - self.lon) > dlon:
            return False  # outside the box: no need for the (slow) geodesic
        return distance_km((self.lat, self.lon), (lat, lon)) * 1000 <= radius_m


@dataclass(frozen=True)
class PriorContacts:
    count: int
    lookback_days: int
    last_days_ago: int | None
    last_disposition: str | None
    # An open Care Navigation referral from a call here: who works it (None: unclaimed).
    open_referral: bool = False
    navigator: str | None = None

    @property
    def summary(self) -> str:
        noun = "prior contact" if self.count == 1 else "prior contacts"
        text = f"{self.count} {noun} here in {self.lookback_days} days"
        if self.last_days_ago is not None:
            ago = "today" if self.last_days_ago == 0 else f"{self.last_days_ago} days ago"
            if self.last_days_ago == 1:
                ago = "1 day ago"
            text += f", last {ago}: {self.last_disposition}"
        return text

    @property
    def referral_line(self) -> str | None:
        if not self.open_referral:
            return None
        who = f"navigator {self.navigator}" if self.navigator else "not yet claimed"
        return f"Open Care Navigation referral, {who}"


def prior_contacts(
    session: Session, incident: Incident, now: datetime, settings: PlaceSettings
) -> PriorContacts | None:
    """Earlier calls HEART cleared at this call's place within the lookback, and any open
    referral from a call there. None when the place is unknown or has no history."""
    return prior_contacts_many(session, [incident], now, settings).get(incident.id)


def _near_any(places: list[Place], radius_m: float) -> tuple[TextClause, dict]:
    """Incidents near any of the places (or at the same address), as one SQL condition and
    its values, given to execute(): binding 500 values into the clause (bindparams) copied
    it once per value, 17 ms for the board's 105 calls."""
    parts, values = [], {}
    for n, place in enumerate(places):
        part, bound = place.sql_text(n, radius_m)
        parts.append(part)
        values.update(bound)
    return text("(" + " OR ".join(parts) + ")"), values


def prior_contacts_many(
    session: Session, incidents: list[Incident], now: datetime, settings: PlaceSettings
) -> dict[int, PriorContacts]:
    """prior_contacts for several calls (the board's rows) in one query, however many."""
    placed = [(i, Place.of(i)) for i in incidents]
    placed = [(i, p) for i, p in placed if p.known]
    if not placed:
        return {}
    lookback = timedelta(days=settings.lookback_days)
    radius = settings.radius_m

    near, near_values = _near_any([p for _, p in placed], radius)

    contacts = (
        select(
            Incident.id,
            Incident.lat,
            Incident.lon,
            Incident.place_key,
            Incident.received_at.label("at"),
            Outcome.disposition.label("disposition"),
            null().label("navigator"),
            literal("contact").label("kind"),
        )
        .join(Outcome, Outcome.incident_id == Incident.id)
        .where(
            near,
            Incident.received_at >= min(i.received_at for i, _ in placed) - lookback,
            Incident.received_at < max(i.received_at for i, _ in placed),
            Outcome.disposition.not_in(NOT_A_CONTACT),
        )
    )
    referrals = (
        select(
            Incident.id,
            Incident.lat,
            Incident.lon,
            Incident.place_key,
            Referral.created_at.label("at"),
            null().label("disposition"),
            User.display_name.label("navigator"),
            literal("referral").label("kind"),
        )
        .select_from(Referral)
        .join(Incident, Incident.id == Referral.incident_id)
        .outerjoin(User, User.id == Referral.claimed_by_id)
        .where(
            near,
            Referral.status != ReferralStatus.CLOSED.value,
        )
    )
    rows = session.execute(union_all(contacts, referrals), near_values).all()

    found = {}
    for incident, place in placed:
        here = place.nearby(rows, radius)
        since = incident.received_at - lookback
        before = [
            r
            for r in here
            if r.kind == "contact"
            and r.id != incident.id
            and since <= _aware(r.at) < incident.received_at
        ]
        open_refs = sorted((r for r in here if r.kind == "referral"), key=lambda r: _aware(r.at))
        if not before and not open_refs:
            continue
        last = max(before, key=lambda r: _aware(r.at)) if before else None
        referral = open_refs[-1] if open_refs else None
        found[incident.id] = PriorContacts(
            count=len(before),
            lookback_days=settings.lookback_days,
            last_days_ago=(now - _aware(last.at)).days if last else None,
            last_disposition=DISPOSITIONS[last.disposition].label if last else None,
            open_referral=referral is not None,
            navigator=referral.navigator if referral else None,
        )
    return found


def _aware(value: datetime) -> datetime:
    """A union's column loses the UTC type decorator: SQLite hands back naive UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# --------------------------------------------------------------------------- notes


class NoteRefused(ValueError):
    """The note cannot be kept: the message says why, for the form."""


def has_attended(session: Session, user: User, incident: Incident) -> bool:
    """Whether the user was there: their team was sent to the call and did not decline it,
    or, for a navigator, they work (claimed) a referral made from it."""
    if user.team_id is not None:
        sent = session.scalar(
            select(func.count(Assignment.id)).where(
                Assignment.incident_id == incident.id,
                Assignment.team_id == user.team_id,
                or_(Assignment.end_reason.is_(None), Assignment.end_reason != "declined"),
            )
        )
        if sent:
            return True
    worked = session.scalar(
        select(func.count(Referral.id)).where(
            Referral.incident_id == incident.id, Referral.claimed_by_id == user.id
        )
    )
    return bool(worked)


def add_note(
    session: Session,
    incident: Incident,
    author: User,
    text: str,
    now: datetime,
    settings: PlaceSettings,
) -> PlaceNote:
    """Keep a note on the call's place; the caller has checked has_attended and commits."""
    text = " ".join((text or "").split())
    if not text:
        raise NoteRefused("Write the note.")
    if len(text) > NOTE_MAX_CHARS:
        raise NoteRefused(f"Keep the note to {NOTE_MAX_CHARS} characters.")
    place = Place.of(incident)
    if not place.known:
        raise NoteRefused("This call has no address or point to keep a note on.")
    note = PlaceNote(
        text=text,
        lat=place.lat,
        lon=place.lon,
        place_key=place.key,
        incident_id=incident.id,
        author_id=author.id,
        created_at=now,
        expires_at=now + timedelta(days=settings.note_days),
    )
    session.add(note)
    return note


def live_notes(
    session: Session, incident: Incident, now: datetime, settings: PlaceSettings
) -> list[PlaceNote]:
    """The place's notes neither removed nor expired, newest first."""
    place = Place.of(incident)
    if not place.known:
        return []
    notes = session.scalars(
        select(PlaceNote)
        .where(
            place.sql_filter(PlaceNote.lat, PlaceNote.lon, PlaceNote.place_key, settings.radius_m),
            PlaceNote.removed_at.is_(None),
            PlaceNote.expires_at > now,
        )
        .order_by(PlaceNote.created_at.desc())
    ).all()
    return [n for n in notes if place.matches(n.lat, n.lon, n.place_key, settings.radius_m)]


def notes_for_review(session: Session, now: datetime) -> list[PlaceNote]:
    """Every note still showing, for the supervisors' review, oldest expiry first."""
    return list(
        session.scalars(
            select(PlaceNote)
            .where(PlaceNote.removed_at.is_(None), PlaceNote.expires_at > now)
            .order_by(PlaceNote.expires_at)
        )
    )


def remove_note(note: PlaceNote, by: User, now: datetime) -> None:
    note.removed_at = now
    note.removed_by_id = by.id


# --------------------------------------------------------------------------- the report


def block_label(key: str | None, lat: float | None, lon: float | None) -> str:
    """A shareable label: the hundred block of the street ('737 ninth st' -> '700 block of
    Ninth St'), or a point rounded to about 100 m when there is no address."""
    if key:
        number, _, street = key.partition(" ")
        if number.isdigit() and street:
            return f"{int(number) // 100 * 100} block of {street.title()}"
        return key.title()
    if lat is not None and lon is not None:
        return f"Near {lat:.3f}, {lon:.3f}"
    return "Unknown place"


def _exact_place(key, lat, lon):
    if key:
        return ("key", key)
    if lat is not None and lon is not None:
        return ("point", round(lat, 4), round(lon, 4))
    return None


@dataclass
class BlockRow:
    label: str
    contacts: int = 0
    previous: int = 0  # contacts in the period of equal length before
    open_referrals: int = 0
    places: set = field(default_factory=set)

    @property
    def trend(self) -> str:
        if self.contacts > self.previous:
            return "up"
        if self.contacts < self.previous:
            return "down"
        return "same"


@dataclass
class RepeatReport:
    start: datetime
    end: datetime
    total_responses: int
    repeat_responses: int
    repeat_places: int
    blocks: list[BlockRow]

    @property
    def repeat_share(self) -> float:
        return self.repeat_responses / self.total_responses if self.total_responses else 0.0


def repeat_contact_report(
    session: Session, start: datetime, end: datetime, limit: int = 25
) -> RepeatReport:
    """Contacts (calls HEART cleared) from start to end, by exact place (normalised address,
    else the point to ~10 m): a repeat place has two or more. Shown by hundred block, with the
    previous period's count for the trend and open referrals from calls on the block."""
    previous_start = start - (end - start)
    rows = session.execute(
        select(Incident.place_key, Incident.lat, Incident.lon, Incident.received_at)
        .join(Outcome, Outcome.incident_id == Incident.id)
        .where(
            Incident.received_at >= previous_start,
            Incident.received_at < end,
            Outcome.disposition.not_in(NOT_A_CONTACT),
        )
    ).all()
    current = [r for r in rows if r.received_at >= start]
    per_place = Counter(_exact_place(r.place_key, r.lat, r.lon) for r in current)
    repeat = {p for p, n in per_place.items() if p is not None and n >= 2}

    blocks: dict[str, BlockRow] = defaultdict(lambda: BlockRow(label=""))
    for r in rows:
        place = _exact_place(r.place_key, r.lat, r.lon)
        if place not in repeat:
            continue
        label = block_label(r.place_key, r.lat, r.lon)
        block = blocks[label]
        block.label = label
        block.places.add(place)
        if r.received_at >= start:
            block.contacts += 1
        else:
            block.previous += 1
    if blocks:
        open_refs = session.execute(
            select(Incident.place_key, Incident.lat, Incident.lon)
            .select_from(Referral)
            .join(Incident, Incident.id == Referral.incident_id)
            .where(Referral.status != ReferralStatus.CLOSED.value)
        ).all()
        for r in open_refs:
            label = block_label(r.place_key, r.lat, r.lon)
            if label in blocks:
                blocks[label].open_referrals += 1
    ranked = sorted(blocks.values(), key=lambda b: (-b.contacts, b.label))[:limit]
    return RepeatReport(
        start=start,
        end=end,
        total_responses=len(current),
        repeat_responses=sum(per_place[p] for p in repeat),
        repeat_places=len(repeat),
        blocks=ranked,
    )


# --------------------------------------------------------------------------- person links


class LinkRefused(ValueError):
    """The call cannot be linked to the referral: the message says why, for the form."""


def link_call(
    session: Session, referral: Referral, incident: Incident | None, by: User, now: datetime
) -> ReferralLink:
    """Link a later call to the person of a referral. A referral exists only with the person's
    recorded consent; a closed one links nothing more. The caller commits."""
    if referral.status == ReferralStatus.CLOSED.value or referral.consented_at is None:
        raise LinkRefused("This referral is closed: reopen it to link calls to it.")
    if incident is None:
        raise LinkRefused("No call has that CAD number.")
    if incident.id == referral.incident_id or incident.received_at < referral.created_at:
        raise LinkRefused("Link only calls received after the referral was made.")
    exists = session.scalar(
        select(func.count(ReferralLink.id)).where(
            ReferralLink.referral_id == referral.id, ReferralLink.incident_id == incident.id
        )
    )
    if exists:
        raise LinkRefused(f"Call {incident.cad_number} is already linked to this referral.")
    link = ReferralLink(
        referral_id=referral.id, incident_id=incident.id, linked_by_id=by.id, linked_at=now
    )
    session.add(link)
    return link


def links_by_referral(session: Session, referral_ids: list[int]) -> dict[int, list[ReferralLink]]:
    """Each referral's linked calls, newest first, in one query (the navigator's queue)."""
    if not referral_ids:
        return {}
    found: dict[int, list[ReferralLink]] = defaultdict(list)
    links = session.scalars(
        select(ReferralLink)
        .options(joinedload(ReferralLink.incident))
        .where(ReferralLink.referral_id.in_(referral_ids))
        .order_by(ReferralLink.linked_at.desc())
    )
    for link in links:
        found[link.referral_id].append(link)
    return dict(found)


def calls_at_referral_place(
    session: Session, referral: Referral, settings: PlaceSettings, limit: int = 10
) -> list[Incident]:
    """Calls at the referral's place since it was made, not yet linked: suggestions to link."""
    place = Place.of(referral.incident)
    if not place.known:
        return []
    linked = select(ReferralLink.incident_id).where(ReferralLink.referral_id == referral.id)
    calls = session.scalars(
        select(Incident)
        .where(
            place.sql_filter(Incident.lat, Incident.lon, Incident.place_key, settings.radius_m),
            Incident.received_at >= referral.created_at,
            Incident.id != referral.incident_id,
            Incident.id.not_in(linked),
        )
        .order_by(Incident.received_at.desc())
        .limit(limit)
    ).all()
    return [c for c in calls if place.matches(c.lat, c.lon, c.place_key, settings.radius_m)]
