"""HEART outcomes and times in NEMSIS v3.5 terms, so the numbers compare with EMS.

Dispositions (the eDisposition.IncidentDispositionGroup):

* eDisposition.27 Unit Disposition: each HEART disposition's code (models.DISPOSITIONS);
* eDisposition.28 Patient Evaluation/Care, .29 Crew Disposition, .30 Transport Disposition:
  derived below from the disposition, the services given and whether the team transported.
  For a call with no person contact (.27 other than "Patient Contact Made") .28 is "Not
  Applicable" (NEMSIS's NOT value 7701001), as NEMSIS asks.

Times (eTimes), from one team's taps on the call, after its latest assignment:

* .01 PSAP Call: when the call was received;
* .03 Unit Notified by Dispatch: Assign; .04 Dispatch Acknowledged: Accept;
* .05 Unit En Route: En route; .06 Unit Arrived on Scene: On scene;
* .09 Unit Left Scene: Clear, when the team was on scene (HEART has no separate "left
  scene" tap: a team clears as it leaves, or on the phone afterwards);
* .13 Unit Back in Service: Clear, or the cancel/decline that released the team;
* .14 Unit Canceled: the cancel that released the team before it cleared.

Code values and labels are those of the NEMSIS v3.5.1 data dictionary (unchanged from
v3.5.0 for these elements but for .30's "Another EMS Unit/Agency" wording).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

NOT_APPLICABLE = ("7701001", "Not Applicable")
PATIENT_CONTACT = "4227001"

PATIENT_EVALUATION = {  # eDisposition.28
    "care": ("4228001", "Patient Evaluated and Care Provided"),
    "refused_care": ("4228003", "Patient Evaluated and Refused Care"),
    "no_care": ("4228005", "Patient Evaluated, No Care Required"),
    "refused": ("4228007", "Patient Refused Evaluation/Care"),
    "support": ("4228009", "Patient Support Services Provided"),
}
CREW_DISPOSITION = {  # eDisposition.29
    "primary": ("4229001", "Initiated and Continued Primary Care"),
    "transferred": ("4229003", "Initiated Primary Care and Transferred to Another EMS Crew"),
    "support": ("4229009", "Incident Support Services Provided (Including Standby)"),
    "no_care": ("4229011", "Back in Service, No Care/Support Services Required"),
    "refused": ("4229013", "Back in Service, Care/Support Services Refused"),
}
TRANSPORT_DISPOSITION = {  # eDisposition.30
    "this_unit": ("4230001", "Transport by This EMS Unit (This Crew Only)"),
    "another_unit": ("4230005", "Transport by Another EMS Unit/Agency"),
    "refused": ("4230009", "Patient Refused Transport"),
    "none": ("4230013", "No Transport"),
}
# Services that are care of a person (not only support such as food or information).
CARE_SERVICES = frozenset({"crisis_counseling", "safety_planning", "medical_check"})


@dataclass(frozen=True)
class NemsisDisposition:
    """eDisposition.27-.30 as (code, label) pairs."""

    unit: tuple[str, str]
    patient_evaluation: tuple[str, str]
    crew: tuple[str, str]
    transport: tuple[str, str]


def disposition(
    unit_code: str,
    unit_label: str,
    heart_disposition: str,
    services: Sequence[str] = (),
    transport: bool = False,
) -> NemsisDisposition:
    """The four NEMSIS disposition elements for one HEART outcome."""
    unit = (unit_code, unit_label)
    if unit_code != PATIENT_CONTACT:
        return NemsisDisposition(
            unit, NOT_APPLICABLE, CREW_DISPOSITION["no_care"], TRANSPORT_DISPOSITION["none"]
        )
    if heart_disposition == "declined_services":
        return NemsisDisposition(
            unit,
            PATIENT_EVALUATION["refused"],
            CREW_DISPOSITION["refused"],
            TRANSPORT_DISPOSITION["refused"]
            if not transport
            else TRANSPORT_DISPOSITION["this_unit"],
        )
    if heart_disposition == "handed_to_ems":
        evaluation = PATIENT_EVALUATION["care"] if services else PATIENT_EVALUATION["no_care"]
        return NemsisDisposition(
            unit, evaluation, CREW_DISPOSITION["transferred"], TRANSPORT_DISPOSITION["another_unit"]
        )
    if set(services) & CARE_SERVICES:
        evaluation = PATIENT_EVALUATION["care"]
    elif services:
        evaluation = PATIENT_EVALUATION["support"]
    else:
        evaluation = PATIENT_EVALUATION["no_care"]
    crew = CREW_DISPOSITION["primary"] if services else CREW_DISPOSITION["support"]
    moved = transport or heart_disposition == "transported_voluntary"
    return NemsisDisposition(
        unit,
        evaluation,
        crew,
        TRANSPORT_DISPOSITION["this_unit"] if moved else TRANSPORT_DISPOSITION["none"],
    )


@dataclass(frozen=True)
class NemsisTimes:
    """eTimes for one team on one call; None where the team did not get that far."""

    psap_call: datetime  # eTimes.01
    unit_notified: datetime | None = None  # eTimes.03
    dispatch_acknowledged: datetime | None = None  # eTimes.04
    en_route: datetime | None = None  # eTimes.05
    on_scene: datetime | None = None  # eTimes.06
    left_scene: datetime | None = None  # eTimes.09
    back_in_service: datetime | None = None  # eTimes.13
    unit_canceled: datetime | None = None  # eTimes.14

    ELEMENTS = (
        ("psap_call", "eTimes.01"),
        ("unit_notified", "eTimes.03"),
        ("dispatch_acknowledged", "eTimes.04"),
        ("en_route", "eTimes.05"),
        ("on_scene", "eTimes.06"),
        ("left_scene", "eTimes.09"),
        ("back_in_service", "eTimes.13"),
        ("unit_canceled", "eTimes.14"),
    )

    def by_element(self) -> dict[str, datetime | None]:
        return {element: getattr(self, name) for name, element in self.ELEMENTS}


def times(received_at: datetime, taps: Iterable[tuple[str, datetime]]) -> NemsisTimes:
    """NEMSIS times from one team's taps on one call, (action, device time), in order.
    Only the taps after the team's latest assignment count: an earlier assignment that was
    declined or cancelled is not the response being reported."""
    taps = list(taps)
    assigned = [i for i, (action, _) in enumerate(taps) if action == "assign"]
    if not assigned:
        return NemsisTimes(received_at)
    response = taps[assigned[-1] :]
    first: dict[str, datetime] = {}
    for action, moment in response:
        first.setdefault(action, moment)
    cleared = first.get("clear")
    # Taken off the call before clearing it: declined, cancelled (the assignment or the whole
    # call), reassigned or diverted to another call.
    releases = ("decline", "cancel", "cancel_call", "reassign", "divert")
    released = min((first[a] for a in releases if a in first), default=None)
    return NemsisTimes(
        psap_call=received_at,
        unit_notified=first.get("assign"),
        dispatch_acknowledged=first.get("accept"),
        en_route=first.get("en_route"),
        on_scene=first.get("on_scene"),
        left_scene=cleared if cleared and "on_scene" in first else None,
        back_in_service=cleared or released,
        unit_canceled=None if cleared else released,
    )
