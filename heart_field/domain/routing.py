"""Routing a call to a HEART unit (step 3 of "the life of a call").

Pure functions and dataclasses: no Flask, no database. The app gathers the
facts (geofence verdict, time received, safety screen, call type, location,
teams with their last known positions) and :func:`route_call` decides.

Rules, checked in this order; the first that applies decides:

1. Outside city limits -> fallback ``outside_city_limits`` (county, police,
   EMS or fire take it). Checked first: HEART serves the city only.
2. Received outside service hours (local wall-clock time in the configured
   time zone, so DST days behave) -> fallback ``outside_service_hours``.
3. Safety screen reports weapons or a medical emergency -> fallback
   ``safety_risk`` (police or EMS go instead). This also applies to calls that
   could otherwise be handled by phone.
4. Violence reported (without weapons) -> the eligible unit is Co-Response
   (clinician + CIT officer). Only a Co-Response team may take it.
5. Call types that a phone call can resolve (:data:`PHONE_CALL_TYPES`, e.g.
   ``crisis_line``) -> Crisis Call Diversion: ``unit_type``
   ``crisis_call_diversion``, ``team`` None, ``fallback`` None. The clinician
   sits in the ECC; no field team is recommended.
6. Otherwise the eligible unit is Community Response. If no Community Response
   team is available, an available Co-Response team takes the call instead
   (it is still HEART, and a clinician-led team can handle a non-violent call);
   ``unit_type`` is then ``co_response``.

Team choice: only teams whose ``status`` is exactly ``"available"`` and whose
unit type is eligible qualify (an off-duty unit never does). The recommendation
is the one nearest to the call by geodesic distance from its last known
position, where a short-staffed crew (a required role missing) counts as
:data:`SHORT_CREW_PENALTY_KM` further away than it is: a full crew wins at
similar distance, a short one only when it is clearly nearer, and a short crew
that is the only one available is still recommended. Teams whose position is
unknown rank after every team with a position, full crews first (and all tie
by call sign when the call's own location is unknown). Ties break by call sign,
so the answer is deterministic. When no team qualifies -> fallback
``no_team_available``, with ``unit_type`` still naming the eligible unit
(``community_response`` for a non-violent call, ``co_response`` for a violent one).

Call types are free strings from CAD: an unknown code routes like any other
non-phone call (by the safety screen). :data:`CALL_TYPES` is the list offered
to dispatchers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from .geo import distance_km

__all__ = [
    "AVAILABLE",
    "CALL_TYPES",
    "COMMUNITY_RESPONSE",
    "CO_RESPONSE",
    "CRISIS_CALL_DIVERSION",
    "FALLBACK_REASONS",
    "FIELD_UNIT_TYPES",
    "NO_TEAM_AVAILABLE",
    "OUTSIDE_CITY_LIMITS",
    "OUTSIDE_SERVICE_HOURS",
    "PHONE_CALL_TYPES",
    "SAFETY_RISK",
    "UNIT_TYPES",
    "RoutingDecision",
    "SafetyScreen",
    "ServiceHours",
    "TeamCandidate",
    "rank_teams",
    "route_call",
]

# Unit types ------------------------------------------------------------------------------
COMMUNITY_RESPONSE = "community_response"
CO_RESPONSE = "co_response"
CRISIS_CALL_DIVERSION = "crisis_call_diversion"  # ECC phone clinician, not a field team

UNIT_TYPES: dict[str, str] = {
    COMMUNITY_RESPONSE: "Community Response",
    CO_RESPONSE: "Co-Response",
    CRISIS_CALL_DIVERSION: "Crisis Call Diversion",
}
FIELD_UNIT_TYPES: frozenset[str] = frozenset({COMMUNITY_RESPONSE, CO_RESPONSE})

# Fallback reasons (the program's evidence of unmet need) ---------------------------------
OUTSIDE_CITY_LIMITS = "outside_city_limits"
OUTSIDE_SERVICE_HOURS = "outside_service_hours"
SAFETY_RISK = "safety_risk"
NO_TEAM_AVAILABLE = "no_team_available"

FALLBACK_REASONS: dict[str, str] = {
    OUTSIDE_CITY_LIMITS: "Outside city limits",
    OUTSIDE_SERVICE_HOURS: "Outside service hours",
    SAFETY_RISK: "Safety risk (weapons or medical emergency)",
    NO_TEAM_AVAILABLE: "No team available",
}

# Call types ------------------------------------------------------------------------------
CALL_TYPES: dict[str, str] = {
    "trespass": "Trespass",
    "mental_health_crisis": "Mental-health crisis",
    "welfare_check": "Welfare check",
    "suicidal_ideation": "Suicidal ideation (non-violent)",
    "substance_use": "Substance use",
    "intoxicated_person": "Intoxicated person",
    "homelessness": "Homelessness / quality of life",
    "panhandling": "Panhandling",
    "disturbance_nonviolent": "Disturbance (non-violent)",
    "crisis_line": "Crisis line (resolve by phone)",
    "phone_followup": "Phone follow-up",
}
PHONE_CALL_TYPES: frozenset[str] = frozenset({"crisis_line", "phone_followup"})

AVAILABLE = "available"

# How much further a short-staffed crew counts as being, when ranking by distance.
SHORT_CREW_PENALTY_KM = 2.0


# Service hours ---------------------------------------------------------------------------

_HHMM = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")


def _parse_hhmm(text: str, *, allow_24: bool, whole: str) -> int:
    """Minutes after midnight for 'HH:MM' (0..1439, or 1440 for '24:00' when allowed)."""
    m = _HHMM.match(text)
    if not m:
        raise ValueError(f"invalid service hours {whole!r}: {text.strip()!r} is not HH:MM")
    hours, minutes = int(m.group(1)), int(m.group(2))
    if minutes > 59 or hours > 24 or (hours == 24 and (minutes or not allow_24)):
        raise ValueError(f"invalid service hours {whole!r}: {text.strip()!r} is not a time of day")
    return hours * 60 + minutes


@dataclass(frozen=True)
class ServiceHours:
    """A daily window of local wall-clock time, start inclusive, end exclusive.

    ``"07:00-19:00"`` is a day window; ``"19:00-07:00"`` crosses midnight;
    ``"00:00-24:00"``, ``"always"`` or an empty string mean around the clock.
    """

    start_minute: int  # 0..1439
    end_minute: int  # 1..1440; equal to start_minute only for "always" (0, 1440)

    def __post_init__(self) -> None:
        ok = 0 <= self.start_minute < 1440 and 0 < self.end_minute <= 1440
        if not ok or (self.start_minute == self.end_minute % 1440 and not self.always):
            raise ValueError(f"invalid service hours window {self.start_minute}-{self.end_minute}")

    @classmethod
    def parse(cls, text: str | None) -> ServiceHours:
        """Parse ``HEART_SERVICE_HOURS``; raises ValueError with a clear message."""
        whole = "" if text is None else str(text)
        stripped = whole.strip().lower()
        if stripped in ("", "always", "24/7"):
            return cls(0, 1440)
        start_text, sep, end_text = stripped.partition("-")
        if not sep:
            raise ValueError(
                f"invalid service hours {whole!r}: expected 'HH:MM-HH:MM', "
                "e.g. '07:00-19:00' (or '00:00-24:00' for always)"
            )
        start = _parse_hhmm(start_text, allow_24=False, whole=whole)
        end = _parse_hhmm(end_text, allow_24=True, whole=whole)
        if start == end % 1440 and not (start == 0 and end == 1440):
            raise ValueError(
                f"invalid service hours {whole!r}: start and end are the same time; "
                "use '00:00-24:00' for around the clock"
            )
        return cls(start, end)

    @property
    def always(self) -> bool:
        return self.start_minute == 0 and self.end_minute == 1440

    @property
    def crosses_midnight(self) -> bool:
        return self.end_minute < self.start_minute

    def contains(self, when: datetime, tz: tzinfo) -> bool:
        """True when the aware datetime ``when`` falls in the window, read in ``tz``."""
        if when.tzinfo is None or when.utcoffset() is None:
            raise ValueError("service hours need an aware datetime (with a time zone)")
        if self.always:
            return True
        local = when.astimezone(tz)
        minute = local.hour * 60 + local.minute + local.second / 60 + local.microsecond / 6e7
        if self.crosses_midnight:
            return minute >= self.start_minute or minute < self.end_minute
        return self.start_minute <= minute < self.end_minute

    def __str__(self) -> str:
        def fmt(m: int) -> str:
            return f"{m // 60:02d}:{m % 60:02d}"

        return f"{fmt(self.start_minute)}-{fmt(self.end_minute)}"


# Inputs and output -----------------------------------------------------------------------


@dataclass(frozen=True)
class SafetyScreen:
    weapons: bool = False
    violence: bool = False
    medical_emergency: bool = False


@dataclass(frozen=True)
class TeamCandidate:
    call_sign: str
    unit_type: str
    status: str
    lat: float | None = None  # last known position; None = unknown
    lon: float | None = None
    full_crew: bool = True  # False: short-staffed (a role its unit type needs is missing)

    @property
    def position(self) -> tuple[float, float] | None:
        if self.lat is None or self.lon is None:
            return None
        return (self.lat, self.lon)


@dataclass(frozen=True)
class RoutingDecision:
    unit_type: str | None  # the eligible / recommended unit type; None when not HEART's
    team: str | None  # recommended team's call sign
    fallback: str | None  # one of FALLBACK_REASONS, or None when HEART takes it
    distance_km: float | None = None  # recommended team's distance from the call

    @property
    def eligible(self) -> bool:
        """HEART takes the call (a team or Crisis Call Diversion)."""
        return self.fallback is None

    def as_dict(self) -> dict[str, Any]:
        """The API's ``routing`` object."""
        return {
            "unit_type": self.unit_type,
            "team": self.team,
            "fallback": self.fallback,
        }


# Decision --------------------------------------------------------------------------------


def rank_teams(
    teams: Iterable[TeamCandidate],
    unit_types: Iterable[str],
    location: tuple[float, float] | None,
) -> list[tuple[TeamCandidate, float | None]]:
    """Available teams of the given unit types, nearest first (a short-staffed crew counts
    as SHORT_CREW_PENALTY_KM further), with their distance in km.

    Teams without a position (or every team when ``location`` is None) come
    after those with a known distance; ties break by call sign.
    """
    wanted = set(unit_types)
    ranked: list[tuple[tuple[int, float, str], TeamCandidate, float | None]] = []
    for team in teams:
        if team.status != AVAILABLE or team.unit_type not in wanted:
            continue
        pos = team.position
        dist = distance_km(location, pos) if location is not None and pos is not None else None
        short = 0.0 if team.full_crew else SHORT_CREW_PENALTY_KM
        key = (0, dist + short, team.call_sign) if dist is not None else (1, short, team.call_sign)
        ranked.append((key, team, dist))
    ranked.sort(key=lambda item: item[0])
    return [(team, dist) for _, team, dist in ranked]


def route_call(
    *,
    within_city_limits: bool,
    received_at: datetime,
    service_hours: ServiceHours | str,
    tz: tzinfo,
    safety: SafetyScreen,
    call_type: str,
    location: tuple[float, float] | None,
    teams: Sequence[TeamCandidate],
) -> RoutingDecision:
    """Decide who takes a call; see the module docstring for the rules."""
    if isinstance(service_hours, str):
        service_hours = ServiceHours.parse(service_hours)
    if received_at.tzinfo is None or received_at.utcoffset() is None:
        raise ValueError("received_at must be an aware datetime")

    if not within_city_limits:
        return RoutingDecision(None, None, OUTSIDE_CITY_LIMITS)
    if not service_hours.contains(received_at, tz):
        return RoutingDecision(None, None, OUTSIDE_SERVICE_HOURS)
    if safety.weapons or safety.medical_emergency:
        return RoutingDecision(None, None, SAFETY_RISK)

    if safety.violence:
        eligible, fallback_units = CO_RESPONSE, ()
    elif call_type in PHONE_CALL_TYPES:
        return RoutingDecision(CRISIS_CALL_DIVERSION, None, None)
    else:
        eligible, fallback_units = COMMUNITY_RESPONSE, (CO_RESPONSE,)

    for unit_types in ((eligible,), fallback_units):
        if not unit_types:
            continue
        ranked = rank_teams(teams, unit_types, location)
        if ranked:
            team, dist = ranked[0]
            return RoutingDecision(team.unit_type, team.call_sign, None, dist)
    return RoutingDecision(eligible, None, NO_TEAM_AVAILABLE)
