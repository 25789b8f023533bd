"""The hand-off to Care Navigation from the responder's phone.

The outcome is saved first (so clearing never waits on a referral); the referral is a second,
separate step, from the outcome form or from a call the team cleared this shift.
"""

import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from .. import audit
from ..access import load_incident, load_referral, load_team_of, roles, sees_sensitive
from ..domain import referrals
from ..domain.referrals import ReferralInput, ReferralRefused
from ..extensions import db
from ..htmx import is_partial, render_page
from ..models import Incident, Outcome, Referral, ReferralStatus, Role, User, utcnow
from .forms import ReferralForm
from .routes import _screen, bp

# "This shift": calls cleared within the last this many hours.
SHIFT_HOURS = 13


def zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["HEART_TIMEZONE"])


def handoff_context(user: User, team) -> dict:
    """What the card shows under the call: calls cleared this shift (to refer from) and the
    user's referrals still open. Neither shows personal details."""
    since = utcnow() - timedelta(hours=SHIFT_HOURS)
    referrals_made = (
        select(func.count())
        .where(Referral.incident_id == Outcome.incident_id)
        .correlate(Outcome)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(Outcome, referrals_made)
        .options(joinedload(Outcome.incident))
        .where(Outcome.team_id == team.id, Outcome.recorded_at >= since)
        .order_by(Outcome.recorded_at.desc())
        .limit(5)
    ).all()
    cleared = [outcome for outcome, _ in rows]
    counts = {outcome.incident_id: made for outcome, made in rows if made}
    mine = db.session.scalars(
        select(Referral)
        .options(joinedload(Referral.claimed_by))
        .where(Referral.made_by_id == user.id, Referral.status != ReferralStatus.CLOSED.value)
        .order_by(Referral.created_at.desc())
    ).all()
    return {"cleared": cleared, "referral_counts": counts, "my_referrals": mine}


def _cleared_by_my_team(incident_id: int) -> tuple[Incident, object]:
    """A call the user's team cleared; any other call is 404."""
    team = load_team_of(current_user)
    incident = load_incident(incident_id, current_user)
    if incident.outcome is None or incident.outcome.team_id != team.id:
        abort(404)
    return incident, team


def referral_form_page(
    incident: Incident, form: ReferralForm | None = None, status_code=200, notice=None
):
    form = form or ReferralForm(formdata=None, client_uuid=str(uuid.uuid4()))
    return render_page(
        "field/referral.html",
        "field/_referral.html",
        status_code,
        incident=incident,
        form=form,
        notice=notice,
    )


@bp.route("/calls/<int:incident_id>/referral", methods=["GET", "POST"])
@roles(Role.RESPONDER)
def referral(incident_id: int):
    """Refer to Care Navigation: consent first; a refusal is recorded on the outcome."""
    incident, team = _cleared_by_my_team(incident_id)
    form = ReferralForm()
    if not form.is_submitted():
        return referral_form_page(incident)
    if not form.validate():
        return referral_form_page(incident, form, 422)
    if not form.consented:
        referrals.record_refusal(db.session, incident, team)
        return _done(
            (
                "ok",
                f"No referral made for {incident.cad_number}: the person did not "
                "agree. The outcome records it.",
            )
        )
    try:
        made = referrals.make_referral(
            db.session, incident, team, _input(form), current_user, zone()
        )
    except ReferralRefused as refused:
        if refused.field:
            getattr(form, refused.field).errors.append(refused.message)
            return referral_form_page(incident, form, 422)
        return _screen(409, notice=("refused", refused.message))
    due = referrals.local_when(made.due_at, zone())
    return _done(
        ("ok", f"Referral {made.reference} sent to Care Navigation. First contact due by {due}.")
    )


def _input(form: ReferralForm) -> ReferralInput:
    def text(field):
        return (field.data or "").strip() or None

    return ReferralInput(
        client_uuid=form.client_uuid.data,
        person_name=form.person_name.data.strip(),
        needs=tuple(form.needs.data),
        urgency=form.urgency.data,
        phone=text(form.phone),
        other_contact=text(form.other_contact),
        best_time=text(form.best_time),
        may_leave_message=form.may_leave_message.data,
        notes=text(form.notes),
        sensitive_notes=text(form.sensitive_notes),
    )


def _done(notice):
    if is_partial():
        return _screen(notice=notice)
    flash(notice[1])
    return redirect(url_for("field.index"), code=303)


@bp.route("/referrals/<int:referral_id>")
@roles(Role.RESPONDER)
def my_referral(referral_id: int):
    """A referral the responder made, while it is open. Viewing it is audited."""
    made = load_referral(referral_id, current_user)
    audit.record(db.session, current_user, "view_referral", "referral", made.id)
    db.session.commit()
    return render_template(
        "field/my_referral.html", referral=made, sensitive=sees_sensitive(current_user)
    )
