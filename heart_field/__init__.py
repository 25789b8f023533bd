"""HEART Field: the app factory."""

import os
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Flask, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc as sql_errors
from werkzeug.middleware.proxy_fix import ProxyFix

from . import access, alerts, cli, delivery, headers, live, logs, pwa, settings
from .auth import idle
from .config import INSTANCE_DIR, Config
from .domain import dates
from .extensions import csrf, db, limiter, login_manager, migrate
from .models import utcnow

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def create_app(config: type[Config] | dict | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(INSTANCE_DIR),
    )
    app.config.from_object(Config)
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    _require_secret_key(app)
    settings.init_app(app)  # city limits, geocoder, service hours: a bad setting stops start-up
    from .demo import use_demo_hours

    use_demo_hours(app)  # HEART_DEMO only: service hours that cover now
    if app.debug:
        app.config["SESSION_COOKIE_SECURE"] = False  # the debug server speaks plain http
    if app.config["HEART_PROXIES"]:
        # The client's own address (for sign-in throttling) and scheme (for HSTS) as the
        # trusted proxies report them.
        hops = app.config["HEART_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    os.makedirs(app.instance_path, exist_ok=True)

    logs.init_app(app)
    db.init_app(app)
    # Registered after db.init_app, so it runs before Flask-SQLAlchemy's own teardown.
    app.teardown_appcontext(_close_session_quietly)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR))
    # Access rules run first, so a visitor is sent to sign in before any CSRF check.
    app.before_request(access.enforce_access_rules)
    app.before_request(idle.enforce_idle_lock)
    app.add_template_global(idle.idle_lock_attributes)
    csrf.init_app(app)
    # Registered before the limiter's: runs after it, so its window does not stretch a 503's wait.
    app.after_request(_keep_unavailable_retry_after)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."

    from .admin.routes import bp as admin_bp
    from .api.routes import bp as api_bp
    from .auth.routes import bp as auth_bp
    from .dispatch.routes import bp as dispatch_bp
    from .field.routes import bp as field_bp
    from .live import bp as live_bp
    from .navigation.routes import bp as navigation_bp
    from .places.routes import bp as places_bp
    from .reports.audit import bp as audit_bp
    from .reports.routes import bp as reports_bp

    for blueprint in (
        auth_bp,
        field_bp,
        dispatch_bp,
        live_bp,
        navigation_bp,
        reports_bp,
        audit_bp,
        api_bp,
        admin_bp,
        places_bp,
    ):
        app.register_blueprint(blueprint)

    pwa.init_app(app)
    delivery.init_app(app)
    live.init_app(app)
    alerts.init_app(app)

    app.after_request(_vary_on_htmx)
    headers.init_app(app)
    _register_error_handlers(app)
    _register_template_filters(app)
    cli.init_app(app)
    return app


def _require_secret_key(app: Flask) -> None:
    if app.config.get("SECRET_KEY"):
        return
    if app.debug or app.testing or os.environ.get("FLASK_DEBUG") == "1":
        app.config["SECRET_KEY"] = os.urandom(32).hex()
        return
    raise RuntimeError("SECRET_KEY must be set (see README, Configuration).")


def _vary_on_htmx(response):
    """Pages answer htmx with a fragment: no cache may serve one for the other."""
    response.vary.add("HX-Request")
    return response


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


# Seconds a client should wait before trying again while the database is unreachable.
RETRY_AFTER_SECONDS = 5
UNAVAILABLE = "The database is unavailable just now. Try again in a few seconds."


# The database cannot be reached (down, restarting, a dropped connection, a full pool, SQLite
# busy past its timeout), as opposed to a bug in a query.
DATABASE_UNAVAILABLE = (
    sql_errors.OperationalError,
    sql_errors.InterfaceError,
    sql_errors.DisconnectionError,
    sql_errors.TimeoutError,
)


def _database_unavailable(error: Exception) -> bool:
    return isinstance(error, DATABASE_UNAVAILABLE)


def _keep_unavailable_retry_after(response):
    if response.status_code == 503 and g.get("database_unavailable"):
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _close_session_quietly(_error) -> None:
    """End the request's session; if the database went away meanwhile, the rollback that ends
    it fails: log that and drop the session, so the answer already made is still sent."""
    try:
        db.session.remove()
    except Exception as error:  # noqa: BLE001 - teardown must not replace the answer
        logs.log.warning("database session closed uncleanly: %s", type(error).__name__)
        db.session.registry.clear()


def _register_error_handlers(app: Flask) -> None:
    messages = {
        400: "The request could not be understood.",
        403: "You do not have access to this page.",
        404: "Nothing here. It may have been moved, or you may not have access to it.",
        405: "That action is not allowed here.",
        409: "That was changed by someone else. The current state is shown.",
        413: "That request is too large.",
        422: "Some fields need attention.",
        429: "Too many attempts. Wait a moment and try again.",
        500: "Something went wrong on our side. Your last action may not have been saved.",
        503: UNAVAILABLE,
    }

    def page(code: int, message: str):
        """The error page; without the database (no signed-in user to show) a plain one."""
        try:
            if code != 503:
                return render_template(
                    "error.html", code=code, message=message, request_id=logs.request_id()
                )
        except Exception as error:  # noqa: BLE001 - e.g. the page needs the user, from the database
            if not _database_unavailable(error):
                raise
        return render_template(
            "error_plain.html", code=code, message=message, request_id=logs.request_id()
        )

    def handle(error):
        if getattr(error, "response", None) is not None:
            return error.response  # already answered in full (e.g. the throttled sign-in form)
        code = getattr(error, "code", 500) or 500
        message = messages.get(code, "The request could not be completed.")
        if code in (403, 404):
            # The path names record ids at most; the query string is left out.
            app.logger.info("%s %s answered %s", request.method, request.path, code)
        if isinstance(error, CSRFError):
            message = "This form has expired. Reload the page and try again."
        if _wants_json():
            name = getattr(error, "name", "error").lower().replace(" ", "_")
            response = jsonify(error=name, message=message, request_id=logs.request_id())
            # Keep what the error says about itself, e.g. Allow on 405.
            for key, value in getattr(error, "get_headers", lambda: [])():
                if key.lower() != "content-type":
                    response.headers[key] = value
            return response, code
        return page(code, message), code

    def unavailable(error):
        """503 with Retry-After, never a bare 500: JSON for the API, a short notice for htmx
        (shown in the page's notices, the request's own target left as it is), else a page."""
        app.logger.warning(
            "%s %s: database unavailable (%s)", request.method, request.path, type(error).__name__
        )
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001, S110 - the connection is gone; teardown drops it
            pass
        g.database_unavailable = True
        # Templates get current_user from Flask-Login's context processor, which would load
        # the user from the database again: render as nobody instead.
        g._login_user = login_manager.anonymous_user()
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        if _wants_json():
            body = jsonify(error="unavailable", message=UNAVAILABLE, request_id=logs.request_id())
            return body, 503, headers
        if request.headers.get("HX-Request") == "true":
            headers.update({"HX-Retarget": ".flashes", "HX-Reswap": "innerHTML"})
            notice = render_template("_unavailable_notice.html", message=UNAVAILABLE)
            return notice, 503, headers
        return page(503, UNAVAILABLE), 503, headers

    for code in messages:
        app.register_error_handler(code, handle)
    for error in DATABASE_UNAVAILABLE:
        app.register_error_handler(error, unavailable)


def _register_template_filters(app: Flask) -> None:
    zone = ZoneInfo(app.config["HEART_TIMEZONE"])

    @app.template_filter("local_time")
    def local_time(value: datetime) -> str:
        return value.astimezone(zone).strftime("%H:%M")

    # Dates on every screen in one format (domain/dates.py).
    @app.template_filter("local_date")
    def local_date(value, year: bool = False) -> str:
        return dates.day(value, zone, year=year)

    @app.template_filter("local_when")
    def local_when(value: datetime) -> str:
        return dates.when(value, zone)

    @app.template_filter("local_date_time")
    def local_date_time(value: datetime) -> str:
        return dates.when(value, zone, seconds=True)

    @app.template_filter("elapsed")
    def elapsed(value: datetime, start: datetime) -> str:
        return dates.elapsed(value - start)

    @app.template_filter("minutes_ago")
    def minutes_ago(value: datetime) -> str:
        minutes = int((utcnow() - value).total_seconds() // 60)
        if minutes < 1:
            return "just now"
        if minutes < 60:
            return f"{minutes} min"
        return f"{minutes // 60} h {minutes % 60:02d} min"
