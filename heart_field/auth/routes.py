"""Sign in and out, the lock screen; each role lands on its own page."""

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, logout_user
from sqlalchemy import select, update

from .. import audit, passwords
from ..access import ALL_SIGNED_IN, public, roles
from ..extensions import db
from ..models import Role, User, UserSession
from . import idle, limits, sessions
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

TOO_MANY = "Too many sign-in attempts. Wait a minute, then try again."


def landing_url(user: User) -> str:
    return url_for(LANDING[Role(user.role)])


@bp.route("/")
@public
def home():
    if current_user.is_authenticated:
        return redirect(landing_url(current_user))
    return redirect(url_for("auth.login"))


def _held(template: str, form, attempt: limits.Attempt, **context):
    """The form again, saying why, with 429 and Retry-After."""
    form.password.errors = [TOO_MANY]
    response = current_app.make_response((render_template(template, form=form, **context), 429))
    response.headers["Retry-After"] = str(attempt.retry_after)
    return response


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(landing_url(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        username = form.username.data.strip()
        # Only failed attempts count, per account and per address, in the database (every
        # worker sees them): a shift signing in is never held up.
        attempt = limits.begin(username)
        if attempt.held:
            _record_attempt("sign_in_throttled")
            return _held("auth/login.html", form, attempt)
        user = db.session.scalar(select(User).where(User.username == username))
        usable = user is not None and user.active
        if passwords.verify_password(user.password_hash if usable else None, form.password.data):
            limits.succeeded(attempt)
            sessions.start(user)
            _record_attempt("sign_in", user)  # commits the new session with it
            return redirect(safe_next(request.args.get("next")) or landing_url(user), code=303)
        limits.failed(attempt, username)
        _record_attempt("sign_in_failed", user)
        # One message for an unknown user and a wrong password: no hint which it was.
        form.password.errors.append("Username or password is not right.")
    status = 422 if form.is_submitted() else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@roles(*ALL_SIGNED_IN)
def logout():
    audit.record(db.session, current_user, "sign_out", "user", current_user.id)
    _end_session("sign_out")
    flash("You are signed out.")
    return redirect(url_for("auth.login"), code=303)


def _end_session(reason: str) -> None:
    """End the session's row (so no copy of the cookie opens anything) and forget it here."""
    row = sessions.current()
    if row is not None:
        sessions.end(row, reason)
    db.session.commit()
    logout_user()
    sessions.forget_here()


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
    """The shared-device lock. GET shows it and changes nothing; POST without a password locks
    the session (the page's idle timer, or "Lock"); POST with one is the same person unlocking.
    Wrong passwords count in the session's row and against the account's sign-in limit."""
    row = sessions.current()
    next_url = safe_next(request.args.get("next"))
    if request.method == "POST" and "password" not in request.form:  # CSRF checked already
        idle.lock(row)
        return redirect(url_for("auth.lock", next=next_url), code=303)
    form = LockForm()
    if form.validate_on_submit():
        attempt = limits.begin(current_user.username)
        if attempt.held:
            idle.lock(row)
            return _held("auth/lock.html", form, attempt)
        if current_user.check_password(form.password.data):
            limits.succeeded(attempt)
            idle.unlock(row)
            return redirect(next_url or landing_url(current_user), code=303)
        limits.failed(attempt, current_user.username)
        if _count_unlock_failure(row) >= MAX_UNLOCK_FAILURES:
            audit.record(
                db.session, current_user, "sign_out_unlock_failures", "user", current_user.id
            )
            _end_session("unlock_failures")
            flash("Signed out after too many wrong passwords.")
            return redirect(url_for("auth.login"), code=303)
        form.password.errors.append("That password is not right.")
    status = 422 if form.is_submitted() else 200
    return render_template("auth/lock.html", form=form), status


def _count_unlock_failure(row: UserSession) -> int:
    """One more wrong unlock, counted in the row in one statement (workers cannot both read 4
    and write 5); the session is locked from here on. Returns the new count."""
    db.session.execute(
        update(UserSession)
        .where(UserSession.id == row.id)
        .values(unlock_failures=UserSession.unlock_failures + 1, locked=True)
    )
    count = db.session.scalar(select(UserSession.unlock_failures).where(UserSession.id == row.id))
    db.session.commit()
    return count


@bp.route("/activity", methods=["POST"])
@roles(*ALL_SIGNED_IN)
def activity():
    """The page saw a touch: the screen is in use (see auth/idle.py)."""
    return "", 204


def safe_next(target: str | None) -> str | None:
    """A `next` that is a path on this site, or None (the role's home is used instead).
    Parsed, not matched by prefix: no scheme, no host, no backslash, no control character
    (tab, newline: browsers drop them, turning "/\\t/evil" into "//evil"), no "//"."""
    if not target or not target.startswith("/"):
        return None
    if "\\" in target or "//" in target or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return None
    try:
        parts = urlsplit(target)
    except ValueError:
        return None
    if parts.scheme or parts.netloc:
        return None
    return target


from . import first_sign_in  # noqa: E402,F401  (sign-in links, first password)
