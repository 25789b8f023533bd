"""How answers travel: compressed by the app, static files cached for a year under versioned URLs.

Responders work at the edge of coverage, so every byte counts and the embedded default must be
fast without a proxy in front:

- HTML, CSS, JavaScript, JSON and SVG are compressed (Flask-Compress: Brotli, gzip). The live
  stream (text/event-stream) is never compressed: a compressor holds bytes back until its
  block fills, which would delay events. ``HEART_COMPRESS=0`` leaves compression to a proxy.
- ``url_for('static', ...)`` adds ``?v=<hash of the file>``; a static answer whose ``v`` is
  the file's current hash is ``immutable`` for a year, so a repeat visit fetches nothing and a
  deploy changes the URL. Any other static answer, and every HTML page, is ``no-cache``:
  the browser asks again (and the page is never older than the server's).
"""

import hashlib
import os
from pathlib import Path

from flask import Flask, request
from flask.sessions import SessionInterface
from flask_compress import Compress

YEAR = 365 * 24 * 3600
IMMUTABLE = f"public, max-age={YEAR}, immutable"
REVALIDATE = "no-cache"

COMPRESSED_TYPES = [
    "text/html",
    "text/css",
    "text/javascript",
    "application/javascript",
    "application/json",
    "application/geo+json",
    "application/manifest+json",
    "image/svg+xml",
]

compress = Compress()


class StaticFilesLeaveTheSession(SessionInterface):
    """The app's own session interface, except that a static file never saves the session.

    Saving it adds ``Vary: Cookie`` (and may refresh the cookie), and a session cookie that
    changes from one answer to the next would then make every cached file a miss: the
    browser's cache, and the service worker's copy from it, would download each file again.
    """

    def __init__(self, inner: SessionInterface):
        self.inner = inner

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def open_session(self, app, request):
        return self.inner.open_session(app, request)

    def make_null_session(self, app):
        return self.inner.make_null_session(app)

    def is_null_session(self, obj):
        return self.inner.is_null_session(obj)

    def save_session(self, app, session, response):
        if request.endpoint == "static":
            return None
        return self.inner.save_session(app, session, response)


def file_hashes(static_folder: str) -> dict[str, str]:
    """Relative path -> a short hash of the file's contents, for every static file."""
    root = Path(static_folder)
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()[:10]
        for path in root.rglob("*")
        if path.is_file()
    }


def init_app(app: Flask) -> None:
    app.config.setdefault("HEART_COMPRESS", os.environ.get("HEART_COMPRESS", "1") != "0")
    # A tap with no answer after this long waits in the outbox (static/js/outbox.js).
    app.config.setdefault(
        "HEART_TAP_DEADLINE_SECONDS", float(os.environ.get("HEART_TAP_DEADLINE_SECONDS", 7))
    )
    app.session_interface = StaticFilesLeaveTheSession(app.session_interface)
    hashes = file_hashes(app.static_folder)
    app.extensions["heart_static_hashes"] = hashes

    if app.config["HEART_COMPRESS"]:
        app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED_TYPES)
        app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
        app.config.setdefault("COMPRESS_MIN_SIZE", 500)
        # Streams are never compressed: the live stream's events must leave at once.
        app.config.setdefault("COMPRESS_STREAMS", False)
        compress.init_app(app)  # registered first, so its after_request runs after ours

    @app.url_defaults
    def version_static_urls(endpoint, values):
        if endpoint == "static" and "filename" in values and "v" not in values:
            version = hashes.get(values["filename"])
            if version:
                values["v"] = version

    @app.after_request
    def cache_headers(response):
        if request.endpoint == "static":
            filename = (request.view_args or {}).get("filename", "")
            current = hashes.get(filename)
            response.headers["Vary"] = (
                "Accept-Encoding"  # not HX-Request or Cookie: a file is a file
            )
            if response.status_code in (200, 304) and current and request.args.get("v") == current:
                response.headers["Cache-Control"] = IMMUTABLE
            else:
                response.headers["Cache-Control"] = REVALIDATE
            if response.direct_passthrough and response.mimetype in COMPRESSED_TYPES:
                # Read the (small) file now, so it is compressed whole and closed with the answer.
                response.direct_passthrough = False
                response.get_data()
        elif response.mimetype == "text/html" and "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = f"{REVALIDATE}, private"
        return response
