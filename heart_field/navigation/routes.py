"""Care Navigation: the follow-up queue."""

from flask import Blueprint, render_template

from ..access import roles
from ..models import Role

bp = Blueprint("navigation", __name__, url_prefix="/navigation")


@bp.route("/")
@roles(Role.NAVIGATOR, Role.SUPERVISOR)
def index():
    return render_template("navigation/index.html")
