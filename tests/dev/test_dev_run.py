"""`python3 dev.py run` as a person runs it: stopping it stops gunicorn too, at once.

A real dev.py, a real gunicorn with its gevent workers, and a live stream held open (what
kept a graceful shutdown waiting), on a SQLite database in a temporary folder.
"""

import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from bench.servers import free_port

ROOT = Path(__file__).resolve().parents[2]


def _processes_in_group(group: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        state, pgrp = fields[0], int(fields[2])
        if pgrp == group and state != "Z":
            found.add(int(entry.name))
    return found


def _wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def _open_stream(base: str):
    """Sign in as the demo responder and open the live stream; returns the open response."""
    cookies = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(cookies))
    page = opener.open(base + "/login", timeout=10).read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    form = {"csrf_token": token, "username": "cr1-1", "password": "demo-shift"}
    opener.open(base + "/login", urllib.parse.urlencode(form).encode(), timeout=10).read()
    stream = opener.open(base + "/live/events?after=0", timeout=10)
    assert stream.headers["Content-Type"].startswith("text/event-stream")
    return stream


@pytest.mark.parametrize(
    "how", ["ctrl-c", "sigterm"], ids=["Ctrl+C to the terminal's group", "kill PID"]
)
def test_stopping_dev_run_stops_gunicorn_within_two_seconds(tmp_path, how):
    """Ctrl+C (SIGINT to the whole foreground group) or SIGTERM to dev.py alone: dev.py and
    every gunicorn process are gone within about two seconds, even with a live stream open."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'dev.db'}",
        "HOST": "127.0.0.1",
        "PORT": str(port),
    }
    env.pop("HEART_PASSWORD", None)
    log = open(tmp_path / "dev.log", "w")
    dev = subprocess.Popen(
        [sys.executable, "dev.py", "run"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own group, as a terminal's foreground job has
    )
    base = f"http://127.0.0.1:{port}"
    try:

        def answers():
            try:
                urllib.request.urlopen(base + "/login", timeout=2)
                return True
            except OSError:
                return False

        assert _wait_for(answers, 120), (tmp_path / "dev.log").read_text()[-2000:]
        stream = _open_stream(base)
        gunicorn = _processes_in_group(dev.pid) - {dev.pid}
        assert len(gunicorn) >= 3, "the arbiter and its two workers"

        started = time.monotonic()
        if how == "ctrl-c":
            os.killpg(dev.pid, signal.SIGINT)
        else:
            os.kill(dev.pid, signal.SIGTERM)
        gone = _wait_for(lambda: not (_processes_in_group(dev.pid) & gunicorn), 10)
        took = time.monotonic() - started
        stream.close()

        assert gone, f"gunicorn still running: {_processes_in_group(dev.pid)}"
        assert took < 2.5, f"gunicorn took {took:.1f} s to stop"
        assert dev.wait(5) is not None
    finally:
        if dev.poll() is None or _processes_in_group(dev.pid):
            os.killpg(dev.pid, signal.SIGKILL)
        dev.wait(5)
        log.close()
