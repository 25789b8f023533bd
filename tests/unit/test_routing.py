"""Service hours and call routing (eligibility, fallback reasons, nearest team)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from geopy.distance import geodesic
from hypothesis import given
from hypothesis import strategies as st

from heart_field.domain.routing import (
    CALL_TYPES,
    CO_RESPONSE,
    COMMUNITY_RESPONSE,
    CRISIS_CALL_DIVERSION,
    FALLBACK_REASONS,
    NO_TEAM_AVAILABLE,
    OUTSIDE_CITY_LIMITS,
    OUTSIDE_SERVICE_HOURS,
    PHONE_CALL_TYPES,
    SAFETY_RISK,
    SHORT_CREW_PENALTY_KM,
    RoutingDecision,
    SafetyScreen,
    ServiceHours,
    TeamCandidate,
    rank_teams,
    route_call,
)

NY = ZoneInfo("America/New_York")
NOON = datetime(2026, 6, 15, 12, 0, tzinfo=NY)
DOWNTOWN = (35.9940, -78.8986)
SAFE = SafetyScreen(weapons=False, violence=False, medical_emergency=False)


def local(y, m, d, hh, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=NY)


# --------------------------------------------------------------------------- service hours


@pytest.mark.parametrize(
    ("text", "canonical", "always"),
    [
        ("07:00-19:00", "07:00-19:00", False),
        (" 7:30 - 19:15 ", "07:30-19:15", False),
        ("19:00-07:00", "19:00-07:00", False),
        ("00:00-24:00", "00:00-24:00", True),
        ("", "00:00-24:00", True),
        ("always", "00:00-24:00", True),
        ("22:00-24:00", "22:00-24:00", False),
    ],
)
def test_service_hours_parse(text, canonical, always):
    hours = ServiceHours.parse(text)
    assert str(hours) == canonical
    assert hours.always is always


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("7-19", "is not HH:MM"),
        ("07:00", "expected 'HH:MM-HH:MM'"),
        ("25:00-07:00", "not a time of day"),
        ("07:60-08:00", "not a time of day"),
        ("24:00-07:00", "not a time of day"),
        ("07:00-24:30", "not a time of day"),
        ("07:00-07:00", "the same time"),
        ("07:00-19:00-21:00", "HH:MM"),
        ("seven to seven", "HH:MM"),
    ],
)
def test_service_hours_invalid(text, message):
    with pytest.raises(ValueError, match=message):
        ServiceHours.parse(text)


@pytest.mark.parametrize(
    ("when", "inside"),
    [
        (local(2026, 6, 15, 6, 59), False),
        (local(2026, 6, 15, 7, 0), True),  # start inclusive
        (local(2026, 6, 15, 12, 0), True),
        (local(2026, 6, 15, 18, 59), True),
        (local(2026, 6, 15, 19, 0), False),  # end exclusive
        (datetime(2026, 6, 15, 12, 0, tzinfo=UTC), True),  # 08:00 EDT
        (datetime(2026, 6, 15, 10, 30, tzinfo=UTC), False),  # 06:30 EDT
        (datetime(2026, 6, 15, 23, 30, tzinfo=UTC), False),  # 19:30 EDT
    ],
)
def test_day_window(when, inside):
    assert ServiceHours.parse("07:00-19:00").contains(when, NY) is inside


@pytest.mark.parametrize(
    ("when", "inside"),
    [
        (local(2026, 6, 15, 18, 59), False),
        (local(2026, 6, 15, 19, 0), True),
        (local(2026, 6, 15, 23, 59), True),
        (local(2026, 6, 16, 0, 0), True),
        (local(2026, 6, 16, 3, 0), True),
        (local(2026, 6, 16, 6, 59), True),
        (local(2026, 6, 16, 7, 0), False),
        (local(2026, 6, 16, 12, 0), False),
    ],
)
def test_window_crossing_midnight(when, inside):
    assert ServiceHours.parse("19:00-07:00").contains(when, NY) is inside


def test_always_contains_every_hour():
    hours = ServiceHours.parse("00:00-24:00")
    start = datetime(2026, 3, 8, 0, 0, tzinfo=UTC)
    assert all(hours.contains(start + timedelta(minutes=37 * i), NY) for i in range(200))


@pytest.mark.parametrize(
    ("utc_time", "inside"),
    [
        # spring forward, Sunday 2026-03-08: 11:30 UTC is 07:30 EDT (would be 06:30 EST)
        (datetime(2026, 3, 8, 11, 30, tzinfo=UTC), True),
        (datetime(2026, 3, 7, 11, 30, tzinfo=UTC), False),  # the day before: 06:30 EST
        (datetime(2026, 3, 8, 22, 59, tzinfo=UTC), True),  # 18:59 EDT
        (datetime(2026, 3, 8, 23, 0, tzinfo=UTC), False),  # 19:00 EDT
        # fall back, Sunday 2026-11-01: 11:30 UTC is 06:30 EST (would be 07:30 EDT)
        (datetime(2026, 11, 1, 11, 30, tzinfo=UTC), False),
        (datetime(2026, 10, 31, 11, 30, tzinfo=UTC), True),  # the day before: 07:30 EDT
        (datetime(2026, 11, 1, 12, 0, tzinfo=UTC), True),  # 07:00 EST
        (datetime(2026, 11, 1, 23, 59, tzinfo=UTC), True),  # 18:59 EST
    ],
)
def test_day_window_on_dst_days_uses_local_wall_clock(utc_time, inside):
    assert ServiceHours.parse("07:00-19:00").contains(utc_time, NY) is inside


def test_night_window_over_the_repeated_fall_back_hour():
    hours = ServiceHours.parse("19:00-01:30")
    first_0145 = datetime(2026, 11, 1, 5, 45, tzinfo=UTC)  # 01:45 EDT
    second_0145 = datetime(2026, 11, 1, 6, 45, tzinfo=UTC)  # 01:45 EST
    first_0115 = datetime(2026, 11, 1, 5, 15, tzinfo=UTC)  # 01:15 EDT
    second_0115 = datetime(2026, 11, 1, 6, 15, tzinfo=UTC)  # 01:15 EST
    assert not hours.contains(first_0145, NY)
    assert not hours.contains(second_0145, NY)
    assert hours.contains(first_0115, NY)
    assert hours.contains(second_0115, NY)


def test_contains_rejects_naive_datetime():
    with pytest.raises(ValueError, match="aware"):
        ServiceHours.parse("07:00-19:00").contains(datetime(2026, 6, 15, 12), NY)


# --------------------------------------------------------------------------- routing rules


def team(call_sign, unit=COMMUNITY_RESPONSE, status="available", lat=None, lon=None):
    return TeamCandidate(call_sign, unit, status, lat, lon)


def near(km_north):
    """A position about km_north kilometres north of DOWNTOWN."""
    return {"lat": DOWNTOWN[0] + km_north / 111.0, "lon": DOWNTOWN[1]}


TEAMS = [
    team("CR-1", **near(3)),
    team("CR-2", **near(1)),
    team("CO-1", CO_RESPONSE, **near(0.5)),
    team("CO-2", CO_RESPONSE, **near(2)),
]


def route(**overrides):
    args = {
        "within_city_limits": True,
        "received_at": NOON,
        "service_hours": ServiceHours.parse("07:00-19:00"),
        "tz": NY,
        "safety": SAFE,
        "call_type": "trespass",
        "location": DOWNTOWN,
        "teams": TEAMS,
    }
    args.update(overrides)
    return route_call(**args)


def test_non_violent_call_goes_to_nearest_community_response():
    decision = route()
    assert decision == RoutingDecision(
        COMMUNITY_RESPONSE, "CR-2", None, pytest.approx(1.0, abs=0.05)
    )
    assert decision.eligible
    assert decision.as_dict() == {
        "unit_type": COMMUNITY_RESPONSE,
        "team": "CR-2",
        "fallback": None,
    }


def test_distance_is_geodesic_from_last_known_position():
    decision = route()
    cr2 = next(t for t in TEAMS if t.call_sign == "CR-2")
    assert decision.distance_km == pytest.approx(geodesic(DOWNTOWN, cr2.position).km)


def test_outside_city_limits_is_checked_first():
    decision = route(
        within_city_limits=False,
        received_at=local(2026, 6, 15, 3),
        safety=SafetyScreen(weapons=True, violence=True, medical_emergency=True),
    )
    assert decision == RoutingDecision(None, None, OUTSIDE_CITY_LIMITS)
    assert not decision.eligible


def test_outside_service_hours_before_safety():
    decision = route(
        received_at=local(2026, 6, 15, 20),
        safety=SafetyScreen(weapons=True, violence=False, medical_emergency=False),
    )
    assert decision == RoutingDecision(None, None, OUTSIDE_SERVICE_HOURS)


def test_service_hours_may_be_given_as_text():
    assert route(service_hours="19:00-07:00").fallback == OUTSIDE_SERVICE_HOURS
    assert route(service_hours="").team == "CR-2"


@pytest.mark.parametrize(
    "safety",
    [
        SafetyScreen(weapons=True, violence=False, medical_emergency=False),
        SafetyScreen(weapons=False, violence=False, medical_emergency=True),
        SafetyScreen(weapons=True, violence=True, medical_emergency=False),
    ],
)
def test_weapons_or_medical_emergency_is_a_safety_risk(safety):
    assert route(safety=safety) == RoutingDecision(None, None, SAFETY_RISK)
    assert route(safety=safety, call_type="crisis_line").fallback == SAFETY_RISK


def test_violence_goes_to_nearest_co_response_even_if_community_response_is_nearer():
    teams = [team("CR-1", **near(0.1)), team("CO-1", CO_RESPONSE, **near(4))]
    violent = SafetyScreen(weapons=False, violence=True, medical_emergency=False)
    decision = route(safety=violent, teams=teams)
    assert (decision.unit_type, decision.team, decision.fallback) == (
        CO_RESPONSE,
        "CO-1",
        None,
    )


def test_violence_without_a_free_co_response_team_is_no_team_available():
    violent = SafetyScreen(weapons=False, violence=True, medical_emergency=False)
    teams = [
        team("CR-1", **near(0.1)),
        team("CO-1", CO_RESPONSE, "on_scene", **near(1)),
    ]
    assert route(safety=violent, teams=teams) == RoutingDecision(
        CO_RESPONSE, None, NO_TEAM_AVAILABLE
    )


def test_busy_teams_are_skipped():
    teams = [
        team("CR-1", status="en_route", **near(0.1)),
        team("CR-2", status="out_of_service", **near(0.2)),
        team("CR-3", **near(5)),
    ]
    assert route(teams=teams).team == "CR-3"


def test_free_co_response_team_takes_a_non_violent_call_when_no_community_response():
    teams = [
        team("CR-1", status="assigned", **near(0.1)),
        team("CO-2", CO_RESPONSE, **near(3)),
        team("CO-1", CO_RESPONSE, **near(2)),
    ]
    decision = route(teams=teams)
    assert (decision.unit_type, decision.team, decision.fallback) == (
        CO_RESPONSE,
        "CO-1",
        None,
    )


@pytest.mark.parametrize(
    "teams",
    [
        [],
        [team("CR-1", status="on_scene", **near(1))],
        [team("CCD", CRISIS_CALL_DIVERSION, **near(0))],
    ],
    ids=["no-teams", "all-busy", "only-phone-clinicians"],
)
def test_no_team_available(teams):
    assert route(teams=teams) == RoutingDecision(COMMUNITY_RESPONSE, None, NO_TEAM_AVAILABLE)


@pytest.mark.parametrize("call_type", sorted(PHONE_CALL_TYPES))
def test_phone_resolvable_call_goes_to_crisis_call_diversion(call_type):
    assert route(call_type=call_type) == RoutingDecision(CRISIS_CALL_DIVERSION, None, None)
    # even when no field team is free: the ECC clinician takes it
    assert route(call_type=call_type, teams=[]).fallback is None


def test_phone_call_with_violence_needs_co_response():
    violent = SafetyScreen(weapons=False, violence=True, medical_emergency=False)
    assert route(call_type="crisis_line", safety=violent).unit_type == CO_RESPONSE


def test_every_offered_call_type_routes_to_heart_in_hours():
    for code in CALL_TYPES:
        decision = route(call_type=code)
        expected = CRISIS_CALL_DIVERSION if code in PHONE_CALL_TYPES else COMMUNITY_RESPONSE
        assert decision.unit_type == expected, code
        assert decision.fallback is None, code


def test_phone_call_types_are_offered_and_reasons_are_labelled():
    assert set(CALL_TYPES) >= PHONE_CALL_TYPES
    assert {
        OUTSIDE_CITY_LIMITS,
        OUTSIDE_SERVICE_HOURS,
        SAFETY_RISK,
        NO_TEAM_AVAILABLE,
    } == set(FALLBACK_REASONS)


def test_unknown_call_type_routes_by_safety_screen():
    assert route(call_type="something_new").team == "CR-2"


def test_teams_without_position_rank_after_those_with_one():
    teams = [team("CR-A"), team("CR-Z", **near(20))]
    decision = route(teams=teams)
    assert decision.team == "CR-Z"
    assert decision.distance_km == pytest.approx(20, abs=0.5)
    assert route(teams=[team("CR-A")]).team == "CR-A"
    assert route(teams=[team("CR-A")]).distance_km is None


def test_unknown_call_location_picks_deterministically_by_call_sign():
    teams = [team("CR-B", **near(1)), team("CR-A", **near(9))]
    decision = route(location=None, teams=teams)
    assert (decision.team, decision.distance_km) == ("CR-A", None)


def test_ties_break_by_call_sign():
    teams = [team("CR-B", **near(1)), team("CR-A", **near(1))]
    assert route(teams=teams).team == "CR-A"


def test_naive_received_at_is_rejected():
    with pytest.raises(ValueError, match="aware"):
        route(received_at=datetime(2026, 6, 15, 12))


# --------------------------------------------------------------------------- property

positions = st.one_of(
    st.none(),
    st.tuples(
        st.floats(min_value=35.85, max_value=36.15),
        st.floats(min_value=-79.05, max_value=-78.70),
    ),
)
teams_strategy = st.lists(
    st.builds(
        lambda i, unit, status, pos: TeamCandidate(
            f"T-{i}", unit, status, *(pos if pos else (None, None))
        ),
        st.integers(min_value=0, max_value=99),
        st.sampled_from([COMMUNITY_RESPONSE, CO_RESPONSE]),
        st.sampled_from(["available", "assigned", "en_route", "on_scene", "out_of_service"]),
        positions,
    ),
    max_size=12,
    unique_by=lambda t: t.call_sign,
)


@given(
    teams=teams_strategy,
    location=st.tuples(
        st.floats(min_value=35.87, max_value=36.13),
        st.floats(min_value=-79.0, max_value=-78.76),
    ),
    violence=st.booleans(),
)
def test_recommended_team_is_never_farther_than_another_eligible_available_team(
    teams, location, violence
):
    safety = SafetyScreen(weapons=False, violence=violence, medical_emergency=False)
    decision = route(teams=teams, location=location, safety=safety)
    available = [t for t in teams if t.status == "available"]
    if violence:
        eligible = [t for t in available if t.unit_type == CO_RESPONSE]
    else:
        eligible = [t for t in available if t.unit_type == COMMUNITY_RESPONSE] or [
            t for t in available if t.unit_type == CO_RESPONSE
        ]
    if not eligible:
        assert decision.team is None
        assert decision.fallback == NO_TEAM_AVAILABLE
        return
    chosen = next(t for t in eligible if t.call_sign == decision.team)
    assert decision.unit_type == chosen.unit_type
    with_position = [t for t in eligible if t.position is not None]
    if with_position:
        assert chosen.position is not None
        chosen_km = geodesic(location, chosen.position).km
        assert decision.distance_km == pytest.approx(chosen_km)
        for other in with_position:
            assert chosen_km <= geodesic(location, other.position).km + 1e-9


def test_rank_teams_orders_by_distance_then_unknown():
    ranked = rank_teams([*TEAMS, team("CR-X")], [COMMUNITY_RESPONSE], DOWNTOWN)
    assert [t.call_sign for t, _ in ranked] == ["CR-2", "CR-1", "CR-X"]
    assert ranked[-1][1] is None
    assert ranked[0][1] < ranked[1][1]


# --------------------------------------------------------------------------- shifts and crews


def test_an_off_duty_unit_is_never_recommended_however_near():
    teams = [team("CR-1", status="off_duty", **near(0.1)), team("CR-2", **near(5))]
    assert route(teams=teams).team == "CR-2"
    only_off = [team("CR-1", status="off_duty", **near(0.1))]
    assert route(teams=only_off) == RoutingDecision(COMMUNITY_RESPONSE, None, NO_TEAM_AVAILABLE)


def short(call_sign, **where):
    return TeamCandidate(call_sign, COMMUNITY_RESPONSE, "available", full_crew=False, **where)


def test_a_full_crew_is_preferred_to_a_short_one_at_similar_distance():
    """The short crew is 1 km nearer: within SHORT_CREW_PENALTY_KM, so the full crew goes."""
    teams = [short("CR-1", **near(1)), team("CR-2", **near(2))]
    decision = route(teams=teams)
    assert decision.team == "CR-2"
    assert decision.distance_km == pytest.approx(2.0, abs=0.05)  # the real distance


def test_a_short_crew_clearly_nearer_still_goes():
    teams = [short("CR-1", **near(0.5)), team("CR-2", **near(0.5 + SHORT_CREW_PENALTY_KM + 1))]
    assert route(teams=teams).team == "CR-1"


def test_the_only_available_crew_is_recommended_though_short():
    teams = [short("CR-1", **near(4)), team("CR-2", status="off_duty", **near(1))]
    assert route(teams=teams).team == "CR-1"
    assert route(teams=[short("CR-1")]).team == "CR-1"  # position unknown too
