"""Signing in with a one-time link an admin issued, and choosing a password when the one in
use was temporary (or there was none). Until then, a signed-in person reaches nothing else."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from .. import audit, passwords
from ..access import ALL_SIGNED_IN, public, roles
from ..admin.people import link_hash
from ..extensions import db
from ..models import SignInLink, utcnow
from . import sessions
from .routes import bp, landing_url

# Reachable while a new password is still owed.
ALLOWED_UNTIL_CHANGED = {"auth.change_password", "auth.logout", "auth.activity", "static"}


class NewPasswordForm(FlaskForm):
    password = PasswordField(
        "New password",
        validators=[DataRequired(message="Choose a password."), Length(max=256)],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "New password again",
        validators=[EqualTo("password", message="The two passwords differ.")],
        render_kw={"autocomplete": "new-password"},
    )


@bp.before_app_request
def require_new_password():
    """A temporary password (or a sign-in link) must be replaced before anything else."""
    if (
        current_user.is_authenticated
        and current_user.must_change_password
        and request.endpoint not in ALLOWED_UNTIL_CHANGED
        and not (request.blueprint == "api")
    ):
        return redirect(url_for("auth.change_password"))
    return None


@bp.route("/login/link/<token>")
@public
def sign_in_link(token: str):
    """Sign in once with a link an admin issued; the person then chooses a password."""
    link = db.session.scalar(select(SignInLink).where(SignInLink.token_hash == link_hash(token)))
    now = utcnow()
    if link is None or link.used_at is not None or link.expires_at < now or not link.user.active:
        audit.record(
            db.session, None, "sign_in_link_refused", "user", link.user_id if link else None
        )
        db.session.commit()
        flash("That sign-in link has been used or has expired. Ask an admin for a new one.")
        return redirect(url_for("auth.login"), 303)
    link.used_at = now
    user = link.user
    user.must_change_password = True
    sessions.start(user)  # a new server-side session, as a password sign-in makes
    audit.record(db.session, user, "sign_in_link", "user", user.id, f"from {request.remote_addr}")
    db.session.commit()
    return redirect(url_for("auth.change_password"), 303)


@bp.route("/password", methods=["GET", "POST"])
@roles(*ALL_SIGNED_IN)
def change_password():
    """Choose a new password (required after a temporary password or a sign-in link)."""
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            passwords.check_new_password(form.password.data, current_user.username)
        except passwords.PasswordRejected as rejected:
            form.password.errors.append(str(rejected))
        else:
            current_user.set_password(form.password.data)
            current_user.must_change_password = False
            audit.record(db.session, current_user, "change_password", "user", current_user.id)
            db.session.commit()
            flash("Password changed.")
            return redirect(landing_url(current_user), 303)
    status = 422 if form.is_submitted() else 200
    return render_template("auth/password.html", form=form), status
