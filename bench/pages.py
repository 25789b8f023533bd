"""Server time and SQL statements per page and per tap, measured in this process with
Flask's test client.

The app runs with production settings on the benchmark's database; a SQLAlchemy event
listener counts every statement sent to the database while one request is served. No
network or browser is involved, so the time is the server's alone.
"""

import statistics
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import event
from sqlalchemy.orm import Session

from heart_field.extensions import db

from .client import VERSION, csrf_token, next_step
from .dataset import PASSWORD, LoadTeam, make_app


@dataclass(frozen=True)
class Page:
    path: str
    username: str  # who asks for it
    htmx: bool = False

    @property
    def name(self) -> str:
        return self.path + (" (htmx)" if self.htmx else "")


@dataclass(frozen=True)
class PageCost:
    page: Page
    milliseconds: float  # median of the repeats
    queries: int
    kilobytes: float


FIXED_PAGES = (
    Page("/field/", "cr1-1"),
    Page("/dispatch/", "dispatch"),
    Page("/dispatch/board", "dispatch", htmx=True),
)


def pages_for(app) -> list[Page]:
    """The fixed pages, then every report page that takes no arguments (as the reports grow)."""
    reports = sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/reports") and "GET" in (rule.methods or ()) and not rule.arguments
    )
    return [*FIXED_PAGES, *(Page(path, "supervisor") for path in reports)]


class Counted:
    """The app in this process, with every SQL statement its requests send counted, and on
    SQLite the time the write lock is held (from BEGIN IMMEDIATE to the end of the commit).
    Only the thread that makes the requests is counted (the test client serves a request in
    the caller's thread): the app's own background threads (the push sender) are not."""

    def __init__(self, url: str):
        self.app = make_app(url)
        self.statements = 0
        self.lock_seconds = 0.0
        self._locked_at: float | None = None
        self._thread = threading.get_ident()
        # Requests must not run inside an outer app context: they would share its `g`
        # (and so the signed-in user) between clients.
        with self.app.app_context():
            self.engine = db.engine

    def _count(self, _conn, _cursor, statement, *_args) -> None:
        if threading.get_ident() != self._thread:
            return
        self.statements += 1
        if statement.startswith("BEGIN IMMEDIATE"):
            self._locked_at = time.perf_counter()

    def _unlocked(self, *_args) -> None:
        if self._locked_at is not None:
            self.lock_seconds += time.perf_counter() - self._locked_at
            self._locked_at = None

    def __enter__(self) -> "Counted":
        event.listen(self.engine, "before_cursor_execute", self._count)
        event.listen(Session, "after_commit", self._unlocked)
        event.listen(Session, "after_rollback", self._unlocked)
        return self

    def __exit__(self, *_exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._count)
        event.remove(Session, "after_commit", self._unlocked)
        event.remove(Session, "after_rollback", self._unlocked)
        self.engine.dispose()

    def client(self, username: str):
        """A signed-in test client and the CSRF token of its session."""
        client = self.app.test_client()
        return client, _sign_in(client, username)

    def timed(self, request) -> tuple[float, int, object]:
        """(seconds, statements, answer) of one request; its lock time in self.lock_seconds."""
        self.statements, self.lock_seconds = 0, 0.0
        started = time.perf_counter()
        answer = request()
        return time.perf_counter() - started, self.statements, answer


def measure(url: str, repeats: int) -> list[PageCost]:
    with Counted(url) as counted:
        costs = []
        for page in pages_for(counted.app):
            client, _ = counted.client(page.username)
            headers = {"HX-Request": "true"} if page.htmx else {}
            client.get(page.path, headers=headers)  # warm: templates compiled, pool filled
            times, counts = [], []
            for _ in range(repeats):
                took, statements, answer = counted.timed(
                    lambda: client.get(page.path, headers=headers)
                )
                times.append(took)
                counts.append(statements)
                if answer.status_code != 200:
                    raise RuntimeError(f"{page.name} answered {answer.status_code}")
            costs.append(
                PageCost(
                    page, statistics.median(times) * 1000, max(counts), len(answer.data) / 1024
                )
            )
        return costs


@dataclass(frozen=True)
class TapCost:
    action: str  # accept, en_route, on_scene, clear, or assign (by the dispatcher)
    milliseconds: float  # median
    queries: int
    lock_ms: float = 0.0  # median time the SQLite write lock was held (0 on PostgreSQL)


def measure_taps(url: str, team: LoadTeam, cycles: int) -> list[TapCost]:
    """Whole cycles (assign, accept, en route, on scene, clear) by one team, as htmx sends
    them; the first cycle warms up and is not counted."""
    calls = iter(team.incident_ids[team.next_incident :])
    username, call_sign = team.username, team.call_sign
    times, counts, locks = defaultdict(list), defaultdict(list), defaultdict(list)
    with Counted(url) as counted:
        (phone, phone_token), (desk, desk_token) = (
            counted.client(username),
            counted.client("dispatch"),
        )
        card = phone.get("/field/card", headers={"HX-Request": "true"}).get_data(as_text=True)
        for cycle in range(cycles + 1):
            for _ in range(5):
                action, version = next_step(card), VERSION.search(card).group(1)
                if action == "assign":
                    data = {"csrf_token": desk_token, "team": call_sign, "version": version}
                    request = lambda: desk.post(
                        f"/dispatch/incidents/{next(calls)}/assign", data=data
                    )
                    expected = 303
                else:
                    data = {
                        "csrf_token": phone_token,
                        "version": version,
                        "client_uuid": str(uuid.uuid4()),
                    }
                    path = "/field/status"
                    if action == "clear":
                        path = "/field/outcome"
                        data.update(disposition="resolved_on_scene", people_served="1")
                    else:
                        data["action"] = action
                    request = lambda: phone.post(path, data=data, headers={"HX-Request": "true"})
                    expected = 200
                took, statements, answer = counted.timed(request)
                if answer.status_code != expected:
                    raise RuntimeError(
                        f"{action} answered {answer.status_code}: "
                        f"{answer.get_data(as_text=True)[-1500:]}"
                    )
                if cycle:
                    times[action].append(took)
                    counts[action].append(statements)
                    locks[action].append(counted.lock_seconds)
                card = (
                    answer.get_data(as_text=True)
                    if action != "assign"
                    else phone.get("/field/card", headers={"HX-Request": "true"}).get_data(
                        as_text=True
                    )
                )
    return [
        TapCost(
            a,
            statistics.median(times[a]) * 1000,
            max(counts[a]),
            statistics.median(locks[a]) * 1000,
        )
        for a in times
    ]


def measure_auth_insert(url: str, username: str, repeats: int) -> TapCost:
    """The authenticated one-insert baseline (bench/auth_baseline.py), as the taps are measured."""
    from .auth_baseline import register

    times, counts, locks = [], [], []
    with Counted(url) as counted:
        register(counted.app)
        client, token = counted.client(username)
        for n in range(repeats + 1):
            took, statements, answer = counted.timed(
                lambda: client.post(
                    "/bench/insert", data={"csrf_token": token}, headers={"HX-Request": "true"}
                )
            )
            if answer.status_code != 200:
                raise RuntimeError(f"/bench/insert answered {answer.status_code}")
            if n:  # the first warms up
                times.append(took)
                counts.append(statements)
                locks.append(counted.lock_seconds)
    return TapCost(
        "auth_insert", statistics.median(times) * 1000, max(counts), statistics.median(locks) * 1000
    )


def _sign_in(client, username: str) -> str:
    token = csrf_token(client.get("/login").get_data(as_text=True))
    answer = client.post(
        "/login", data={"csrf_token": token, "username": username, "password": PASSWORD}
    )
    if answer.status_code != 303:
        raise RuntimeError(f"signing in as {username} answered {answer.status_code}")
    # A sign-in starts a new session (and CSRF secret): the token is the landing page's. A
    # responder's landing page also joins their home unit's crew (a shift).
    return csrf_token(client.get(answer.headers["Location"]).get_data(as_text=True))
