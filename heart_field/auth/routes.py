"""Sign in and out; each role lands on its own page."""

import time

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from .. import alerts, audit, passwords
from ..access import ALL_SIGNED_IN, SIGNED_IN_AT, public, roles
from ..extensions import db, limiter
from ..models import Role, User
from . import idle
from .forms import LockForm, LoginForm

# Wrong passwords on the lock screen before the session is ended outright.
MAX_UNLOCK_FAILURES = 5

bp = Blueprint("auth", __name__)

LANDING = {
    Role.RESPONDER: "field.index",
    Role.DISPATCHER: "dispatch.index",
    Role.NAVIGATOR: "navigation.index",
    Role.SUPERVISOR: "reports.index",
    Role.ADMIN: "dispatch.index",
}


def landing_url(user: User) -> str:
    return url_for(LANDING[Role(user.role)])


@bp.route("/")
@public
def home():
    if current_user.is_authenticated:
        return redirect(landing_url(current_user))
    return redirect(url_for("auth.login"))


def _account() -> str:
    return "account:" + request.form.get("username", "").strip().lower()


def _failed(response) -> bool:
    return response.status_code != 303


def _too_many_attempts(_limit):
    """The sign-in page again, saying why, with 429 (and Retry-After)."""
    _record_attempt("sign_in_throttled")
    form = LoginForm()
    form.password.errors = ["Too many sign-in attempts. Wait a minute, then try again."]
    return current_app.make_response((render_template("auth/login.html", form=form), 429))


@bp.route("/login", methods=["GET", "POST"])
@public
# Only failed attempts count, per account and per address: a shift signing in is never held up.
@limiter.limit(
    lambda: current_app.config["HEART_SIGNIN_LIMIT_ACCOUNT"],
    key_func=_account,
    methods=["POST"],
    deduct_when=_failed,
    on_breach=_too_many_attempts,
    scope="signin-account",
)
@limiter.limit(
    lambda: current_app.config["HEART_SIGNIN_LIMIT_ADDRESS"],
    methods=["POST"],
    deduct_when=_failed,
    on_breach=_too_many_attempts,
    scope="signin-address",
)
def login():
    if current_user.is_authenticated:
        return redirect(landing_url(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(User.username == form.username.data.strip()))
        usable = user is not None and user.active
        if passwords.verify_password(user.password_hash if usable else None, form.password.data):
            login_user(user)
            session[SIGNED_IN_AT] = time.time()
            idle.mark_active()
            _record_attempt("sign_in", user)
            return redirect(_safe_next() or landing_url(user), code=303)
        _record_attempt("sign_in_failed", user)
        # One message for an unknown user and a wrong password: no hint which it was.
        form.password.errors.append("Username or password is not right.")
    status = 422 if form.is_submitted() else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@roles(*ALL_SIGNED_IN)
def logout():
    audit.record(db.session, current_user, "sign_out", "user", current_user.id)
    db.session.commit()
    _end_session()
    flash("You are signed out.")
    return redirect(url_for("auth.login"), code=303)


def _end_session() -> None:
    """Sign out and forget the shared-device lock state with the user."""
    alerts.end_device_alerts()  # this device gets no more call alerts
    logout_user()
    for key in ("active_at", "locked", "unlock_failures"):
        session.pop(key, None)


def _record_attempt(action: str, user: User | None = None) -> None:
    """Audit a sign-in attempt with the account it named (when it exists) and the address.
    The typed username is not kept: people type passwords into the wrong field."""
    if user is None:
        username = request.form.get("username", "").strip()
        user = (
            db.session.scalar(select(User).where(User.username == username)) if username else None
        )
    audit.record(
        db.session,
        user if action == "sign_in" else None,
        action,
        "user",
        user.id if user else None,
        detail=f"from {request.remote_addr}",
    )
    db.session.commit()


@bp.route("/lock", methods=["GET", "POST"])
@roles(*ALL_SIGNED_IN)
def lock():
    """The shared-device lock: the same person gives the password again, or signs out."""
    idle.lock()
    form = LockForm()
    if form.validate_on_submit():
        if current_user.check_password(form.password.data):
            idle.mark_active()
            session.pop("unlock_failures", None)
            return redirect(_safe_next() or landing_url(current_user), code=303)
        session["unlock_failures"] = session.get("unlock_failures", 0) + 1
        if session["unlock_failures"] >= MAX_UNLOCK_FAILURES:
            _end_session()
            flash("Signed out after too many wrong passwords.")
            return redirect(url_for("auth.login"), code=303)
        form.password.errors.append("That password is not right.")
    status = 422 if form.is_submitted() else 200
    return render_template("auth/lock.html", form=form), status


@bp.route("/activity", methods=["POST"])
@roles(*ALL_SIGNED_IN)
def activity():
    """The page saw a touch: the screen is in use (see auth/idle.py)."""
    return "", 204


def _safe_next() -> str | None:
    """Only follow a `next` that stays on this site."""
    target = request.args.get("next", "")
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None
