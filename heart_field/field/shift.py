"""Start shift and End shift on the phone, and joining the home unit's crew on sign-in.

A responder whose home unit is on duty joins its crew when they sign in (no tap). One whose
home unit is off duty, or who has none, sees `Start shift`: they pick a unit and their role,
and the unit comes on duty if it was off. `End shift` ends it; the last of the crew logs the
unit off (refused, with the reason, while the unit holds a call).
"""

from flask import flash, redirect, session, url_for
from flask_login import current_user, user_logged_in
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField
from wtforms.validators import InputRequired

from ..access import roles, team_by_call_sign
from ..choices import choices
from ..domain import shifts
from ..domain.shifts import ShiftRefused
from ..extensions import db
from ..htmx import is_partial, render_page
from ..models import CrewRole, Role, TeamStatus
from .routes import bp

# Set when the person ends a shift in this sign-in, so the field page does not put them
# straight back on their home unit's crew.
SHIFT_ENDED = "shift_ended"


class StartShiftForm(FlaskForm):
    team = SelectField("Unit", validators=[InputRequired(message="Choose the unit.")])
    role = RadioField(
        "Your role on the crew",
        choices=choices({r.value: r.label for r in CrewRole}),
        validators=[InputRequired(message="Choose your role on the crew.")],
    )


class EndShiftForm(FlaskForm):
    """Body-less, but still carries the CSRF token."""


def join_on_sign_in(_app, user, **_extra) -> None:
    """Flask-Login's signal: a responder whose home unit is on duty joins its crew."""
    session.pop(SHIFT_ENDED, None)
    shifts.join_home_unit(db.session, user)


user_logged_in.connect(join_on_sign_in, weak=False)


@bp.app_template_global()
def crew_missing(team) -> list[CrewRole]:
    """The roles the unit's crew lacks now (the phone's crew list and the board)."""
    return shifts.missing(team, team.crew)


def join_home_unit_unless_ended() -> None:
    """The field page: join the home unit's crew, unless this sign-in ended a shift."""
    if current_user.open_shift is None and not session.get(SHIFT_ENDED):
        shifts.join_home_unit(db.session, current_user)


def start_form() -> StartShiftForm:
    form = StartShiftForm()
    # Every unit, so one of the wrong kind is refused with the reason rather than missing.
    units = shifts.open_units(db.session)
    form.team.choices = choices(
        {
            t.call_sign: f"{t.call_sign} · "
            + ("off duty" if t.status == TeamStatus.OFF_DUTY else "on duty")
            + f" · {t.unit_label}"
            for t in units
        },
        blank="Choose a unit",
    )
    if not form.is_submitted():
        home = current_user.team
        form.team.data = home.call_sign if home in units else ""
        own = shifts.role_of(current_user)
        form.role.data = own.value if own else None
    return form


def start_screen(status_code=200, notice=None, form=None):
    """The phone between shifts: `Start shift`."""
    return render_page(
        "field/shift_start.html",
        "field/_shift_start.html",
        status_code,
        form=form or start_form(),
        notice=notice,
    )


def not_on_shift(made_for: str | None):
    """A tap from someone not on a shift (the unit was logged off, or the shift ended while
    it waited offline): 409 with the reason, on the Start shift screen."""
    team = team_by_call_sign(made_for) if made_for else None
    if team is not None and team.status == TeamStatus.OFF_DUTY:
        reason = f"Not applied. {team.call_sign} is off duty (its shift has ended)."
    else:
        reason = "Not applied. You are not on a shift: start one first."
    return start_screen(409, notice=("refused", reason))


@bp.route("/shift", methods=["GET", "POST"])
@roles(Role.RESPONDER)
def start_shift():
    """Start shift: pick a unit and a role; the unit comes on duty if it was off."""
    if current_user.open_shift is not None:
        return redirect(url_for("field.index"), code=303)
    form = start_form()
    if not form.is_submitted():
        return start_screen(form=form)
    if not form.validate():
        return start_screen(422, form=form)
    team = team_by_call_sign(form.team.data)
    try:
        shifts.start_shift(db.session, current_user, team, form.role.data)
    except ShiftRefused as refused:
        form.team.errors = [refused.message] if refused.code == "wrong_unit" else []
        if refused.code != "wrong_unit":
            form.role.errors = [refused.message]
        return start_screen(409, form=form, notice=("refused", refused.message))
    session.pop(SHIFT_ENDED, None)
    return redirect(url_for("field.index"), code=303)


@bp.route("/shift/end", methods=["POST"])
@roles(Role.RESPONDER)
def end_shift():
    """End shift. The last of the crew logs the unit off, unless it holds a call."""
    from .routes import _screen

    if not EndShiftForm().validate():
        return _screen(422, notice=("error", "That request could not be read. Reload the page."))
    try:
        ended = shifts.end_shift(db.session, current_user)
    except ShiftRefused as refused:
        if current_user.open_shift is None:
            return start_screen(409, notice=("refused", refused.message))
        return _screen(409, notice=("refused", f"Shift not ended. {refused.message}"))
    session[SHIFT_ENDED] = True
    message = f"Shift on {ended.team.call_sign} ended." + (
        f" {ended.team.call_sign} is now off duty." if ended.logged_off else ""
    )
    if is_partial():
        return start_screen(notice=("ok", message))
    flash(message)
    return redirect(url_for("field.index"), code=303)
