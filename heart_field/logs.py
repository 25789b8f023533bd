"""Application logs: every line carries the request id ("-" outside a request, e.g. the live
feed's reader thread), and none carries personal details.

The request id (a proxy's X-Request-ID, or a new one) is sent back in the X-Request-ID
header and printed on error pages, so a user's "reference" finds the log lines. Logs name
routes and record ids, never names, phone numbers, narratives or tokens. SQL is not logged
(SQLAlchemy's loggers stay at WARNING) and SQL parameters are hidden even in error
tracebacks (hide_parameters in config.SQLALCHEMY_ENGINE_OPTIONS).
"""

import logging
import re
import uuid

from flask import Flask, g, has_request_context, request
from flask.logging import default_handler

log = logging.getLogger("heart_field")
REQUEST_ID_HEADER = "X-Request-ID"
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"


def request_id() -> str:
    return g.get("request_id", "-") if has_request_context() else "-"


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id()
        return True


def init_app(app: Flask) -> None:
    # On the handler, not the logger: records from child loggers (heart_field.live's reader
    # thread, outside any request) reach the handler without passing the logger's filters.
    # The format's default covers a handler someone adds without the filter.
    app.logger.addFilter(RequestIdFilter())  # (first use of app.logger attaches default_handler)
    if not any(isinstance(f, RequestIdFilter) for f in default_handler.filters):
        default_handler.addFilter(RequestIdFilter())
    default_handler.setFormatter(logging.Formatter(FORMAT, defaults={"request_id": "-"}))

    @app.before_request
    def assign_request_id():
        offered = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = offered if _SAFE_ID.match(offered) else uuid.uuid4().hex[:16]

    @app.after_request
    def send_request_id(response):
        if "request_id" in g:
            response.headers[REQUEST_ID_HEADER] = g.request_id
        return response
