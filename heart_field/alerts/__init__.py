"""Call alerts (Web Push): the phone's subscription routes, the VAPID key and the sender thread.

See domain/alerts.py for what is sent to whom and sender.py for how. Settings: README,
"Call alerts".
"""

from datetime import datetime
from pathlib import Path

import click
from flask import Blueprint, Flask, current_app, jsonify, request
from flask.cli import with_appcontext
from flask_login import current_user

from ..access import roles
from ..auth import sessions
from ..domain import alerts, feed
from ..extensions import db
from ..field.backup_state import arrived_late
from ..models import PushSubscription, Role
from . import keys
from .sender import PushSender

bp = Blueprint("alerts", __name__, url_prefix="/alerts")


def init_app(app: Flask) -> None:
    key_file = Path(
        app.config.get("HEART_VAPID_KEY_FILE") or Path(app.instance_path) / "vapid_private.pem"
    )
    vapid = keys.load_or_create(app.config.get("HEART_VAPID_PRIVATE_KEY"), key_file)
    app.config["HEART_VAPID_PUBLIC_KEY"] = keys.application_server_key(vapid)
    bounds = app.extensions["heart_geo"].city_limits.bounds  # (min lon, min lat, max lon, max lat)
    centre = ((bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2)
    sender = PushSender(app, alerts.Place(centre, app.config["HEART_PUSH_PLACE_NAME"]), vapid)
    app.extensions["heart_push"] = sender
    # This process's feed writes wake its sender at once (held weakly: it lives as long as the app).
    feed.written.connect(sender.on_feed_written)
    app.register_blueprint(bp)
    app.add_template_global(device_alerts_on)
    app.add_template_global(arrived_late, "backup_arrived_late")
    app.cli.add_command(push_worker)
    if app.config["HEART_PUSH_WORKER"] and not app.testing:
        # Started by the first request each process serves: after gunicorn's fork, not before.
        # (A test starts it itself, when it wants one.)
        app.before_request(sender.ensure_running)


@click.command("push-worker")
@with_appcontext
def push_worker():
    """Send call alerts from this process, for web workers started with HEART_PUSH_WORKER=0."""
    sender = current_app.extensions["heart_push"]
    click.echo("Sending call alerts (Web Push). Stop with Ctrl+C.")
    sender.run_forever()


def _device_marker() -> str | None:
    """A subscription belongs to the device session it was made in (the server-side session
    row): ending that session, however it ends, ends its alerts (auth.sessions.end)."""
    row = sessions.current()
    return str(row.id) if row is not None else None


def _session_ends_at() -> datetime:
    return sessions.current().created_at + sessions.lifetime()


def _allowed_schemes() -> tuple[str, ...]:
    """Push services are https; a test run's own push endpoint is plain http on this machine."""
    if current_app.testing:
        return ("https://", "http://127.0.0.1:", "http://localhost:")
    return ("https://",)


def _error(status: int, code: str, message: str):
    return jsonify(error=code, message=message), status


@bp.route("/key")
@roles(Role.RESPONDER)
def public_key():
    """The server's VAPID public key, for pushManager.subscribe()."""
    return jsonify(key=current_app.config["HEART_VAPID_PUBLIC_KEY"])


def device_alerts_on() -> bool:
    """Whether this device session has a push subscription."""
    marker = _device_marker()
    if not marker or not current_user.is_authenticated:
        return False
    found = db.session.scalar(
        db.select(PushSubscription.id).where(
            PushSubscription.user_id == current_user.id,
            PushSubscription.session_marker == marker,
        )
    )
    return found is not None


@bp.route("/subscription", methods=["GET"])
@roles(Role.RESPONDER)
def subscription_state():
    """Whether this device session has alerts on."""
    return jsonify(on=device_alerts_on())


@bp.route("/subscription", methods=["POST"])
@roles(Role.RESPONDER)
def subscribe():
    """Keep this browser's push subscription for this user and device session."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _error(400, "bad_request", "Send the subscription as JSON.")
    endpoint = body.get("endpoint")
    keys_ = body.get("keys") if isinstance(body.get("keys"), dict) else {}
    p256dh, auth = keys_.get("p256dh"), keys_.get("auth")
    if not (
        isinstance(endpoint, str)
        and endpoint.startswith(_allowed_schemes())
        and len(endpoint) <= 2000
        and isinstance(p256dh, str)
        and 40 <= len(p256dh) <= 200
        and isinstance(auth, str)
        and 8 <= len(auth) <= 100
    ):
        return _error(
            422, "invalid_subscription", "That is not a push subscription this server can use."
        )
    alerts.subscribe(
        db.session, current_user, _device_marker(), endpoint, p256dh, auth, _session_ends_at()
    )
    return jsonify(on=True), 201


@bp.route("/subscription", methods=["DELETE"])
@roles(Role.RESPONDER)
def unsubscribe():
    """Alerts off on this device (the phone also unsubscribes from the push service)."""
    alerts.end_session_alerts(db.session, current_user.id, _device_marker())
    return jsonify(on=False)
