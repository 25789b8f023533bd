#!/usr/bin/env python3
"""Set up and run HEART Field on this machine, or run its tests. Needs only Python 3.11+.

    python3 dev.py run    # first time: virtualenv, install, database, demo shift; then serve
    python3 dev.py test   # every test; with arguments, pytest with those arguments
    python3 dev.py lint   # ruff check and ruff format --check (CI runs it first)

The virtual environment lives in .venv and is reinstalled when pyproject.toml changes.
"""

import hashlib
import os
import secrets
import signal
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
INSTANCE = ROOT / "instance"
DEMO_PASSWORD = "demo-shift"


def ensure_environment() -> None:
    """Create .venv and install the project with its test extra, once per pyproject change."""
    stamp = VENV / ".installed"
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted:
        return
    if not PYTHON.exists():
        print("Creating .venv ...", flush=True)
        venv.create(VENV, with_pip=True)
    print("Installing HEART Field and its dependencies ...", flush=True)
    subprocess.run(
        [
            str(PYTHON),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-e",
            f"{ROOT}[test]",
        ],
        check=True,
    )
    stamp.write_text(wanted)


def flask(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(PYTHON), "-m", "flask", "--app", "app", *args], cwd=ROOT, env=env, check=True
    )


def run(args: list[str]) -> int:
    INSTANCE.mkdir(exist_ok=True)
    key_file = INSTANCE / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
    env = {
        **os.environ,
        "SECRET_KEY": os.environ.get("SECRET_KEY") or key_file.read_text().strip(),
        # Served over plain http on this machine, so the session cookie cannot be Secure.
        "HEART_INSECURE_COOKIES": "1",
        "HEART_PASSWORD": os.environ.get("HEART_PASSWORD", DEMO_PASSWORD),
        # Outside HEART_SERVICE_HOURS the demo uses hours that cover now (README, Demo).
        "HEART_DEMO": "1",
    }
    flask("db", "upgrade", env=env)
    # Makes the demo shift once; on every start, logs its crews on and prints the logins.
    flask("seed-demo", "--if-empty", env=env)
    host = os.environ.get("HOST", "127.0.0.1")
    port = os.environ.get("PORT", "5000")
    print(
        f"\nHEART Field is at http://{host}:{port}/login  "
        f"(demo password: {env['HEART_PASSWORD']}; e.g. cr1-1 for a responder, dispatch for "
        f"the dispatcher). Stop with Ctrl+C.\n",
        flush=True,
    )
    # gevent: each live stream (board, phone) costs a greenlet, not a thread (README, Live updates).
    return serve(
        [
            str(BIN / "gunicorn"),
            "--bind",
            f"{host}:{port}",
            "--workers",
            "2",
            "--worker-class",
            "gevent",
            "--worker-connections",
            "1000",
            # After a stop, workers still holding live streams are killed after this long.
            "--graceful-timeout",
            "1",
            *args,
            "app:app",
        ],
        env,
    )


def serve(command: list[str], env: dict) -> int:
    """Run gunicorn until it exits; Ctrl+C (SIGINT) or SIGTERM to this process stops it at once.

    Both are passed on as SIGINT, gunicorn's quick shutdown (its SIGTERM would wait for the
    open live streams), so no server outlives this process.
    """
    server = subprocess.Popen(command, cwd=ROOT, env=env)

    def stop(signum, frame):
        if server.poll() is None:
            server.send_signal(signal.SIGINT)

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop)
    return server.wait()


def test(args: list[str]) -> int:
    """With arguments, pytest with them; without, every test (whole_suite)."""
    if not args:
        return whole_suite()
    return _passed_or_failed(subprocess.call([str(PYTHON), "-m", "pytest", *args], cwd=ROOT))


# The tests that drive a real Chromium time what they see (a board update within seconds), so
# they run alone, after the rest; the others run in two pytest-xdist worker processes, each
# test file on one of them (its servers started once). Run side by side on a 2-core machine,
# the browser tests' timing checks failed.
BROWSER_TESTS = ["-m", "browser"]
OTHER_TESTS = ["-m", "not browser", "-n", "2", "--dist", "loadfile"]


def whole_suite() -> int:
    """Every test: the non-browser tests on two workers, then the browser tests alone."""
    pytest = [str(PYTHON), "-m", "pytest"]
    others = _passed_or_failed(subprocess.call([*pytest, *OTHER_TESTS], cwd=ROOT))
    browsers = _passed_or_failed(subprocess.call([*pytest, *BROWSER_TESTS], cwd=ROOT))
    print(
        f"\nbrowser tests: {'passed' if browsers == 0 else 'FAILED'}; "
        f"all other tests: {'passed' if others == 0 else 'FAILED'}",
        flush=True,
    )
    return others or browsers


def _passed_or_failed(code: int) -> int:
    if code == 5:
        print("pytest collected no tests: that is a failure here.", file=sys.stderr)
        return 1
    return code


def lint(args: list[str]) -> int:
    """ruff, configured in pyproject.toml: the linter, then the formatter's check."""
    ruff = str(BIN / "ruff")
    return subprocess.call([ruff, "check", *args, "."], cwd=ROOT) or subprocess.call(
        [ruff, "format", "--check", "."], cwd=ROOT
    )


COMMANDS = {"run": run, "test": test, "lint": lint}


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        print(__doc__)
        return 2
    ensure_environment()
    return COMMANDS[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
