#!/usr/bin/env python3
"""Live streams against ordinary requests: gunicorn gthread vs gevent. Run by hand:

    .venv/bin/python bench/sse_workers.py                 # default set-ups and stream counts
    .venv/bin/python bench/sse_workers.py --streams 0 16 200 --requests 30

For each server set-up it starts the real app under gunicorn on a fresh SQLite database with
the demo shift, signs the dispatcher in, then for each number of open streams (idle SSE
connections to /live/events, as boards and phones hold them):

* ordinary request latency: GET /dispatch/board (the board, with its queries), sequential,
  median and p95 in ms, with a 5 s client time-out (a time-out counts as 5,000 ms and is
  reported);
* feed latency: a status change posted through the dispatcher's HTTP surface (assign, then
  cancel, alternately) until it arrives on one more open stream, median and p95 in ms.

Figures are printed as ratios against the baseline measured in the same run (the same set-up
with no streams), so a slower or busier machine shifts both alike. Nothing here is a test.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PASSWORD = "demo-shift"

SETUPS = {
    # the README's default: 2 workers x 8 threads; each open stream holds a thread
    "gthread 2x8": ["--workers", "2", "--worker-class", "gthread", "--threads", "8"],
    # more threads for the same two processes
    "gthread 2x64": ["--workers", "2", "--worker-class", "gthread", "--threads", "64"],
    # greenlets: a stream costs a greenlet, not a thread
    "gevent 2x1000": ["--workers", "2", "--worker-class", "gevent", "--worker-connections", "1000"],
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, args: list[str], folder: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        db = folder / "bench.db"
        db.unlink(missing_ok=True)
        self.env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{db}",
            "SECRET_KEY": "bench",
            "HEART_INSECURE_COOKIES": "1",
            "HEART_PASSWORD": PASSWORD,
            "HEART_SERVICE_HOURS": "00:00-24:00",
            "HEART_LIVE_STREAM_SECONDS": "600",
        }
        flask = [PYTHON, "-m", "flask", "--app", "app"]
        subprocess.run(
            [*flask, "db", "upgrade"], cwd=ROOT, env=self.env, check=True, capture_output=True
        )
        subprocess.run(
            [*flask, "seed-demo"], cwd=ROOT, env=self.env, check=True, capture_output=True
        )
        self.log = open(folder / "server.log", "w")
        self.process = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "gunicorn",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--graceful-timeout",
                "2",
                *args,
                "app:app",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{self.url}/login", timeout=1)
                return
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError("server did not start") from None
                time.sleep(0.2)

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


class Dispatcher:
    """The dispatcher's browser session: cookie and CSRF token."""

    def __init__(self, url: str):
        self.url = url
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        page = self.opener.open(f"{url}/login").read().decode()
        token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
        board = self.post(
            "/login",
            {"username": "dispatch", "password": PASSWORD, "csrf_token": token},
            htmx=False,
        )
        self.token = re.search(r'"X-CSRFToken": "([^"]+)"', board).group(1)

    def get(self, path: str, timeout: float = 5) -> str:
        return self.opener.open(f"{self.url}{path}", timeout=timeout).read().decode()

    def post(self, path: str, data: dict, timeout: float = 5, htmx: bool = True) -> str:
        body = urllib.parse.urlencode(data).encode()
        request = urllib.request.Request(
            f"{self.url}{path}", body, headers={"HX-Request": "true"} if htmx else {}
        )
        if hasattr(self, "token"):
            request.add_header("X-CSRFToken", self.token)
        return self.opener.open(request, timeout=timeout).read().decode()

    def cookie(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


def open_stream(port: int, cookie: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(
        (
            f"GET /live/events HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n"
            "Accept: text/event-stream\r\n\r\n"
        ).encode()
    )
    return sock


def board_latency(dispatcher: Dispatcher, count: int) -> tuple[list[float], int]:
    times, timeouts = [], 0
    for _ in range(count):
        started = time.perf_counter()
        try:
            dispatcher.get("/dispatch/board", timeout=5)
            times.append((time.perf_counter() - started) * 1000)
        except OSError:
            timeouts += 1
            times.append(5000.0)
            if timeouts == 3 and len(times) == 3:  # starved: the rest would time out too
                return times + [5000.0] * (count - 3), count
    return times, timeouts


def feed_latency(
    server: Server, dispatcher: Dispatcher, incident: str, count: int
) -> tuple[list[float], int]:
    """From posting a status change to its event arriving on an open stream."""
    sock = open_stream(server.port, dispatcher.cookie())
    sock.settimeout(5)
    arrived = threading.Event()
    stop = threading.Event()

    def read():
        buffer = b""
        while not stop.is_set():
            try:
                chunk = sock.recv(65536)
            except OSError:
                continue
            if not chunk:
                return
            buffer += chunk
            while b"\nevent: feed" in buffer:
                buffer = buffer.split(b"\nevent: feed", 1)[1]
                arrived.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    time.sleep(0.5)
    times, lost = [], 0
    for n in range(count):
        time.sleep(random.uniform(0, 0.3))  # taps come at random, not in step with the feed's poll
        arrived.clear()
        path = f"/dispatch/incidents/{incident}/" + ("assign" if n % 2 == 0 else "cancel")
        started = time.perf_counter()
        try:
            dispatcher.post(path, {"team": "CR-1"} if n % 2 == 0 else {})
        except OSError:
            lost += 1
            if lost == 3 and not times:  # starved: the rest would be lost too
                return times, count
            continue
        if arrived.wait(5):
            times.append((time.perf_counter() - started) * 1000)
        else:
            lost += 1
    stop.set()
    sock.close()
    return times, lost


def p95(values: list[float]) -> float:
    return (
        statistics.quantiles(values, n=20)[18]
        if len(values) >= 2
        else (values[0] if values else float("nan"))
    )


def run(
    setup: str, args: list[str], stream_counts: list[int], requests: int, taps: int
) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        server = Server(args, Path(folder))
        try:
            dispatcher = Dispatcher(server.url)
            board = dispatcher.get("/dispatch/board")
            incident = re.search(r'id="incident-(\d+)"', board).group(1)
            held: list[socket.socket] = []
            for count in stream_counts:
                while len(held) < count:
                    held.append(open_stream(server.port, dispatcher.cookie()))
                time.sleep(1.0)
                board, timeouts = board_latency(dispatcher, requests)
                feed, lost = feed_latency(server, dispatcher, incident, taps)
                rows.append(
                    {
                        "setup": setup,
                        "streams": count,
                        "board_median": statistics.median(board),
                        "board_p95": p95(board),
                        "timeouts": timeouts,
                        "feed_median": statistics.median(feed) if feed else float("nan"),
                        "feed_p95": p95(feed) if feed else float("nan"),
                        "lost": lost,
                    }
                )
                print(
                    f"  {setup:14} {count:5} streams: board median {rows[-1]['board_median']:7.1f} ms "
                    f"p95 {rows[-1]['board_p95']:7.1f} ms timeouts {timeouts:2}; feed median "
                    f"{rows[-1]['feed_median']:7.1f} ms p95 {rows[-1]['feed_p95']:7.1f} ms lost {lost}",
                    flush=True,
                )
            for sock in held:
                sock.close()
        finally:
            server.stop()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--setups", nargs="+", default=list(SETUPS), choices=list(SETUPS))
    parser.add_argument("--streams", nargs="+", type=int, default=[0, 16, 100, 400])
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--taps", type=int, default=30)
    options = parser.parse_args()
    options.taps += options.taps % 2  # assign and cancel in pairs, so each round starts alike
    rows = []
    for setup in options.setups:
        print(f"{setup}:", flush=True)
        rows += run(
            setup, SETUPS[setup], sorted(set([0, *options.streams])), options.requests, options.taps
        )

    print(
        "\n| set-up | open streams | board median ms (x baseline) | board p95 ms (x baseline) | "
        "board time-outs | feed median ms | feed p95 ms | events lost |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for row in rows:
        base = next(r for r in rows if r["setup"] == row["setup"] and r["streams"] == 0)
        print(
            f"| {row['setup']} | {row['streams']} | {row['board_median']:.1f} "
            f"(x{row['board_median'] / base['board_median']:.1f}) | {row['board_p95']:.1f} "
            f"(x{row['board_p95'] / base['board_p95']:.1f}) | {row['timeouts']}/{options.requests} | "
            f"{row['feed_median']:.0f} | {row['feed_p95']:.0f} | {row['lost']}/{options.taps} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
