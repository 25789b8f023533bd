"""Signed-in devices: supervisors and admins see each person's open sessions and can sign one
out (a lost or stolen phone). The device's next request finds its session ended (auth/sessions.py)
and forgets what it stored. Every use is audited."""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .. import audit
from ..access import roles
from ..auth import idle, sessions
from ..extensions import db
from ..models import Role, User, UserSession, utcnow
from .routes import bp


class SignOutDeviceForm(FlaskForm):
    """Body-less, but still carries the CSRF token."""


def open_sessions() -> list[UserSession]:
    """Every session that still opens something: not ended, not past its lifetime."""
    since = utcnow() - sessions.lifetime()
    return list(
        db.session.scalars(
            select(UserSession)
            .join(UserSession.user)
            .where(UserSession.ended_at.is_(None), UserSession.created_at > since)
            .options(joinedload(UserSession.user).joinedload(User.team))
            .order_by(User.display_name, User.id, UserSession.last_seen_at.desc())
        )
    )


@bp.get("/devices")
@roles(Role.SUPERVISOR, Role.ADMIN)
def devices():
    rows = open_sessions()
    return render_template(
        "admin/devices.html",
        rows=rows,
        form=SignOutDeviceForm(),
        is_locked=idle.is_locked,
        this_session=sessions.current(),
    )


@bp.post("/devices/<int:session_id>/sign-out")
@roles(Role.SUPERVISOR, Role.ADMIN)
def sign_out_device(session_id: int):
    if not SignOutDeviceForm().validate_on_submit():
        abort(400)
    row = db.session.get(UserSession, session_id)
    if row is None:
        abort(404)
    if row.open:
        sessions.end(row, "signed_out_remotely", by=current_user)
        audit.record(
            db.session,
            current_user,
            "sign_out_device",
            "user_session",
            row.id,
            detail=f"user {row.user_id}, {row.device}",
        )
        db.session.commit()
        flash(f"{row.user.display_name}'s {row.device} is signed out.")
    else:
        flash(f"{row.user.display_name}'s {row.device} was already signed out.")
    return redirect(url_for("admin.devices"), 303)
