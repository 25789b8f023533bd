"""Care Navigation: the follow-up queue, and working a referral from claim to close.

The queue shows no personal details; a referral's page does, and each time it is shown
(and each export) an audit event records who saw it.
"""

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, current_app, flash, redirect, request, url_for
from flask_login import current_user

from .. import audit
from ..access import load_referral, roles, sees_sensitive
from ..domain import referrals
from ..domain.referrals import QUEUE_VIEWS, ReferralRefused
from ..extensions import db
from ..htmx import is_partial, render_page
from ..models import Referral, Role, utcnow
from .forms import ActionForm, AttemptForm, CloseForm, ConnectionForm

bp = Blueprint("navigation", __name__, url_prefix="/navigation")

VIEWERS = (Role.NAVIGATOR, Role.SUPERVISOR)


def zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["HEART_TIMEZONE"])


def local_when(value: datetime) -> str:  # the app's `local_when` filter, for the CSV
    return referrals.local_when(value, zone())


def _view() -> str:
    view = request.args.get("show", "")
    if view in QUEUE_VIEWS:
        return view
    return "overdue" if current_user.role == Role.SUPERVISOR else "open"


@bp.route("/")
@roles(*VIEWERS)
def index():
    view = _view()
    now = utcnow()
    supervisor = current_user.role == Role.SUPERVISOR
    return render_page(
        "navigation/index.html",
        "navigation/_queue.html",
        referrals=referrals.queue(db.session, view, current_user, now),
        view=view,
        views=QUEUE_VIEWS,
        now=now,
        sensitive=sees_sensitive(current_user),
        load=referrals.navigator_load(db.session, now) if supervisor else None,
        totals={
            v: len(referrals.queue(db.session, v, current_user, now))
            for v in ("unclaimed", "overdue")
        },
    )


EXPORT_COLUMNS = [
    "reference",
    "status",
    "urgency",
    "created",
    "due",
    "next_action",
    "claimed_by",
    "team",
    "cad_number",
    "name",
    "phone",
    "other_contact",
    "best_time",
    "may_leave_message",
    "needs",
    "notes",
]


def _cell(value) -> str:
    """Text a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@bp.route("/export.csv")
@roles(*VIEWERS)
def export():
    """The current view of the queue with contact details, for a calling session. Audited."""
    view = _view()
    sensitive = sees_sensitive(current_user)
    rows = referrals.queue(db.session, view, current_user, utcnow())
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS + (["substance_use_details"] if sensitive else []))
    for r in rows:
        row = [
            r.reference,
            r.status_label,
            r.urgency_label,
            local_when(r.created_at),
            local_when(r.due_at),
            local_when(r.next_action_at),
            r.claimed_by.display_name if r.claimed_by else "",
            r.team.call_sign,
            r.incident.cad_number,
            r.person_name,
            r.phone,
            r.other_contact,
            r.best_time,
            "yes" if r.may_leave_message else "no",
            "; ".join(r.need_labels(sensitive)),
            r.notes,
        ]
        if sensitive:
            row.append(r.sensitive_notes)
        writer.writerow([_cell(v) for v in row])
    audit.record(
        db.session,
        current_user,
        "export_referrals",
        "referral",
        None,
        f"{len(rows)} exported, view {view}",
    )
    db.session.commit()
    stamp = utcnow().astimezone(zone()).strftime("%Y%m%d-%H%M")
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="referrals-{view}-{stamp}.csv"',
            "Cache-Control": "no-store",
        },
    )


def _detail(referral: Referral, status_code: int = 200, notice=None, **forms):
    """The referral's page. Showing it is a view of personal details: audited."""
    audit.record(db.session, current_user, "view_referral", "referral", referral.id)
    db.session.commit()
    today = utcnow().astimezone(zone()).date()
    defaults = {
        "action_form": ActionForm(),
        "attempt_form": AttemptForm(formdata=None),
        "connection_form": ConnectionForm(formdata=None, connected_on=today),
        "close_form": CloseForm(formdata=None),
    }
    defaults.update(forms)
    return render_page(
        "navigation/referral.html",
        "navigation/_referral.html",
        status_code,
        referral=referral,
        now=utcnow(),
        notice=notice,
        sensitive=sees_sensitive(current_user),
        can_work=current_user.role == Role.NAVIGATOR,
        open_form=next(iter(forms), None),
        **defaults,
    )


@bp.route("/referrals/<int:referral_id>")
@roles(*VIEWERS)
def referral(referral_id: int):
    return _detail(load_referral(referral_id, current_user))


def _act(referral_id: int, form, form_name: str, do, done: str):
    """Validate, apply through the domain, answer: 422 with the form's messages, 409 with the
    current state, or the page (htmx) / a redirect to it (303)."""
    referral = load_referral(referral_id, current_user)
    if not form.validate():
        return _detail(referral, 422, **{form_name: form})
    try:
        do(referral, form)
    except ReferralRefused as refused:
        if refused.field and hasattr(form, refused.field):
            getattr(form, refused.field).errors.append(refused.message)
            return _detail(referral, 422, **{form_name: form})
        db.session.refresh(referral)
        return _detail(referral, 409, notice=("refused", f"Not saved. {refused.message}"))
    if not is_partial():
        flash(done)
        return redirect(url_for("navigation.referral", referral_id=referral.id), code=303)
    return _detail(referral, notice=("ok", done))


@bp.route("/referrals/<int:referral_id>/claim", methods=["POST"])
@roles(Role.NAVIGATOR)
def claim(referral_id: int):
    return _act(
        referral_id,
        ActionForm(),
        "action_form",
        lambda r, f: referrals.claim(db.session, r, current_user),
        "Claimed.",
    )


@bp.route("/referrals/<int:referral_id>/attempts", methods=["POST"])
@roles(Role.NAVIGATOR)
def attempt(referral_id: int):
    def do(referral, form):
        def local(moment):
            return moment.replace(tzinfo=zone()) if moment else None

        referrals.log_attempt(
            db.session,
            referral,
            current_user,
            form.method.data,
            form.result.data,
            local(form.next_attempt_at.data),
            (form.note.data or "").strip() or None,
            attempted_at=local(form.attempted_at.data),
        )

    return _act(referral_id, AttemptForm(), "attempt_form", do, "Attempt logged.")


@bp.route("/referrals/<int:referral_id>/connections", methods=["POST"])
@roles(Role.NAVIGATOR)
def connection(referral_id: int):
    def do(referral, form):
        referrals.connect(
            db.session,
            referral,
            current_user,
            form.service.data,
            form.organisation.data.strip(),
            form.connected_on.data,
            today=utcnow().astimezone(zone()).date(),
        )

    return _act(referral_id, ConnectionForm(), "connection_form", do, "Connection recorded.")


@bp.route("/referrals/<int:referral_id>/close", methods=["POST"])
@roles(Role.NAVIGATOR)
def close(referral_id: int):
    def do(referral, form):
        referrals.close(
            db.session,
            referral,
            current_user,
            form.reason.data,
            (form.close_note.data or "").strip() or None,
        )

    return _act(referral_id, CloseForm(), "close_form", do, "Closed.")


@bp.route("/referrals/<int:referral_id>/reopen", methods=["POST"])
@roles(Role.NAVIGATOR)
def reopen(referral_id: int):
    return _act(
        referral_id,
        ActionForm(),
        "action_form",
        lambda r, f: referrals.reopen(db.session, r, current_user, zone()),
        "Reopened: back in the queue.",
    )
