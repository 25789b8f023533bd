"""The audit trail: supervisors and admins search who signed in, viewed or exported what."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, request
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DateField, SelectField, StringField
from wtforms.validators import Length, Optional, ValidationError

from ..access import roles
from ..choices import choices
from ..extensions import db
from ..htmx import render_page
from ..models import AuditEvent, Role, User

bp = Blueprint("audit", __name__, url_prefix="/reports/audit")

PER_PAGE = 50

ACTION_LABELS = {
    "sign_in": "Signed in",
    "sign_out": "Signed out",
    "sign_in_failed": "Failed sign-in",
    "sign_in_throttled": "Sign-in held (too many attempts)",
    "session_expired": "Sign-in expired",
}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action.replace("_", " ").capitalize())


class AuditSearchForm(FlaskForm):
    class Meta:
        csrf = False  # a search changes nothing

    actor = StringField("Who (username)", validators=[Optional(), Length(max=64)])
    action = SelectField("What", validators=[Optional()])
    object_type = SelectField("Record type", validators=[Optional()])
    object_id = StringField("Record id", validators=[Optional(), Length(max=64)])
    since = DateField("From", validators=[Optional()])
    until = DateField("To", validators=[Optional()])

    def validate_until(self, field):
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError("The end date is before the start date.")


def _distinct(column) -> list[str]:
    return list(db.session.scalars(select(column).distinct().order_by(column)))


@bp.route("/")
@roles(Role.SUPERVISOR, Role.ADMIN)
def index():
    form = AuditSearchForm(request.args)
    form.action.choices = choices(
        {a: action_label(a) for a in _distinct(AuditEvent.action)}, blank="Any action"
    )
    form.object_type.choices = choices(
        {t: t.replace("_", " ") for t in _distinct(AuditEvent.object_type)}, blank="Any record"
    )
    if not form.validate():
        return render_page(
            "reports/audit.html",
            "reports/_audit_results.html",
            422,
            form=form,
            results=None,
            action_label=action_label,
        )
    query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if form.actor.data:
        query = query.join(User, User.id == AuditEvent.actor_id).where(
            User.username == form.actor.data.strip()
        )
    if form.action.data:
        query = query.where(AuditEvent.action == form.action.data)
    if form.object_type.data:
        query = query.where(AuditEvent.object_type == form.object_type.data)
    if form.object_id.data:
        query = query.where(AuditEvent.object_id == form.object_id.data.strip())
    zone = ZoneInfo(current_app.config["HEART_TIMEZONE"])
    if form.since.data:
        query = query.where(AuditEvent.at >= datetime.combine(form.since.data, time(), zone))
    if form.until.data:
        end = datetime.combine(form.until.data + timedelta(days=1), time(), zone)
        query = query.where(AuditEvent.at < end)
    results = db.paginate(query, per_page=PER_PAGE, error_out=False, count=True)
    actor_ids = {e.actor_id for e in results.items if e.actor_id is not None}
    usernames = dict(
        db.session.execute(select(User.id, User.username).where(User.id.in_(actor_ids))).all()
    )
    return render_page(
        "reports/audit.html",
        "reports/_audit_results.html",
        form=form,
        results=results,
        usernames=usernames,
        action_label=action_label,
    )
