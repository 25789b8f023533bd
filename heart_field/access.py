"""Who may use each route, and which objects each user may see.

Every view declares its rule with @public or @roles(...). One before_request hook enforces
the rules, and refuses any view that declares none (tests/web/test_access.py walks the URL
map so a new route without a rule fails). Object checks live in the load_* helpers, so no
view forgets them: a call that is not the user's answers 404, never revealing it exists.
"""

from collections.abc import Callable

from flask import abort, current_app, flash, g, jsonify, redirect, request, session, url_for
from flask_login import current_user, logout_user
from sqlalchemy import select, update

from . import audit
from .extensions import db, login_manager
from .models import Incident, Referral, ReferralStatus, Role, Team, User, UserSession, utcnow

PUBLIC = "public"
# Checked by the API blueprint itself (bearer token), not by the session.
API_TOKEN = "api_token"
ALL_SIGNED_IN = tuple(Role)


def public(view: Callable) -> Callable:
    view.access_rule = PUBLIC
    return view


def api_token(view: Callable) -> Callable:
    view.access_rule = API_TOKEN
    return view


def roles(*allowed: str) -> Callable[[Callable], Callable]:
    """Only signed-in users with one of these roles may use the view."""

    def decorate(view: Callable) -> Callable:
        view.access_rule = tuple(Role(r) for r in allowed)
        return view

    return decorate


def rule_for(endpoint: str):
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "access_rule", None)


def enforce_access_rules():
    """before_request hook: applies the view's declared rule."""
    if request.endpoint is None or request.endpoint == "static":
        return None
    rule = rule_for(request.endpoint)
    if rule is None:
        current_app.logger.error("route %s declares no access rule", request.endpoint)
        abort(403)
    expired = _end_session_past_its_lifetime()
    if rule in (PUBLIC, API_TOKEN):
        return None
    if expired or not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_user.role not in rule:
        abort(403)
    return None


def _end_session_past_its_lifetime() -> bool:
    """Sign out a session older than its absolute lifetime, however recently it was used."""
    if not current_user.is_authenticated:
        return False
    row = g.get("user_session")
    max_age = current_app.config["HEART_SESSION_MAX_AGE"]
    if row is None or utcnow() - row.created_at <= max_age:
        return False
    audit.record(db.session, current_user, "session_expired", "user", current_user.id)
    db.session.execute(
        update(UserSession)
        .where(UserSession.id == row.id, UserSession.ended_at.is_(None))
        .values(ended_at=utcnow(), end_reason="expired")
    )
    db.session.commit()
    logout_user()
    session.clear()
    g.pop("user_session", None)
    flash("Your sign-in has expired: sign-ins last one shift. Sign in again.")
    return True


@login_manager.unauthorized_handler
def unauthorized():
    """No open session: pages go to sign in; htmx and JSON requests get 401 (htmx is told
    where to go), never a sign-in page swapped into part of a screen."""
    login_url = url_for(login_manager.login_view)
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        return jsonify(error="unauthorized", message="Sign in first."), 401
    if request.headers.get("HX-Request") == "true":
        response = current_app.response_class("", status=401)
        response.headers["HX-Redirect"] = login_url
        return response
    return redirect(url_for(login_manager.login_view, next=request.full_path.rstrip("?")))


def load_team_of(user: User) -> Team:
    """The unit the responder is on a shift on; between shifts they have nothing to work."""
    if user.open_shift is None:
        abort(404)
    return user.open_shift.team


def working_team_id(user: User) -> int | None:
    """The unit of the responder's shift now, or their home unit between shifts."""
    return user.open_shift.team_id if user.open_shift is not None else user.team_id


def load_incident(incident_id: int, user: User) -> Incident:
    """An incident the user may see: dispatch and supervisors see all, a responder only
    the calls their team has been sent to."""
    incident = db.session.get(Incident, incident_id)
    if incident is None or not can_see_incident(user, incident):
        abort(404)
    return incident


def can_see_incident(user: User, incident: Incident) -> bool:
    if user.role in (Role.DISPATCHER, Role.SUPERVISOR):
        return True
    if user.role == Role.RESPONDER:
        mine = {user.team_id, working_team_id(user)} - {None}
        return any(a.team_id in mine for a in incident.assignments)
    return False


def load_referral(referral_id: int, user: User) -> Referral:
    """A referral the user may see: navigators and supervisors see all, a responder only the
    referrals they made, until the referral is closed."""
    referral = db.session.get(Referral, referral_id)
    if referral is None or not can_see_referral(user, referral):
        abort(404)
    return referral


def can_see_referral(user: User, referral: Referral) -> bool:
    if user.role in (Role.NAVIGATOR, Role.SUPERVISOR):
        return True
    if user.role == Role.RESPONDER:
        return referral.made_by_id == user.id and referral.status != ReferralStatus.CLOSED
    return False


def sees_sensitive(user: User) -> bool:
    """Substance-use details (42 CFR Part 2) are shown to navigators alone."""
    return user.role == Role.NAVIGATOR


def team_by_call_sign(call_sign: str) -> Team | None:
    return db.session.scalar(select(Team).where(Team.call_sign == call_sign))
