"""Measurements in a real Chromium (Debian's), driven by Playwright.

Tap to board: a phone signed in as a responder and a desktop signed in as the dispatcher,
in two browser contexts; the time from the tap on the phone until the board shows the
team's new status in words. The wait watches the board's DOM on every animation frame, so
it works whether the board polls or follows a live stream.

First load: every response the responder's first visit brings (sign-in page, sign-in,
their screen, and all that these load, service worker included), with each body's gzipped
size: what the phone downloads when the server gzips.
"""

import asyncio
import gzip
import os
import random
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from playwright.async_api import async_playwright

from .client import SignedIn
from .dataset import PASSWORD

CHROMIUM_CANDIDATES = (
    "/usr/lib/chromium/chromium",
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
)
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # Keep timers running at full speed in both windows.
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
]
# Responders tap whenever they need to, not in step with the board's refresh: each tap waits a
# random moment up to this long first (the polling board's period), or every tap would
# land just after the refresh that showed the one before, and wait a whole period.
TAP_SPREAD_SECONDS = 3.0
BOARD_SHOWS = """([sign, label]) => {
  const row = document.getElementById('team-' + sign) ||
    [...document.querySelectorAll('tr')].find(tr => tr.querySelector('th')?.textContent.trim() === sign);
  return !!row && row.textContent.includes(label);
}"""


def chromium_path() -> str | None:
    return (
        os.environ.get("HEART_CHROMIUM")
        or next((p for p in CHROMIUM_CANDIDATES if Path(p).exists()), None)
        or shutil.which("chromium")
    )


@dataclass
class TapToBoard:
    seconds: list[float] = field(default_factory=list)
    by_action: dict[str, list[float]] = field(default_factory=dict)


@dataclass(frozen=True)
class Download:
    url: str
    status: int
    raw_bytes: int  # headers and body as sent, uncompressed
    gzipped_bytes: int  # headers and the body gzipped (level 6, as nginx and most proxies)


async def _sign_in(page, base: str, username: str) -> None:
    await page.goto(f"{base}/login")
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    # Not "networkidle": the landing page holds a live stream open, so the network never rests.
    await page.wait_for_url(lambda url: "/login" not in url)
    await page.wait_for_load_state("load")


async def first_load(base: str, username: str) -> list[Download]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium_path(), args=LAUNCH_ARGS
        )
        try:
            # What the page itself fetches, as bench/field_budget.py counts it: without a service
            # worker, whose background copies for offline use would be counted as headers only.
            context = await browser.new_context(
                **playwright.devices["Pixel 7"], service_workers="block"
            )
            # Read each body as it arrives: after a navigation the browser drops the last page's.
            reads = []
            context.on(
                "response",
                lambda response: reads.append(asyncio.ensure_future(_download(response))),
            )
            page = await context.new_page()
            await _sign_in(page, base, username)
            await page.wait_for_timeout(500)  # let a service worker finish caching
            return list(await asyncio.gather(*reads))
        finally:
            await browser.close()


async def _download(response) -> Download:
    headers = await response.all_headers()
    header_bytes = (
        len(f"HTTP/1.1 {response.status} {response.status_text}\r\n")
        + sum(len(f"{k}: {v}\r\n") for k, v in headers.items())
        + 2
    )
    if headers.get("content-type", "").startswith("text/event-stream"):
        # The live stream stays open for minutes: its size is never final, and it is not weight.
        return Download(response.url, response.status, header_bytes, header_bytes)
    sizes = await response.request.sizes()
    body = b""
    if sizes.get("responseBodySize", 0) > 0 and not 300 <= response.status < 400:
        try:
            body = await response.body()
        except Exception:  # a body the browser did not keep (e.g. a redirect)
            body = b""
    gzipped = len(gzip.compress(body, compresslevel=6)) if body else 0
    return Download(response.url, response.status, header_bytes + len(body), header_bytes + gzipped)


async def tap_to_board(
    base: str,
    responder: str,
    call_sign: str,
    dispatcher: SignedIn,
    incident_ids: list[int],
    taps: int,
) -> TapToBoard:
    """`taps` status taps that the board shows (En route, On scene, Clear), in whole
    cycles: the dispatcher assigns a call, the phone accepts it and taps through."""
    result = TapToBoard()
    calls = iter(incident_ids)
    spread = random.Random(30)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium_path(), args=LAUNCH_ARGS
        )
        try:
            desk = await browser.new_context(viewport={"width": 1600, "height": 1000})
            board = await desk.new_page()
            await _sign_in(board, base, "dispatch")
            phone_context = await browser.new_context(**playwright.devices["Pixel 7"])
            phone = await phone_context.new_page()
            await _sign_in(phone, base, responder)

            async def timed(action: str, label: str, tap) -> None:
                await asyncio.sleep(spread.uniform(0, TAP_SPREAD_SECONDS))
                started = time.perf_counter()
                await tap()
                await board.wait_for_function(
                    BOARD_SHOWS, arg=[call_sign, label], polling="raf", timeout=30_000
                )
                took = time.perf_counter() - started
                result.seconds.append(took)
                result.by_action.setdefault(action, []).append(took)

            while len(result.seconds) < taps:
                await _assign(dispatcher, next(calls), call_sign)
                await phone.goto(f"{base}/field/")
                await phone.get_by_role("button", name="Accept").click()
                en_route = phone.get_by_role("button", name="En route")
                await en_route.wait_for()
                await timed("en_route", "En route", en_route.click)
                on_scene = phone.get_by_role("button", name="On scene")
                await on_scene.wait_for()
                await timed("on_scene", "On scene", on_scene.click)
                await phone.get_by_role("button", name="Clear").click()
                await phone.get_by_label("Disposition").select_option("resolved_on_scene")
                await timed(
                    "clear", "Available", phone.get_by_role("button", name="Save outcome").click
                )
                # Cleared: the card shows no call again (its Out of service sits in the team details).
                await phone.get_by_role("heading", name="No call assigned").wait_for()
            del result.seconds[taps:]
            return result
        finally:
            await browser.close()


async def _assign(dispatcher: SignedIn, incident_id: int, call_sign: str) -> None:
    async with dispatcher.session.post(
        f"{dispatcher.base}/dispatch/incidents/{incident_id}/assign",
        allow_redirects=False,
        data={"csrf_token": dispatcher.csrf, "team": call_sign},
    ) as answer:
        await answer.read()
        if answer.status != 303:
            raise RuntimeError(
                f"assigning call {incident_id} to {call_sign} answered {answer.status}"
            )
