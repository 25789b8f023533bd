"""The dispatch map's cost: what it adds to /dispatch/ (KB gzipped) and how long the page takes
to render with and without it, on a shift of 200 teams and 2,000 open calls.

    python -m bench.map_page [--rounds 5] [--teams 200] [--calls 2000] [--screenshot PATH]
                             [--database-url postgresql+psycopg://...]

The baseline is the same page in the same run with the map's files refused (Leaflet, map.js,
the boundary), so the board renders alone. Figures are medians over the rounds, in a real
Chromium at 1440x900, SQLite, gunicorn as in production. Reported as ratios against the board
alone: the load event, the boundary drawn and the map complete.
"""

import argparse
import asyncio
import gzip
import re
import statistics
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from playwright.async_api import async_playwright

from . import dataset
from .browser import LAUNCH_ARGS, _sign_in, chromium_path
from .servers import ROOT, Gunicorn, app_env, gunicorn

STATIC_FILES = [
    "vendor/leaflet-1.9.4/leaflet.js",
    "vendor/leaflet-1.9.4/leaflet.css",
    "vendor/leaflet.markercluster-1.5.3/leaflet.markercluster.js",
    "js/map.js",
    "css/map.css",
]
MAP_FILES = re.compile(
    r"/(vendor/leaflet[^/]*/.*|js/map\.js|css/map\.css|dispatch/city-limits\.json)(\?.*)?$"
)
# What the board's rows carry only for the map, and the map's panel: removed to size the page without.
MAP_MARKUP = [
    re.compile(r'\s+data-(call-sign|position-at|priority|cad|team)="[^"]*"'),
    re.compile(r"\s+data-unverified\b"),
    re.compile(r'\s*<section class="panel map-panel".*?</section>', re.S),
    re.compile(r'\s*<div class="dispatch-side">'),
    re.compile(r'\s*<link rel="preload" as="fetch" crossorigin href="/dispatch/city-limits[^>]*>'),
    re.compile(r'\s*<link rel="stylesheet" href="/static/(vendor/leaflet|css/map)[^>]*>'),
    re.compile(r'\s*<script src="/static/(vendor/leaflet[^"]*|js/map\.js[^"]*)"></script>'),
]
READY = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const mark = name => (performance.getEntriesByName(name)[0] || {}).startTime;
  return {load: nav.loadEventEnd, markers: mark('map-markers'), boundary: mark('map-boundary'),
          complete: Math.max(nav.loadEventEnd, mark('map-markers') || 0, mark('map-boundary') || 0),
          drawn: document.querySelectorAll('#map path.map-team, #map path.map-call').length,
          groups: document.querySelectorAll('#map .map-group').length,
          count: Number(document.getElementById('map')?.getAttribute('data-markers') || 0)};
}"""


def gz(body: bytes) -> int:
    return len(gzip.compress(body, compresslevel=6))


async def measure(base: str, rounds: int, screenshot: Path | None = None) -> dict:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium_path(), args=LAUNCH_ARGS
        )
        try:
            context = await browser.new_context(viewport={"width": 1440, "height": 900})
            context.set_default_timeout(600_000)  # the board at 2,000 calls is a big page
            page = await context.new_page()
            await _sign_in(page, base, "dispatch")
            sizes = {}

            async def keep(response):
                if response.status == 200 and (
                    MAP_FILES.search(response.url) or response.url.endswith("/dispatch/")
                ):
                    try:  # keyed by path: a static file's URL carries a version query
                        sizes[urlsplit(response.url).path] = await response.body()
                    except Exception:  # the page moved on before the body was read
                        pass

            page.on("response", lambda r: asyncio.ensure_future(keep(r)))

            with_map, without_map, resync, redrawn = [], [], [], []
            for _ in range(rounds):
                await page.goto(f"{base}/dispatch/")
                await page.wait_for_function(
                    "() => performance.getEntriesByName('map-markers').length"
                    " && performance.getEntriesByName('map-boundary').length"
                    " && performance.getEntriesByType('navigation')[0].loadEventEnd > 0"
                )
                with_map.append(await page.evaluate(READY))
                # One board refresh, as the feed triggers it: the markers follow the new rows.
                await page.evaluate(
                    "document.getElementById('map').removeAttribute('data-sync-ms');"
                    "htmx.trigger(document.getElementById('board'), 'sse:feed')"
                )
                await page.wait_for_function(
                    "() => document.getElementById('map').hasAttribute('data-sync-ms')"
                )
                resync.append(float(await page.get_attribute("#map", "data-sync-ms")))
                redrawn.append(await page.get_attribute("#map", "data-redrawn"))
            if screenshot:  # the page as loaded, and the map panel alone, at the default zoom
                await page.goto(f"{base}/dispatch/")
                await page.wait_for_function(
                    "() => performance.getEntriesByName('map-markers').length"
                )
                await page.screenshot(path=screenshot)
                panel = page.locator(".map-panel")
                await panel.scroll_into_view_if_needed()
                await panel.screenshot(path=screenshot.with_name(f"{screenshot.stem}-map.png"))
            await page.route(MAP_FILES, lambda route: route.abort())
            for _ in range(rounds):
                await page.goto(f"{base}/dispatch/")
                await page.wait_for_function(
                    "() => performance.getEntriesByType('navigation')[0].loadEventEnd > 0"
                )
                without_map.append(await page.evaluate(READY))
            await asyncio.sleep(0.5)
            return {
                "with": with_map,
                "without": without_map,
                "resync": resync,
                "redrawn": redrawn,
                "bodies": sizes,
            }
        finally:
            await browser.close()


def report(result: dict, counts: dict) -> str:
    bodies = result["bodies"]
    html = next(b for u, b in bodies.items() if u.endswith("/dispatch/"))
    stripped = html.decode()
    for pattern in MAP_MARKUP:
        stripped = pattern.sub("", stripped)
    lines = [
        f"Shift: {counts['teams']} teams, {counts['open calls']} open calls.",
        "",
        "Added weight (gzipped, level 6):",
    ]
    total = 0
    for path in STATIC_FILES:
        if (ROOT / "static" / path).exists():  # an older tree may lack some (before and after)
            bodies[f"/static/{path}"] = (ROOT / "static" / path).read_bytes()
    for url, body in sorted(bodies.items()):
        if url.endswith("/dispatch/"):
            continue
        total += gz(body)
        lines.append(
            f"  {url.split('/static/')[-1].split('/dispatch/')[-1]:<36} {gz(body) / 1024:7.1f} KB"
            f"  ({len(body) / 1024:.1f} KB raw)"
        )
    markup = gz(html) - gz(stripped.encode())
    lines.append(
        f"  {'page HTML (map panel, row data-*)':<36} {markup / 1024:7.1f} KB"
        f"  (page {gz(html) / 1024:.1f} KB gzipped)"
    )
    lines.append(f"  {'total':<36} {(total + markup) / 1024:7.1f} KB")

    def median(rows, key):
        return statistics.median(r[key] for r in rows)

    base_load = median(result["without"], "load")
    first = result["with"][0]
    load, boundary = median(result["with"], "load"), median(result["with"], "boundary")
    lines += [
        "",
        f"Render (median of {len(result['with'])}, ms from navigation start):",
        f"  without the map: load event {base_load:.0f}",
        f"  with the map:    load event {load:.0f}, boundary drawn {boundary:.0f}, "
        f"markers drawn {median(result['with'], 'markers'):.0f} ({first['count']} markers: "
        f"{first['drawn']} drawn alone, the rest in {first['groups']} groups), "
        f"map complete {median(result['with'], 'complete'):.0f}",
        f"  ratio, load event with the map / board alone: {load / base_load:.2f}",
        f"  ratio, boundary drawn / board alone's load event: {boundary / base_load:.2f}",
        f"  ratio, map complete / board alone's load event: "
        f"{median(result['with'], 'complete') / base_load:.2f}",
        f"  one board refresh followed by the map: {statistics.median(result['resync']):.0f} ms"
        f" (markers redrawn: {result['redrawn'][-1]})",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--teams", type=int, default=200)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument(
        "--database-url",
        help="a database to fill and serve from (it is emptied first); default: a new SQLite file",
    )
    parser.add_argument("--screenshot", type=Path, help="save the page at 1440x900 (PNG) here")
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="heart-map-bench-"))
    url = options.database_url or f"sqlite:///{folder / 'map.db'}"
    counts = dataset.build(
        url, 1, dataset.Sizes(teams_per_x=options.teams, open_per_x=options.calls, history_per_x=0)
    )
    with gunicorn("app:app", app_env(url), Gunicorn(), folder / "app.log", "/login") as base:
        result = asyncio.run(measure(base, options.rounds, options.screenshot))
    print(report(result, counts))


if __name__ == "__main__":
    main()
