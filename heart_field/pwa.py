"""What makes the responder's screen an installable app: the service worker and the favicon.

The worker's cache is named after a hash of every file under static/, taken at start-up, so a
deploy that changes any asset installs a new worker, which drops the old cache.
"""

import hashlib
import mimetypes
from pathlib import Path

from flask import Blueprint, Flask, current_app, send_from_directory

from .access import public

bp = Blueprint("pwa", __name__)

mimetypes.add_type("application/manifest+json", ".webmanifest")


def static_build_id(static_folder: str) -> str:
    """A short hash of the names and contents of every static file."""
    digest = hashlib.sha256()
    root = Path(static_folder)
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def init_app(app: Flask) -> None:
    app.config["HEART_BUILD"] = static_build_id(app.static_folder)
    app.register_blueprint(bp)


@bp.route("/sw.js")
@public
def service_worker():
    source = (Path(current_app.static_folder) / "js" / "sw.js").read_text()
    body = source.replace("__HEART_BUILD__", current_app.config["HEART_BUILD"])
    response = current_app.response_class(body, mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = "/"
    # Browsers check for a new worker on each visit; never let a cache hide a deploy.
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/favicon.ico")
@public
def favicon():
    return send_from_directory(
        Path(current_app.static_folder) / "icons",
        "favicon.ico",
        mimetype="image/vnd.microsoft.icon",
        max_age=86400,
    )
