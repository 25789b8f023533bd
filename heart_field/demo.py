"""A believable demo shift: four teams, the people on them, and a few open calls.

Addresses and coordinates are real Durham address points from the bundled gazetteer.
"""

import dataclasses
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from .domain import shifts
from .domain.referrals import due_time
from .domain.routing import ServiceHours
from .models import (
    Assignment,
    FollowUpAttempt,
    Incident,
    Outcome,
    Referral,
    ReferralClosure,
    Role,
    ServiceConnection,
    Team,
    UnitType,
    User,
    utcnow,
)

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
    ("navigator2", Role.NAVIGATOR, "Omar Navigator"),
    ("supervisor", Role.SUPERVISOR, "Sky Supervisor"),
    ("admin", Role.ADMIN, "Avery Admin"),
]

CALLS = [
    (
        "D2611270001",
        "welfare_check",
        2,
        "737 Ninth St, Durham, NC 27705",
        36.009004,
        -78.922177,
        "Caller worried about a man sitting outside for hours, not answering.",
    ),
    (
        "D2611270002",
        "mental_health_crisis",
        1,
        "2842 N Roxboro Rd, Durham, NC 27704",
        36.027748,
        -78.889846,
        "Woman in distress in the parking lot, crying, asked for help.",
    ),
    (
        "D2611270003",
        "trespass",
        3,
        "1831 Martin Luther King Pkwy, Durham, NC 27707",
        35.960774,
        -78.958232,
        "Person sleeping in the store entrance; staff ask for help.",
    ),
]


def logins() -> list[tuple[str, str]]:
    """(username, what they are) for every demo login, in the order seed makes them."""
    found = []
    for call_sign, unit, _ in TEAMS:
        for n, discipline in enumerate(MEMBERS[unit][: len(PEOPLE[call_sign])], start=1):
            username = f"{call_sign.lower().replace('-', '')}-{n}"
            found.append((username, f"responder, {call_sign}, {discipline.replace('_', ' ')}"))
    return found + [(username, role.value) for username, role, _ in STAFF]


def is_demo(session: Session) -> bool:
    """The database holds the demo shift (its dispatcher and first responder)."""
    names = set(
        session.scalars(select(User.username).where(User.username.in_(["dispatch", "cr1-1"])))
    )
    return names == {"dispatch", "cr1-1"}


def log_on_demo_crews(session: Session) -> list[str]:
    """Each demo unit's home crew starts a shift on it (the unit comes on duty), so a call
    can be worked at once; answers the call signs logged on. Units on duty are left as
    they are, and so is anyone already on a shift."""
    logged_on = []
    for call_sign, _, _ in TEAMS:
        team = session.scalar(select(Team).where(Team.call_sign == call_sign))
        if team is None or team.retired_at is not None or team.status != "off_duty":
            continue
        members = session.scalars(
            select(User).where(User.team_id == team.id, User.active).order_by(User.username)
        ).all()
        for member in members:
            if member.open_shift is None:
                try:
                    shifts.start_shift(session, member, team)
                except shifts.ShiftRefused:
                    continue
        session.refresh(team)
        if team.status != "off_duty":
            logged_on.append(call_sign)
    return logged_on


def demo_service_hours(hours: ServiceHours, zone, now: datetime) -> ServiceHours | None:
    """Outside HEART's service hours, twelve demo hours from the start of the hour before
    this one (so the demo's calls, received minutes ago, fall inside them even just after the
    hour), and a newcomer can work a call at any time; None when HEART's own hours cover now."""
    if hours.contains(now, zone):
        return None
    start = (now.astimezone(zone).hour - 1) % 24 * 60
    return ServiceHours(start, (start + 720) % 1440 or 1440)


def use_demo_hours(app) -> None:
    """With HEART_DEMO set (dev.py run), replace service hours that exclude now by demo
    hours that cover it; HEART_DEMO_HOURS then holds (HEART's hours, the demo's) for the
    start-up message and the board."""
    app.config["HEART_DEMO_HOURS"] = None
    if not app.config.get("HEART_DEMO"):
        return
    geo = app.extensions["heart_geo"]
    demo = demo_service_hours(geo.service_hours, geo.zone, utcnow())
    if demo is not None:
        app.extensions["heart_geo"] = dataclasses.replace(geo, service_hours=demo)
        app.config["HEART_DEMO_HOURS"] = (str(geo.service_hours), str(demo))


def seed(session: Session, password: str) -> list[tuple[str, str]]:
    """Create the shift; returns (username, role) for each login."""
    logins = []
    for call_sign, unit, (lat, lon) in TEAMS:
        team = Team(
            call_sign=call_sign,
            unit_type=unit.value,
            last_lat=lat,
            last_lon=lon,
            position_at=utcnow(),
        )
        session.add(team)
        for n, (name, discipline) in enumerate(zip(PEOPLE[call_sign], MEMBERS[unit]), start=1):
            username = f"{call_sign.lower().replace('-', '')}-{n}"
            _user(session, username, name, Role.RESPONDER, password, team, discipline)
            logins.append((username, f"responder, {call_sign}, {discipline.replace('_', ' ')}"))
    for username, role, name in STAFF:
        _user(session, username, name, role, password)
        logins.append((username, role.value))
    now = utcnow()
    _seed_referrals(session, now)
    for minutes_ago, (cad, call_type, priority, address, lat, lon, narrative) in zip(
        (14, 6, 2), CALLS
    ):
        session.add(
            Incident(
                cad_number=cad,
                call_type=call_type,
                priority=priority,
                address=address,
                lat=lat,
                lon=lon,
                within_city_limits=True,
                narrative=narrative,
                received_at=now - timedelta(minutes=minutes_ago),
            )
        )
    session.commit()
    log_on_demo_crews(session)
    # Route the open calls as intake would have (recommendation or fallback reason).
    from . import settings
    from .domain import intake

    waiting = select(Incident).where(Incident.status == "open", Incident.lat.is_not(None))
    for incident in session.scalars(waiting):
        intake.reroute(session, incident, settings.dispatching())
    return logins


# Earlier calls that ended in a referral (fake people, fake numbers):
# (CAD, call type, address, team, maker, hours ago, name, phone, other contact, best time,
#  needs, urgency, notes, substance-use details)
REFERRED_CALLS = [
    (
        "D2611270091",
        "welfare_check",
        "300 N Roxboro St, Durham, NC 27701",
        "CR-1",
        "cr1-1",
        3,
        "Marcus T.",
        "919-555-0117",
        None,
        "Afternoons",
        ["housing", "food"],
        "same_day",
        "Sleeping outside the library; says his shelter bed fell through.",
        None,
    ),
    (
        "D2611270087",
        "mental_health_crisis",
        "1105 W Main St, Durham, NC 27701",
        "CR-2",
        "cr2-1",
        5,
        "Denise W.",
        "919-555-0162",
        None,
        "Before noon",
        ["mental_health", "benefits"],
        "within_48_hours",
        "Wants help restarting her disability benefits.",
        None,
    ),
    (
        "D2611250042",
        "trespass",
        "2000 Chapel Hill Rd, Durham, NC 27707",
        "CR-3",
        "cr3-1",
        51,
        "Luis R.",
        None,
        "Urban Ministries of Durham, ask at the front desk",
        "Evenings",
        ["housing", "id_documents"],
        "within_48_hours",
        "Lost his ID; needs it for a bed.",
        None,
    ),
    (
        "D2611260063",
        "mental_health_crisis",
        "2842 N Roxboro Rd, Durham, NC 27704",
        "CO-1",
        "co1-1",
        26,
        "Tasha B.",
        "919-555-0188",
        None,
        "Any time",
        ["food", "substance_use"],
        "routine",
        "Two children at home.",
        "Asked about outpatient treatment; interested.",
    ),
    (
        "D2611230019",
        "welfare_check",
        "737 Ninth St, Durham, NC 27705",
        "CR-2",
        "cr2-2",
        98,
        "Robert K.",
        "919-555-0131",
        None,
        None,
        ["housing"],
        "within_48_hours",
        None,
        None,
    ),
]


def _seed_referrals(session: Session, now) -> None:
    """A believable Care Navigation queue: unclaimed, in progress, overdue, closed."""
    zone = ZoneInfo(current_app.config["HEART_TIMEZONE"])
    session.flush()
    teams = {t.call_sign: t for t in session.scalars(select(Team))}
    users = {u.username: u for u in session.scalars(select(User))}
    made = []
    for (
        cad,
        call_type,
        address,
        call_sign,
        maker,
        hours,
        name,
        phone,
        other,
        best,
        needs,
        urgency,
        notes,
        sensitive,
    ) in REFERRED_CALLS:
        cleared = now - timedelta(hours=hours)
        team, responder = teams[call_sign], users[maker]
        incident = Incident(
            cad_number=cad,
            call_type=call_type,
            priority=2,
            address=address,
            within_city_limits=True,
            status="closed",
            received_at=cleared - timedelta(minutes=50),
            closed_at=cleared,
        )
        session.add(incident)
        session.add(
            Assignment(
                incident=incident,
                team_id=team.id,
                assigned_at=cleared - timedelta(minutes=45),
                accepted_at=cleared - timedelta(minutes=44),
                ended_at=cleared,
                end_reason="cleared",
            )
        )
        session.flush()
        session.add(
            Outcome(
                incident_id=incident.id,
                team_id=team.id,
                disposition="referred_care_navigation",
                people_served=1,
                recorded_by_id=responder.id,
                recorded_at=cleared,
            )
        )
        created = cleared + timedelta(minutes=4)
        due = due_time(urgency, created, zone)
        referral = Referral(
            incident_id=incident.id,
            team_id=team.id,
            made_by_id=responder.id,
            client_uuid=f"00000000-0000-4000-8000-{incident.id:012d}",
            consented_at=created,
            person_name=name,
            phone=phone,
            other_contact=other,
            best_time=best,
            may_leave_message=phone is not None,
            needs=needs,
            urgency=urgency,
            notes=notes,
            sensitive_notes=sensitive,
            created_at=created,
            due_at=due,
            next_action_at=due,
        )
        session.add(referral)
        made.append(referral)
    session.flush()
    _, denise, _, tasha, robert = made
    nia, omar = users["navigator"], users["navigator2"]
    denise.status, denise.claimed_by_id, denise.claimed_at = (
        "claimed",
        nia.id,
        now - timedelta(hours=4),
    )
    session.add(
        FollowUpAttempt(
            referral_id=denise.id,
            navigator_id=nia.id,
            method="phone",
            result="no_answer",
            attempted_at=now - timedelta(hours=2),
            next_attempt_at=now + timedelta(hours=2),
        )
    )
    denise.first_attempt_at, denise.next_action_at = (
        now - timedelta(hours=2),
        now + timedelta(hours=2),
    )
    tasha.status, tasha.claimed_by_id, tasha.claimed_at = (
        "claimed",
        omar.id,
        now - timedelta(hours=20),
    )
    session.add(
        FollowUpAttempt(
            referral_id=tasha.id,
            navigator_id=omar.id,
            method="phone",
            result="reached",
            attempted_at=now - timedelta(hours=18),
        )
    )
    tasha.first_attempt_at = tasha.first_contact_at = now - timedelta(hours=18)
    session.add(
        ServiceConnection(
            referral_id=tasha.id,
            service="food",
            organisation="Food Bank of Central & Eastern NC",
            connected_on=(now - timedelta(hours=17)).astimezone(zone).date(),
            recorded_by_id=omar.id,
            recorded_at=now - timedelta(hours=17),
        )
    )
    tasha.connected_at = now - timedelta(hours=17)
    robert.claimed_by_id, robert.claimed_at = nia.id, now - timedelta(hours=95)
    session.add(
        FollowUpAttempt(
            referral_id=robert.id,
            navigator_id=nia.id,
            method="phone",
            result="reached",
            attempted_at=now - timedelta(hours=90),
        )
    )
    session.add(
        ServiceConnection(
            referral_id=robert.id,
            service="housing",
            organisation="Urban Ministries of Durham",
            connected_on=(now - timedelta(hours=70)).astimezone(zone).date(),
            recorded_by_id=nia.id,
            recorded_at=now - timedelta(hours=70),
        )
    )
    robert.first_attempt_at = robert.first_contact_at = now - timedelta(hours=90)
    robert.connected_at = now - timedelta(hours=70)
    robert.status, robert.close_reason, robert.closed_by_id = "closed", "connected", nia.id
    robert.closed_at = now - timedelta(hours=70)
    session.add(
        ReferralClosure(
            referral_id=robert.id,
            closed_at=robert.closed_at,
            closed_by_id=nia.id,
            reason="connected",
        )
    )


def _user(session, username, name, role, password, team=None, discipline=None):
    user = User(
        username=username, display_name=name, role=role.value, team=team, discipline=discipline
    )
    user.set_password(password)
    session.add(user)
    return user
