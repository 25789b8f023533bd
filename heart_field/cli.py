"""Command-line tools: flask --app app create-user | create-team | create-token | seed-demo."""

import os
from pathlib import Path

import click
from flask import Flask, current_app
from sqlalchemy import func, select

from . import audit, tokens
from .extensions import db
from .models import Discipline, Role, Team, UnitType, User
from .models.tokens import SCOPES
from .passwords import PasswordRejected, check_new_password


def init_app(app: Flask) -> None:
    app.cli.add_command(create_user)
    app.cli.add_command(create_team)
    app.cli.add_command(create_token)
    app.cli.add_command(seed_demo)
    app.cli.add_command(backup)


def _password() -> str:
    password = os.environ.get("HEART_PASSWORD")
    if password:
        return password
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def add_user(username, role, password, team=None, discipline=None, display_name=None) -> User:
    if role == Role.RESPONDER and team is None:
        raise click.UsageError("A responder needs --team.")
    user = User(
        username=username,
        display_name=display_name or username,
        role=role,
        team=team,
        discipline=discipline,
    )
    user.set_password(password)
    db.session.add(user)
    return user


@click.command("create-user")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--team", "call_sign", help="Call sign of the responder's team.")
@click.option("--discipline", type=click.Choice([d.value for d in Discipline]))
@click.option("--name", "display_name", help="Name shown to colleagues (default: username).")
def create_user(username, role, call_sign, discipline, display_name):
    """Create a user; the password comes from HEART_PASSWORD or a prompt."""
    if db.session.scalar(select(User).where(User.username == username)):
        raise click.ClickException(f"User {username} already exists.")
    team = None
    if call_sign:
        team = db.session.scalar(select(Team).where(Team.call_sign == call_sign))
        if team is None:
            raise click.ClickException(f"No team {call_sign}; create it with create-team.")
    password = _password()
    try:
        check_new_password(password, username)
    except PasswordRejected as rejected:
        raise click.ClickException(str(rejected)) from None
    user = add_user(username, role, password, team, discipline, display_name)
    db.session.flush()
    audit.record(db.session, None, "grant_role", "user", user.id, detail=f"{role} (command line)")
    db.session.commit()
    click.echo(f"Created {role} {username}.")


@click.command("create-team")
@click.argument("call_sign")
@click.option("--unit", required=True, type=click.Choice([u.value for u in UnitType]))
def create_team(call_sign, unit):
    """Create a field team (unit), off duty until it is logged on."""
    if db.session.scalar(select(Team).where(Team.call_sign == call_sign)):
        raise click.ClickException(f"Team {call_sign} already exists.")
    db.session.add(Team(call_sign=call_sign, unit_type=unit))
    db.session.commit()
    click.echo(f"Created team {call_sign} ({unit}), off duty until logged on.")


@click.command("create-token")
@click.argument("name")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    type=click.Choice(list(SCOPES)),
    help="What the token may do; repeat for several. Default: all three.",
)
def create_token(name, scopes):
    """Create an API bearer token for NAME (e.g. "Durham ECC CAD") and print it, once."""
    name = name.strip()
    if not name or len(name) > 80:
        raise click.UsageError("Give the token a name of 1 to 80 characters.")
    token, secret = tokens.issue(db.session, name, scopes=scopes or None)
    click.echo(f"Scopes: {token.scopes}", err=True)
    click.echo(
        f"API token for {name} (shown once; store it in the CAD system's secrets):", err=True
    )
    click.echo(secret)


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing, successfully, when users exist.")
def seed_demo(if_empty):
    """Fill an empty database with a demo shift (password for all: HEART_PASSWORD or 'demo-shift').
    With --if-empty on the demo's own database, log its crews on again and print the logins."""
    from . import demo

    if db.session.scalar(select(func.count()).select_from(User)):
        if not if_empty:
            raise click.ClickException(
                "The database already has users; seed-demo fills only an empty one."
            )
        if not demo.is_demo(db.session):
            click.echo("The database already has users; demo data left as it is.")
            return
        logged_on = demo.log_on_demo_crews(db.session)
        click.echo(
            "Demo shift: "
            + (f"logged on {', '.join(logged_on)}." if logged_on else "its units are on duty.")
        )
    else:
        demo.seed(db.session, os.environ.get("HEART_PASSWORD", "demo-shift"))
        click.echo("Demo shift created, its crews logged on.")
    hours = current_app.config.get("HEART_DEMO_HOURS")
    if hours:
        click.echo(
            f"It is outside HEART's service hours ({hours[0]}, {current_app.config['HEART_TIMEZONE']}):"
            f" this demo uses service hours {hours[1]} so calls can be worked now."
        )
    click.echo("Sign in as:")
    for username, role in demo.logins():
        click.echo(f"  {username:<12} {role}")


@click.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
def backup(target):
    """Copy the SQLite database to TARGET while the app runs (SQLite's online backup)."""
    from .backup import BackupRefused, backup_sqlite

    try:
        counts = backup_sqlite(db.engine, target)
    except BackupRefused as refused:
        raise click.ClickException(str(refused)) from None
    click.echo(f"Backed up to {target}: " + ", ".join(f"{n} {t}" for t, n in counts.items()))
