"""Supervisors' reports."""

from flask import Blueprint, render_template

from ..access import roles
from ..models import Role

bp = Blueprint("reports", __name__, url_prefix="/reports")


@bp.route("/")
@roles(Role.SUPERVISOR)
def index():
    return render_template("reports/index.html")
