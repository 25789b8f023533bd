"""Calls in the terms of the Harvard Kennedy School Government Performance Lab's "Measuring
What Matters" toolkit for alternative response programs (a data dictionary of 54 fields
across four data sources, and essential metrics).

The column names below are HEART Field's reading of that dictionary's fields, written
offline: the dictionary itself (a download from the GPL's site) could not be consulted
while this was built, so the exact spelling of each name is NOT verified. Correct them here
(one place) against the published dictionary; the CSV's first line says the same.

Each column is filled from data HEART Field holds; the fields the dictionary asks for that
HEART does not hold are listed in NOT_HELD and named in the CSV's coverage line.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from .nemsis import NemsisDisposition, NemsisTimes

COLUMNS = [
    "Incident ID",
    "Call Received Date/Time",
    "Call Type",
    "Call Priority",
    "Within Service Area",
    "Eligible for Alternative Response",
    "Reason Not Dispatched",
    "Responding Unit",
    "Responding Unit Type",
    "Dispatch Date/Time",
    "Acknowledged Date/Time",
    "En Route Date/Time",
    "On Scene Date/Time",
    "Clear Date/Time",
    "Response Time (min)",
    "Time on Scene (min)",
    "Disposition",
    "People Served",
    "Services Provided",
    "Transported",
    "Police Requested",
    "EMS Requested",
    "Referral Made",
    "Referral Declined",
    # NEMSIS v3.5 equivalents, for comparison with EMS.
    "NEMSIS eDisposition.27",
    "NEMSIS eDisposition.28",
    "NEMSIS eDisposition.29",
    "NEMSIS eDisposition.30",
]

NOT_HELD = [
    "Call Source (911, 311, 988, direct line)",
    "Call Answered Date/Time",
    "Caller Relationship to Person in Crisis",
    "Person Age",
    "Person Gender",
    "Person Race/Ethnicity",
    "Repeat Client Identifier",
    "Injuries",
    "Arrest or Citation",
    "Use of Force",
    "Follow-Up Outcome (service connection confirmed)",
]

COVERAGE = (
    "# Measuring What Matters (Harvard GPL) columns, names unverified against the published "
    "dictionary (see README); fields HEART Field does not hold: " + "; ".join(NOT_HELD)
)


@dataclass(frozen=True)
class CallFacts:
    """One call with what the row needs (the caller builds it from the database)."""

    cad_number: str
    received_at: datetime
    call_type_label: str
    priority: int
    within_city_limits: bool | None
    eligible: bool | None
    fallback_label: str
    call_sign: str | None
    unit_label: str
    times: NemsisTimes
    disposition_label: str | None
    nemsis: NemsisDisposition | None
    people_served: int | None
    services: list[str]
    transport: bool | None
    police_requested: bool | None
    ems_requested: bool | None
    referral_made: bool
    referral_declined: bool | None


def row(call: CallFacts, zone: ZoneInfo) -> list:
    t = call.times

    def local(moment: datetime | None) -> str | None:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S") if moment else None

    def minutes(start: datetime | None, end: datetime | None) -> float | None:
        return (end - start).total_seconds() / 60 if start and end else None

    nemsis = call.nemsis
    return [
        call.cad_number,
        local(call.received_at),
        call.call_type_label,
        call.priority,
        call.within_city_limits,
        call.eligible,
        call.fallback_label,
        call.call_sign,
        call.unit_label,
        local(t.unit_notified),
        local(t.dispatch_acknowledged),
        local(t.en_route),
        local(t.on_scene),
        local(t.back_in_service if t.unit_canceled is None else None),
        minutes(call.received_at, t.on_scene),
        minutes(t.on_scene, t.left_scene),
        call.disposition_label,
        call.people_served,
        "; ".join(call.services) or None,
        call.transport,
        call.police_requested,
        call.ems_requested,
        call.referral_made,
        call.referral_declined,
        *(f"{code} {label}" if nemsis else None for code, label in _codes(nemsis)),
    ]


def _codes(nemsis: NemsisDisposition | None):
    if nemsis is None:
        return [(None, None)] * 4
    return [nemsis.unit, nemsis.patient_evaluation, nemsis.crew, nemsis.transport]
