"""An asyncio HTTP client (aiohttp) that signs in like a browser and taps like a phone.

Each responder has its own session cookie and CSRF token, read from the pages it is
served. The next step of the cycle is read from the card each tap answers with (the
buttons it offers and the team's row version), exactly as the phone's screen shows it;
when the team is available the dispatcher assigns it one of its calls through the
dispatcher's own route.
"""

import asyncio
import random
import re
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import aiohttp

from .dataset import PASSWORD, LoadTeam

CSRF_PATTERNS = (
    re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"'),
    re.compile(r'"X-CSRFToken": "([^"]+)"'),
)
VERSION = re.compile(r'data-team-version="(\d+)"')
FORM = "application/x-www-form-urlencoded"


def csrf_token(html: str) -> str:
    for pattern in CSRF_PATTERNS:
        match = pattern.search(html)
        if match:
            return match.group(1)
    raise ValueError("the page carries no CSRF token")


def next_step(card: str) -> str:
    """What the responder does next, from the buttons the card offers."""
    for action in ("accept", "en_route", "on_scene"):
        if f'name="action" value="{action}"' in card:
            return action
    if "/field/outcome" in card:
        return "clear"
    return "assign"  # no call: the dispatcher sends one


def new_session(
    connections: int = 1, keep_alive: bool = True, cookie: str | None = None
) -> aiohttp.ClientSession:
    if cookie is None:
        # unsafe=True: keep cookies for an IP-address host (127.0.0.1).
        jar, headers = aiohttp.CookieJar(unsafe=True), {}
    else:
        jar, headers = aiohttp.DummyCookieJar(), {"Cookie": cookie}
    return aiohttp.ClientSession(
        cookie_jar=jar,
        headers=headers,
        connector=aiohttp.TCPConnector(limit=connections, force_close=not keep_alive),
        timeout=aiohttp.ClientTimeout(total=60),
    )


@dataclass
class SignedIn:
    """A signed-in user's session. It sends the cookie it got at sign-in with every request
    and keeps no later change (as wrk does): the dispatcher's redirects each flash a message
    that no page ever shows, which would otherwise grow the cookie past what servers take."""

    session: aiohttp.ClientSession
    base: str
    csrf: str
    cookie: str
    landing: str  # the page the user landed on

    async def close(self) -> None:
        await self.session.close()


async def sign_in(base: str, username: str, keep_alive: bool = True) -> SignedIn:
    async with new_session() as session:
        async with session.get(f"{base}/login") as page:
            token = csrf_token(await page.text())
        async with session.post(
            f"{base}/login",
            allow_redirects=False,
            data={
                "csrf_token": token,
                "username": username,
                "password": PASSWORD,
            },
        ) as answer:
            if answer.status != 303:
                raise RuntimeError(f"signing in as {username} answered {answer.status}")
            landing = answer.headers["Location"]
        async with session.get(base + landing if landing.startswith("/") else landing) as page:
            html = await page.text()
        cookie = "; ".join(f"{c.key}={c.value}" for c in session.cookie_jar)
    return SignedIn(
        new_session(keep_alive=keep_alive, cookie=cookie), base, csrf_token(html), cookie, html
    )


@dataclass
class Responder:
    """One phone: its team, its session, and where its team is in the cycle."""

    team: LoadTeam
    signed_in: SignedIn
    version: int = 0
    step: str = "assign"

    def __post_init__(self) -> None:
        self.read_card(self.signed_in.landing)

    def read_card(self, card: str) -> None:
        match = VERSION.search(card)
        if match:
            self.version = int(match.group(1))
        self.step = next_step(card)

    async def assign(self, dispatcher: SignedIn) -> bool:
        """The dispatcher sends the team its next call (a status change, not a tap)."""
        if self.team.next_incident >= len(self.team.incident_ids):
            raise RuntimeError(f"{self.team.call_sign} has no calls left to assign")
        incident_id = self.team.incident_ids[self.team.next_incident]
        self.team.next_incident += 1
        status, _ = await post(
            dispatcher.session,
            f"{dispatcher.base}/dispatch/incidents/{incident_id}/assign",
            {
                "csrf_token": dispatcher.csrf,
                "team": self.team.call_sign,
                "version": str(self.version),
            },
        )
        if status != 303:
            return False
        self.version += 1
        self.step = "accept"
        return True

    async def tap(self) -> tuple[str, float, bool]:
        """The next status tap, as htmx sends it; returns (action, seconds, applied)."""
        action = self.step
        data = {
            "csrf_token": self.signed_in.csrf,
            "version": str(self.version),
            "client_uuid": str(uuid.uuid4()),
            "occurred_at": "",
            "lat": "",
            "lon": "",
        }
        if action == "clear":
            path = "/field/outcome"
            data.update(disposition="resolved_on_scene", people_served="1")
        else:
            path = "/field/status"
            data["action"] = action
        started = time.perf_counter()
        status, card = await post(
            self.signed_in.session, self.signed_in.base + path, data, {"HX-Request": "true"}
        )
        seconds = time.perf_counter() - started
        self.read_card(card)
        return action, seconds, status == 200


async def post(
    session: aiohttp.ClientSession, url: str, data: dict, headers: dict | None = None
) -> tuple[int, str]:
    """POST a form; once more if the server had just closed the idle kept-alive connection
    (gunicorn closes them after 2 s), which the request then never reached."""
    for attempt in (1, 2):
        try:
            async with session.post(
                url, data=data, headers=headers or {}, allow_redirects=False
            ) as answer:
                return answer.status, await answer.text()
        except aiohttp.ClientConnectionError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


async def sign_in_responders(base: str, teams: list[LoadTeam], keep_alive: bool) -> list[Responder]:
    """Sign every responder in, a few at a time (signing in hashes a password: slow on purpose)."""
    gate = asyncio.Semaphore(4)

    async def one(team: LoadTeam) -> Responder:
        async with gate:
            return Responder(team, await sign_in(base, team.username, keep_alive=keep_alive))

    return list(await asyncio.gather(*(one(t) for t in teams)))


@dataclass
class PacedResult:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    failures: Counter = field(default_factory=Counter)
    assigns: int = 0

    @property
    def all_taps(self) -> list[float]:
        return [s for values in self.latencies.values() for s in values]


async def paced(
    responders: list[Responder], dispatcher: SignedIn, interval: float, seconds: float
) -> PacedResult:
    """Each responder taps once every `interval` seconds, starting at a random moment in the
    first interval, on a fixed schedule (a slow answer does not delay the next tap)."""
    result = PacedResult()
    loop = asyncio.get_running_loop()
    begin = loop.time()
    end = begin + seconds
    rng = random.Random(5)

    async def one(responder: Responder) -> None:
        at = begin + rng.uniform(0, min(interval, seconds))
        while at < end:
            await asyncio.sleep(max(0.0, at - loop.time()))
            if responder.step == "assign":
                if not await responder.assign(dispatcher):
                    result.failures["assign"] += 1
                    return
                result.assigns += 1
            action, took, applied = await responder.tap()
            if applied:
                result.latencies[action].append(took)
            else:
                result.failures[action] += 1
            at += interval

    await asyncio.gather(*(one(r) for r in responders))
    return result


@dataclass
class Saturation:
    """A closed-loop run: every connection sends its next request as soon as the last answers."""

    ok: int
    failed: int
    seconds: float
    client: str

    @property
    def per_second(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0


async def saturate_taps(
    responders: list[Responder], dispatcher: SignedIn, seconds: float
) -> Saturation:
    """Status changes (taps and the dispatcher's assignments) as fast as they are answered."""
    counts = Counter()
    started = time.perf_counter()
    deadline = started + seconds

    async def one(responder: Responder) -> None:
        while time.perf_counter() < deadline:
            if responder.step == "assign":
                applied = await responder.assign(dispatcher)
            else:
                applied = (await responder.tap())[2]
            counts["ok" if applied else "failed"] += 1

    await asyncio.gather(*(one(r) for r in responders))
    return Saturation(counts["ok"], counts["failed"], time.perf_counter() - started, "python")


async def saturate_url(url: str, method: str, connections: int, seconds: float) -> Saturation:
    counts = Counter()
    async with new_session(connections) as session:
        started = time.perf_counter()
        deadline = started + seconds

        async def one() -> None:
            while time.perf_counter() < deadline:
                async with session.request(method, url) as answer:
                    await answer.read()
                    counts["ok" if answer.status == 200 else "failed"] += 1

        await asyncio.gather(*(one() for _ in range(connections)))
        return Saturation(counts["ok"], counts["failed"], time.perf_counter() - started, "python")
