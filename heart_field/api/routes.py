"""Endpoints of /api/v1. Views parse (via @operation), call the domain, and answer JSON."""

import uuid

from flask import Blueprint, current_app, g, jsonify, request
from flask_limiter.util import get_remote_address
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from .. import tokens
from ..access import API_TOKEN, api_token, public, rule_for, team_by_call_sign
from ..domain import feed, intake, status
from ..domain.status import Action, Tap, TransitionRefused
from ..extensions import csrf, db, limiter
from ..models import Incident, Team
from .openapi import ApiError, current_document, operation
from .schemas import (
    AssignIn,
    EventOut,
    EventPage,
    EventQuery,
    GeofenceIn,
    GeofenceOut,
    IncidentDetail,
    IncidentIn,
    IncidentList,
    IncidentOut,
    IncidentQuery,
    Routing,
    TeamList,
    TeamOut,
)

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # no cookies here: a bearer token cannot be forged by another site


def _rate_key() -> str:
    """Each token has its own budget; the key is a hash, never the token itself."""
    header = request.headers.get("Authorization")
    return "token:" + tokens.hash_token(header) if header else "ip:" + get_remote_address()


limiter.limit(lambda: current_app.config["HEART_API_RATE_LIMIT"], key_func=_rate_key)(bp)


@bp.before_request
def require_token():
    if rule_for(request.endpoint) != API_TOKEN:
        return
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret:
        raise _unauthorized("Send the header Authorization: Bearer <token>.")
    token = tokens.authenticate(db.session, secret)
    if token is None:
        raise _unauthorized("That token is unknown or has been revoked.")
    g.api_token = token


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": "Bearer"})


@bp.errorhandler(ApiError)
def api_error(error: ApiError):
    return error.response()


def http_error(error: HTTPException):
    """Anything Flask or Werkzeug raises inside the API answers in the API's own shape."""
    code = (error.name or "error").lower().replace(" ", "_")
    messages = {
        413: "The body is larger than 1 MB.",
        415: "Send the body as application/json.",
        429: "Too many requests for this token. Wait and retry.",
    }
    answer = ApiError(error.code or 500, code, messages.get(error.code, error.description or code))
    response = answer.response()
    for key, value in error.get_headers():
        if key.lower() != "content-type":
            response.headers[key] = value
    return response


# Per code, so these win over the app's own handlers for the same codes.
for _code in (400, 401, 403, 404, 405, 409, 413, 415, 422, 429):
    bp.register_error_handler(_code, http_error)


# Incidents -------------------------------------------------------------------------------


@bp.post("/incidents")
@api_token
@operation(
    "Take a call from CAD",
    body=IncidentIn,
    responses={201: IncidentOut, 200: IncidentOut},
    errors=(409,),
    description=(
        "Creates the incident, tests its location against the city limits and recommends a "
        "team, or records why another responder must go. Coordinates are used as given; the "
        "address is geocoded only when they are missing. Posting the same `cad_number` with "
        "the same body again answers 200 with the same incident; with a different body, 409."
    ),
)
def create_incident(body: IncidentIn):
    data = _intake(body)
    existing = _incident_by_cad(data.cad_number)
    if existing is None:
        try:
            return incident_out(intake.create_incident(db.session, data, actor=None)), 201
        except IntegrityError:  # the same CAD number raced in from another request
            db.session.rollback()
            existing = _incident_by_cad(data.cad_number)
            if existing is None:
                raise
    if existing.intake_fingerprint != intake.fingerprint(data):
        raise ApiError(
            409,
            "cad_number_conflict",
            f"Call {data.cad_number} was already taken in with different details.",
        )
    return incident_out(existing), 200


def _intake(body: IncidentIn) -> intake.IncidentInput:
    fields = body.model_dump(exclude={"safety"}, exclude_unset=True)
    return intake.IncidentInput(**fields, **body.safety.model_dump())


def _incident_by_cad(cad_number: str) -> Incident | None:
    return db.session.scalar(select(Incident).where(Incident.cad_number == cad_number))


@bp.post("/incidents/<int:incident_id>/assign")
@api_token
@operation(
    "Assign a team to a call",
    body=AssignIn,
    responses={200: IncidentDetail},
    errors=(409,),
    description="404 `team_not_found` when no team has that call sign; 409 when the team "
    "is not available or the call is not waiting for a team.",
)
def assign_team(incident_id: int, body: AssignIn):
    incident = _incident_or_404(incident_id)
    team = team_by_call_sign(body.team)
    if team is None:
        raise ApiError(404, "team_not_found", f"There is no team called {body.team}.")
    tap = Tap(action=Action.ASSIGN, client_uuid=str(uuid.uuid4()), incident_id=incident.id)
    try:
        status.apply(db.session, team, tap, actor=None)
    except TransitionRefused as refused:
        raise ApiError(409, refused.code, refused.message) from None
    db.session.refresh(incident)
    return incident_detail(incident)


@bp.get("/incidents/<int:incident_id>")
@api_token
@operation("One call: its status, team and disposition", responses={200: IncidentDetail})
def get_incident(incident_id: int):
    return incident_detail(_incident_or_404(incident_id))


@bp.get("/incidents")
@api_token
@operation(
    "Calls, optionally in one status, oldest first",
    query=IncidentQuery,
    responses={200: IncidentList},
)
def list_incidents(query: IncidentQuery):
    statement = select(Incident).order_by(Incident.id).limit(query.limit)
    if query.status is not None:
        statement = statement.where(Incident.status == query.status)
    return IncidentList(incidents=[incident_detail(i) for i in db.session.scalars(statement)])


def _incident_or_404(incident_id: int) -> Incident:
    incident = db.session.get(Incident, incident_id)
    if incident is None:
        raise ApiError(404, "not_found", f"There is no incident {incident_id}.")
    return incident


def incident_out(incident: Incident) -> IncidentOut:
    return IncidentOut(**_incident_fields(incident))


def incident_detail(incident: Incident) -> IncidentDetail:
    assignment = incident.current_assignment
    return IncidentDetail(
        **_incident_fields(incident),
        call_type=incident.call_type,
        priority=incident.priority,
        address=incident.address,
        status=incident.status,
        team=assignment.team.call_sign if assignment else None,
        disposition=incident.outcome.disposition if incident.outcome else None,
        received_at=incident.received_at,
    )


def _incident_fields(incident: Incident) -> dict:
    return dict(
        id=incident.id,
        cad_number=incident.cad_number,
        within_city_limits=incident.within_city_limits,
        lat=incident.lat,
        lon=incident.lon,
        routing=Routing(
            unit_type=incident.recommended_unit_type,
            team=incident.recommended_team.call_sign if incident.recommended_team else None,
            fallback=incident.fallback_reason,
        ),
    )


# Teams, geofence, events -----------------------------------------------------------------


@bp.get("/teams")
@api_token
@operation("Every team's status and since when", responses={200: TeamList})
def list_teams():
    rows = db.session.scalars(select(Team).order_by(Team.call_sign))
    return TeamList(
        teams=[
            TeamOut(
                call_sign=t.call_sign, unit_type=t.unit_type, status=t.status, since=t.status_since
            )
            for t in rows
        ]
    )


@bp.post("/geofence")
@api_token
@operation(
    "Is this point or address inside Durham city limits?",
    body=GeofenceIn,
    responses={200: GeofenceOut},
    errors=(404,),
    description="Coordinates are used as given; an address is geocoded when they are "
    "missing, and 404 `address_not_found` when it cannot be placed.",
)
def check_geofence(body: GeofenceIn):
    geo = intake.current()  # city limits and geocoder, built once per app
    if body.lat is not None:
        lat, lon = body.lat, body.lon
    else:
        point = geo.geocoder.geocode(body.address)
        if point is None:
            raise ApiError(404, "address_not_found", "That address could not be placed on the map.")
        lat, lon = point
    return GeofenceOut(inside=geo.city_limits.contains(lat, lon), lat=lat, lon=lon)


@bp.get("/events")
@api_token
@operation(
    "Status events after a cursor, oldest first",
    query=EventQuery,
    responses={200: EventPage},
    description="Pass the answer's `next` as `after` to read on; an empty page keeps the cursor.",
)
def list_events(query: EventQuery):
    page = [
        EventOut(
            id=e.id,
            team=e.team.call_sign,
            incident_id=e.incident_id,
            action=e.action,
            from_status=e.from_status,
            to_status=e.to_status,
            occurred_at=e.occurred_at,
            received_at=e.received_at,
        )
        for e in feed.events_after(db.session, query.after, limit=query.limit)
    ]
    return EventPage(events=page, next=page[-1].id if page else query.after)


# The document ----------------------------------------------------------------------------


@bp.get("/openapi.json")
@public
def openapi():
    """The OpenAPI 3.1 document, built from the same models that validate requests."""
    return jsonify(current_document())
