"""Administration of people and units in the browser: create and deactivate people, set
their role, discipline and home unit, issue a one-time sign-in link or a temporary password
(changed at first sign-in), create and retire units. Every change is audited. The CLI
(create-user, create-team) stays for scripting."""

import hashlib
import secrets
from datetime import timedelta

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Regexp

from .. import audit
from ..access import roles
from ..choices import choices
from ..extensions import db
from ..models import Discipline, Role, SignInLink, Team, TeamStatus, UnitType, User, utcnow
from ..models.people import DISCIPLINE_LABELS
from .routes import bp

SIGN_IN_LINK_HOURS = 24


def link_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class PersonForm(FlaskForm):
    username = StringField(
        "Username",
        validators=[
            DataRequired(message="Give a username."),
            Length(max=64),
            Regexp(r"^[a-z0-9][a-z0-9._-]*$", message="Lower-case letters, digits, . _ - only."),
        ],
    )
    display_name = StringField(
        "Name shown to colleagues",
        validators=[DataRequired(message="Give a name."), Length(max=120)],
    )
    role = SelectField("Role", choices=choices({r.value: r.value.capitalize() for r in Role}))
    discipline = SelectField(
        "Discipline",
        choices=choices({d.value: DISCIPLINE_LABELS[d] for d in Discipline}, blank="None"),
    )
    team = SelectField("Home unit", choices=[])


class EditForm(FlaskForm):
    role = SelectField("Role", choices=choices({r.value: r.value.capitalize() for r in Role}))
    discipline = SelectField(
        "Discipline",
        choices=choices({d.value: DISCIPLINE_LABELS[d] for d in Discipline}, blank="None"),
    )
    team = SelectField("Home unit", choices=[])


class UnitForm(FlaskForm):
    call_sign = StringField(
        "Call sign",
        validators=[
            DataRequired(message="Give a call sign."),
            Length(max=32),
            Regexp(r"^[A-Z0-9][A-Z0-9-]*$", message="Capital letters, digits and - only."),
        ],
    )
    unit_type = SelectField("Kind of unit", choices=choices({u.value: u.label for u in UnitType}))


class ButtonForm(FlaskForm):
    """Body-less, but still carries the CSRF token."""


def _unit_choices(form) -> None:
    units = db.session.scalars(
        select(Team).where(Team.retired_at.is_(None)).order_by(Team.call_sign)
    ).all()
    form.team.choices = choices({t.call_sign: t.call_sign for t in units}, blank="None")


def _people_page(status=200, form=None, issued=None):
    form = form or PersonForm(formdata=None)
    _unit_choices(form)
    people = db.session.scalars(select(User).order_by(User.active.desc(), User.username)).all()
    edit_forms = {}
    for person in people:
        edit = EditForm(formdata=None, prefix=f"p{person.id}")
        _unit_choices(edit)
        edit.role.data = person.role
        edit.discipline.data = person.discipline or ""
        edit.team.data = person.team.call_sign if person.team else ""
        edit_forms[person.id] = edit
    return render_template(
        "admin/people.html",
        people=people,
        form=form,
        edit_forms=edit_forms,
        button=ButtonForm(),
        issued=issued,
    ), status


def _team(call_sign: str | None) -> Team | None:
    if not call_sign:
        return None
    return db.session.scalar(
        select(Team).where(Team.call_sign == call_sign, Team.retired_at.is_(None))
    )


def _person(user_id: int) -> User:
    person = db.session.get(User, user_id)
    if person is None:
        abort(404)
    return person


@bp.get("/people")
@roles(Role.ADMIN)
def people():
    return _people_page()


@bp.post("/people")
@roles(Role.ADMIN)
def create_person():
    """A new person, with no password until a sign-in link or temporary password is issued."""
    form = PersonForm()
    _unit_choices(form)
    if not form.validate():
        return _people_page(422, form=form)
    if db.session.scalar(select(User.id).where(User.username == form.username.data)):
        form.username.errors.append("Someone already has that username.")
        return _people_page(422, form=form)
    person = User(
        username=form.username.data,
        display_name=form.display_name.data.strip(),
        role=form.role.data,
        discipline=form.discipline.data or None,
        team=_team(form.team.data),
        must_change_password=True,
    )
    # Unknown to anyone: unusable until an admin issues a sign-in link or temporary password.
    person.set_password(secrets.token_urlsafe(32))
    db.session.add(person)
    db.session.flush()
    audit.record(
        db.session, current_user, "create_user", "user", person.id, detail=_describe(person)
    )
    db.session.commit()
    flash(f"{person.username} created. Issue a sign-in link or a temporary password next.")
    return redirect(url_for("admin.people"), 303)


def _describe(person: User) -> str:
    unit = person.team.call_sign if person.team else "no home unit"
    return f"role {person.role}, discipline {person.discipline or 'none'}, {unit}"


@bp.post("/people/<int:user_id>")
@roles(Role.ADMIN)
def edit_person(user_id: int):
    """Set a person's role, discipline and home unit."""
    person = _person(user_id)
    form = EditForm(prefix=f"p{person.id}")
    _unit_choices(form)
    if not form.validate():
        flash("That change could not be read. Try again.")
        return redirect(url_for("admin.people"), 303)
    if person.id == current_user.id and form.role.data != Role.ADMIN:
        flash("You cannot take away your own admin role.")
        return redirect(url_for("admin.people"), 303)
    person.role = form.role.data
    person.discipline = form.discipline.data or None
    person.team = _team(form.team.data)
    audit.record(db.session, current_user, "change_user", "user", person.id, _describe(person))
    db.session.commit()
    flash(f"{person.username} updated.")
    return redirect(url_for("admin.people"), 303)


@bp.post("/people/<int:user_id>/deactivate")
@roles(Role.ADMIN)
def deactivate_person(user_id: int):
    """A deactivated person cannot sign in, and their sessions stop working."""
    person = _person(user_id)
    if not ButtonForm().validate():
        abort(400)
    if person.id == current_user.id:
        flash("You cannot deactivate yourself.")
        return redirect(url_for("admin.people"), 303)
    person.active = False
    audit.record(db.session, current_user, "deactivate_user", "user", person.id)
    db.session.commit()
    flash(f"{person.username} deactivated.")
    return redirect(url_for("admin.people"), 303)


@bp.post("/people/<int:user_id>/activate")
@roles(Role.ADMIN)
def activate_person(user_id: int):
    person = _person(user_id)
    if not ButtonForm().validate():
        abort(400)
    person.active = True
    audit.record(db.session, current_user, "activate_user", "user", person.id)
    db.session.commit()
    flash(f"{person.username} active again.")
    return redirect(url_for("admin.people"), 303)


@bp.post("/people/<int:user_id>/sign-in-link")
@roles(Role.ADMIN)
def issue_sign_in_link(user_id: int):
    """A link that signs the person in once, within 24 hours; they then choose a password.
    Shown once: only its hash is kept."""
    person = _person(user_id)
    if not ButtonForm().validate():
        abort(400)
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(
        SignInLink(
            user_id=person.id,
            token_hash=link_hash(token),
            created_by_id=current_user.id,
            created_at=now,
            expires_at=now + timedelta(hours=SIGN_IN_LINK_HOURS),
        )
    )
    person.must_change_password = True
    audit.record(db.session, current_user, "issue_sign_in_link", "user", person.id)
    db.session.commit()
    link = url_for("auth.sign_in_link", token=token, _external=True)
    return _people_page(issued=(person, "One-time sign-in link (24 hours)", link))


@bp.post("/people/<int:user_id>/temporary-password")
@roles(Role.ADMIN)
def issue_temporary_password(user_id: int):
    """A temporary password, shown once, that must be changed at the next sign-in."""
    person = _person(user_id)
    if not ButtonForm().validate():
        abort(400)
    password = "-".join(secrets.token_urlsafe(6) for _ in range(3))
    person.set_password(password)
    person.must_change_password = True
    audit.record(db.session, current_user, "issue_temporary_password", "user", person.id)
    db.session.commit()
    return _people_page(issued=(person, "Temporary password", password))


# Units --------------------------------------------------------------------------------------


def _units_page(status=200, form=None):
    units = db.session.scalars(
        select(Team).order_by(Team.retired_at.is_not(None), Team.call_sign)
    ).all()
    return render_template(
        "admin/units.html", units=units, form=form or UnitForm(formdata=None), button=ButtonForm()
    ), status


@bp.get("/units")
@roles(Role.ADMIN)
def units():
    return _units_page()


@bp.post("/units")
@roles(Role.ADMIN)
def create_unit():
    """A new unit, off duty until it is logged on."""
    form = UnitForm()
    if not form.validate():
        return _units_page(422, form)
    if db.session.scalar(select(Team.id).where(Team.call_sign == form.call_sign.data)):
        form.call_sign.errors.append("A unit already has that call sign.")
        return _units_page(422, form)
    team = Team(call_sign=form.call_sign.data, unit_type=form.unit_type.data)
    db.session.add(team)
    db.session.flush()
    audit.record(db.session, current_user, "create_unit", "team", team.id, team.unit_type)
    db.session.commit()
    flash(f"{team.call_sign} created, off duty.")
    return redirect(url_for("admin.units"), 303)


@bp.post("/units/<int:team_id>/retire")
@roles(Role.ADMIN)
def retire_unit(team_id: int):
    """A retired unit keeps its history but is no longer on the board; only when off duty."""
    team = db.session.get(Team, team_id)
    if team is None:
        abort(404)
    if not ButtonForm().validate():
        abort(400)
    if team.status != TeamStatus.OFF_DUTY:
        flash(f"{team.call_sign} is {team.status_label.lower()}: log it off before retiring it.")
        return _units_page(409)
    team.retired_at = utcnow()
    for member in team.members:
        member.team = None
    audit.record(db.session, current_user, "retire_unit", "team", team.id)
    db.session.commit()
    flash(f"{team.call_sign} retired.")
    return redirect(url_for("admin.units"), 303)
