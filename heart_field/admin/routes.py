"""Administration: API tokens (list, revoke). Tokens are created with `flask create-token`."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from .. import tokens
from ..access import roles
from ..extensions import db
from ..models import ApiToken, Role

bp = Blueprint("admin", __name__, url_prefix="/admin")


class RevokeForm(FlaskForm):
    """Body-less, but still carries the CSRF token."""


@bp.get("/tokens")
@roles(Role.ADMIN)
def api_tokens():
    rows = db.session.scalars(
        select(ApiToken).order_by(ApiToken.revoked_at.is_not(None), ApiToken.name, ApiToken.id)
    ).all()
    return render_template("admin/tokens.html", tokens=rows, form=RevokeForm())


@bp.post("/tokens/<int:token_id>/revoke")
@roles(Role.ADMIN)
def revoke_token(token_id: int):
    token = db.session.get(ApiToken, token_id)
    if token is None:
        abort(404)
    if not RevokeForm().validate_on_submit():
        abort(400)
    tokens.revoke(db.session, token, current_user)
    flash(f"Token “{token.name}” revoked: requests with it are refused from now on.")
    return redirect(url_for("admin.api_tokens"), 303)


from . import devices  # noqa: E402,F401  the devices page (its routes join this blueprint)
