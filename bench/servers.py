"""Servers started the way production starts them: gunicorn, gthread workers, a real database."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_SECRET = "bench-only-secret-not-for-production"
DEMO_PASSWORD = "demo-shift"  # what seed-demo sets when HEART_PASSWORD says so


@dataclass(frozen=True)
class Gunicorn:
    """The configuration every server in one run shares (README, "Production")."""

    workers: int = 2
    threads: int = 8
    access_log: bool = False  # each request's line in the server's log (tests count them)

    def describe(self) -> str:
        return f"gunicorn --workers {self.workers} --worker-class gthread --threads {self.threads}"

    def arguments(self) -> list[str]:
        return [
            "--workers",
            str(self.workers),
            "--worker-class",
            "gthread",
            "--threads",
            str(self.threads),
            *(["--access-logfile", "-"] if self.access_log else []),
        ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_env(database_url: str) -> dict:
    """Production settings: SECRET_KEY set, no debug, no testing; cookies allowed over plain
    http because the benchmark has no TLS in front of it."""
    env = {k: v for k, v in os.environ.items() if k not in ("FLASK_DEBUG", "FLASK_ENV")}
    env.update(DATABASE_URL=database_url, SECRET_KEY=BENCH_SECRET, HEART_INSECURE_COOKIES="1")
    return env


def demo_env(database_url: str, **settings: str) -> dict:
    """app_env, with the demo shift's password and any other settings."""
    return {**app_env(database_url), "HEART_PASSWORD": DEMO_PASSWORD, **settings}


def flask_cli(env: dict, *args: str) -> str:
    """Run `flask --app app ARGS` on env's database; returns what it printed."""
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def seed_demo(env: dict) -> None:
    """The schema and the demo shift on env's database, as `dev.py run` makes them."""
    flask_cli(env, "db", "upgrade")
    flask_cli(env, "seed-demo")


@contextmanager
def demo_server(folder: Path, config: Gunicorn = Gunicorn(), **settings: str) -> Iterator[str]:
    """gunicorn on a new SQLite database in `folder` with the demo shift; yields the base URL."""
    env = demo_env(f"sqlite:///{folder / 'demo.db'}", **settings)
    seed_demo(env)
    with gunicorn("app:app", env, config, folder / "server.log", "/login") as url:
        yield url


@contextmanager
def gunicorn(
    app_spec: str, env: dict, config: Gunicorn, log: Path, ready_path: str
) -> Iterator[str]:
    """Serve `app_spec` on a free port until the block ends; yields the base URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with open(log, "a") as log_file:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--bind",
                f"127.0.0.1:{port}",
                *config.arguments(),
                app_spec,
            ],
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait_until_ready(url + ready_path, server, log)
            yield url
        finally:
            _stop(server)


def _wait_until_ready(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start:\n{log.read_text()[-3000:]}") from None
            time.sleep(0.2)


def _stop(server: subprocess.Popen) -> None:
    """Stop gunicorn and its workers (its own process group, started above)."""
    if server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(5)
