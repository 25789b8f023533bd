"""NEMSIS v3.5 mapping: dispositions .27-.30 and times from taps."""

from datetime import UTC, datetime, timedelta

import pytest

from heart_field.domain import nemsis
from heart_field.models import DISPOSITIONS

T0 = datetime(2026, 6, 1, 13, tzinfo=UTC)


def at(minutes):
    return T0 + timedelta(minutes=minutes)


def test_a_declined_then_cancelled_team_reports_its_latest_assignment_only():
    taps = [("assign", at(1)), ("decline", at(2)), ("assign", at(5)), ("en_route", at(6))]
    taps.append(("cancel", at(9)))
    times = nemsis.times(T0, taps)
    assert (times.unit_notified, times.en_route, times.on_scene) == (at(5), at(6), None)
    assert (times.left_scene, times.back_in_service, times.unit_canceled) == (None, at(9), at(9))


def test_a_team_never_assigned_has_only_the_psap_time():
    assert nemsis.times(T0, []).by_element()["eTimes.01"] == T0
    assert set(nemsis.times(T0, []).by_element().values()) == {T0, None}


@pytest.mark.parametrize(
    ("code", "services", "transport", "expected"),
    [
        ("resolved_on_scene", ["crisis_counseling"], False, ("4228001", "4229001", "4230013")),
        ("resolved_on_scene", ["basic_needs"], False, ("4228009", "4229001", "4230013")),
        ("resolved_on_scene", [], False, ("4228005", "4229009", "4230013")),
        ("transported_voluntary", ["peer_support"], False, ("4228009", "4229001", "4230001")),
        ("referred_care_navigation", ["safety_planning"], True, ("4228001", "4229001", "4230001")),
        ("declined_services", [], False, ("4228007", "4229013", "4230009")),
        ("handed_to_ems", ["medical_check"], False, ("4228001", "4229003", "4230005")),
        ("no_person_found", [], False, ("7701001", "4229011", "4230013")),
        ("cancelled_prior_to_arrival", [], False, ("7701001", "4229011", "4230013")),
    ],
)
def test_every_disposition_maps_to_the_four_elements(code, services, transport, expected):
    known = DISPOSITIONS[code]
    mapped = nemsis.disposition(known.nemsis_code, known.nemsis_label, code, services, transport)
    assert mapped.unit == (known.nemsis_code, known.nemsis_label)
    assert (mapped.patient_evaluation[0], mapped.crew[0], mapped.transport[0]) == expected


def test_every_heart_disposition_has_a_mapping():
    for code, known in DISPOSITIONS.items():
        mapped = nemsis.disposition(known.nemsis_code, known.nemsis_label, code)
        assert all(len(pair) == 2 and pair[0].isdigit() for pair in vars(mapped).values())
