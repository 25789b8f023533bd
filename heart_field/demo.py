"""A believable demo shift: four teams, the people on them, and a few open calls.

Addresses and coordinates are real Durham address points from the bundled gazetteer.
"""

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Incident, Role, Team, UnitType, User, utcnow

TEAMS = [
    # call sign, unit, last known position (lat, lon)
    ("CR-1", UnitType.COMMUNITY_RESPONSE, (35.9940, -78.8986)),  # downtown
    ("CR-2", UnitType.COMMUNITY_RESPONSE, (36.0090, -78.9222)),  # Ninth Street
    ("CR-3", UnitType.COMMUNITY_RESPONSE, (35.9742, -78.8986)),  # NCCU
    ("CO-1", UnitType.CO_RESPONSE, (36.0277, -78.8898)),  # North Roxboro
]

MEMBERS = {
    UnitType.COMMUNITY_RESPONSE: ["clinician", "peer_support", "emt"],
    UnitType.CO_RESPONSE: ["clinician", "cit_officer"],
}

PEOPLE = {
    "CR-1": ["Alex Rivera", "Jordan Blake", "Sam Okafor"],
    "CR-2": ["Priya Natarajan", "Marcus Hill", "Lena Park"],
    "CR-3": ["Dana Whitfield", "Chris Moreno", "Toni Grant"],
    "CO-1": ["Morgan Lee", "Officer Ray Daniels"],
}

STAFF = [
    ("dispatch", Role.DISPATCHER, "Casey Dispatcher"),
    ("navigator", Role.NAVIGATOR, "Nia Navigator"),
    ("supervisor", Role.SUPERVISOR, "Sky Supervisor"),
    ("admin", Role.ADMIN, "Avery Admin"),
]

CALLS = [
    ("D2611270001", "welfare_check", 2, "737 Ninth St, Durham, NC 27705", 36.009004, -78.922177,
     "Caller worried about a man sitting outside for hours, not answering."),
    ("D2611270002", "mental_health_crisis", 1, "2842 N Roxboro Rd, Durham, NC 27704",
     36.027748, -78.889846, "Woman in distress in the parking lot, crying, asked for help."),
    ("D2611270003", "trespass", 3, "1831 Martin Luther King Pkwy, Durham, NC 27707",
     35.960774, -78.958232, "Person sleeping in the store entrance; staff ask for help."),
]


def seed(session: Session, password: str) -> list[tuple[str, str]]:
    """Create the shift; returns (username, role) for each login."""
    logins = []
    for call_sign, unit, (lat, lon) in TEAMS:
        team = Team(call_sign=call_sign, unit_type=unit.value, last_lat=lat, last_lon=lon,
                    position_at=utcnow())
        session.add(team)
        for n, (name, discipline) in enumerate(zip(PEOPLE[call_sign], MEMBERS[unit]), start=1):
            username = f"{call_sign.lower().replace('-', '')}-{n}"
            _user(session, username, name, Role.RESPONDER, password, team, discipline)
            logins.append((username, f"responder, {call_sign}, {discipline.replace('_', ' ')}"))
    for username, role, name in STAFF:
        _user(session, username, name, role, password)
        logins.append((username, role.value))
    now = utcnow()
    for minutes_ago, (cad, call_type, priority, address, lat, lon, narrative) in zip(
        (14, 6, 2), CALLS
    ):
        session.add(Incident(
            cad_number=cad, call_type=call_type, priority=priority, address=address,
            lat=lat, lon=lon, within_city_limits=True, narrative=narrative,
            received_at=now - timedelta(minutes=minutes_ago),
        ))
    session.commit()
    # Route the open calls as intake would have (recommendation or fallback reason).
    from . import intake

    for incident in session.scalars(select(Incident).where(Incident.within_city_limits.is_not(None))):
        intake.reroute(session, incident)
    return logins


def _user(session, username, name, role, password, team=None, discipline=None):
    user = User(username=username, display_name=name, role=role.value, team=team,
                discipline=discipline)
    user.set_password(password)
    session.add(user)
    return user
