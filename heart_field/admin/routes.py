"""Administration: API tokens (list, set scopes, revoke). Tokens are created with
`flask create-token`."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField

from .. import tokens
from ..access import roles
from ..extensions import db
from ..models import ApiToken, Role
from ..models.tokens import SCOPES

bp = Blueprint("admin", __name__, url_prefix="/admin")


class RevokeForm(FlaskForm):
    """Body-less, but still carries the CSRF token."""


@bp.get("/tokens")
@roles(Role.ADMIN)
def api_tokens():
    rows = db.session.scalars(
        select(ApiToken).order_by(ApiToken.revoked_at.is_not(None), ApiToken.name, ApiToken.id)
    ).all()
    scope_forms = {t.id: ScopesForm.for_token(t) for t in rows if t.active}
    return render_template(
        "admin/tokens.html", tokens=rows, form=RevokeForm(), scope_forms=scope_forms
    )


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


class ScopesForm(FlaskForm):
    """What one token may do (one form per token on the page; ids made unique there)."""

    create_incidents = BooleanField(SCOPES["create_incidents"])
    read_status = BooleanField(SCOPES["read_status"])
    read_personal = BooleanField(SCOPES["read_personal"])

    @classmethod
    def for_token(cls, token: ApiToken, formdata=None) -> "ScopesForm":
        data = {name: token.allows(name) for name in SCOPES}
        return cls(formdata=formdata, data=data)

    def chosen(self) -> list[str]:
        return [name for name in SCOPES if self[name].data]


@bp.post("/tokens/<int:token_id>/scopes")
@roles(Role.ADMIN)
def set_token_scopes(token_id: int):
    token = db.session.get(ApiToken, token_id)
    if token is None or not token.active:
        abort(404)
    form = ScopesForm.for_token(token, formdata=request.form)
    if not form.validate_on_submit():
        abort(400)
    tokens.set_scopes(db.session, token, form.chosen())
    names = ", ".join(SCOPES[s].lower() for s in form.chosen()) or "nothing"
    flash(f"Token “{token.name}” may now: {names}.")
    return redirect(url_for("admin.api_tokens"), 303)


from . import devices, people  # noqa: E402,F401  (their routes join this blueprint)
