"""How long a gunicorn worker takes to stop with live streams open (issue 24). Run by hand:

    .venv/bin/python -m bench.stop_time                     # 100 streams, gevent and gthread
    .venv/bin/python -m bench.stop_time --streams 20 --setups gevent

Serves the app under gunicorn (one worker, gunicorn's default 30 s graceful timeout) on a
throwaway SQLite database with the demo shift, opens N streams to /live/events as the
dispatcher, waits until each has its first line, then sends SIGTERM to gunicorn and times
until the process has exited. Each stream should have ended (EOF) by then: the browser
reconnects elsewhere with Last-Event-ID. Nothing here is a test; tests/faults uses it.
"""

from __future__ import annotations

import argparse
import os
import re
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path

from .servers import DEMO_PASSWORD, ROOT, demo_env, free_port, seed_demo

SETUPS = {
    "gevent": ["--worker-class", "gevent", "--worker-connections", "1000"],
    "gthread": ["--worker-class", "gthread", "--threads", "128"],
}


@dataclass
class Stop:
    setup: str
    streams: int
    seconds: float  # SIGTERM to the process gone
    ended: int  # streams that saw their end before the process was gone
    streams_ended_after: float  # SIGTERM to the last stream's end (its last chunk, or EOF)


def _sign_in(url: str) -> str:
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{url}/login").read().decode()
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode(
        {"username": "dispatch", "password": DEMO_PASSWORD, "csrf_token": token}
    ).encode()
    opener.open(f"{url}/login", body).read()
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def _open_stream(port: int, cookie: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall(
        (
            f"GET /live/events HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n"
            "Accept: text/event-stream\r\n\r\n"
        ).encode()
    )
    return sock


def _read_until(sock: socket.socket, marker: bytes) -> bytes:
    seen = b""
    while marker not in seen:
        chunk = sock.recv(4096)
        if not chunk:
            break
        seen += chunk
    return seen


def measure(setup: str, streams: int) -> Stop:
    with tempfile.TemporaryDirectory() as folder:
        env = demo_env(
            f"sqlite:///{Path(folder) / 'stop.db'}",
            HEART_LIVE_STREAM_SECONDS="600",
            HEART_SERVICE_HOURS="00:00-24:00",
        )
        seed_demo(env)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        with open(Path(folder) / "server.log", "w") as log:
            server = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1"]
                + SETUPS[setup]
                + ["app:app"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                deadline = time.monotonic() + 60
                while True:
                    try:
                        urllib.request.urlopen(f"{url}/login", timeout=2)
                        break
                    except OSError:
                        if server.poll() is not None or time.monotonic() > deadline:
                            raise RuntimeError((Path(folder) / "server.log").read_text()) from None
                        time.sleep(0.2)
                cookie = _sign_in(url)
                held = [_open_stream(port, cookie) for _ in range(streams)]
                for sock in held:
                    assert b": connected" in _read_until(sock, b": connected"), "no stream"
                started = time.monotonic()
                server.send_signal(signal.SIGTERM)
                open_ones, last_end = set(held), started
                with selectors.DefaultSelector() as watch:
                    for sock in held:
                        sock.setblocking(False)
                        watch.register(sock, selectors.EVENT_READ)
                    while open_ones and time.monotonic() - started < 60:
                        for key, _ in watch.select(0.05):
                            try:
                                data = key.fileobj.recv(65536)
                            except OSError:
                                data = b""
                            # The response's end (its last chunk) or the connection's.
                            if not data or data.endswith(b"0\r\n\r\n"):
                                watch.unregister(key.fileobj)
                                open_ones.discard(key.fileobj)
                                last_end = time.monotonic()
                server.wait(60)
                seconds = time.monotonic() - started
                for sock in held:
                    sock.close()
                ended = streams - len(open_ones)
                return Stop(setup, streams, seconds, ended, last_end - started)
            finally:
                if server.poll() is None:
                    os.killpg(server.pid, signal.SIGKILL)
                    server.wait(5)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--setups", nargs="+", default=list(SETUPS), choices=list(SETUPS))
    parser.add_argument("--streams", type=int, default=100)
    options = parser.parse_args()
    print(
        "| worker | open streams | all streams ended after | worker stopped after | streams ended |"
    )
    print("| --- | --- | --- | --- | --- |")
    for setup in options.setups:
        stop = measure(setup, options.streams)
        print(
            f"| {setup} (1 worker) | {stop.streams} | {stop.streams_ended_after:.2f} s "
            f"| {stop.seconds:.2f} s | {stop.ended} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
