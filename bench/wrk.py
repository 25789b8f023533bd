"""Closed-loop load with wrk (C, event loop): the client costs the shared cores little, so
the ratios measure the server, not the client."""

import os
import re
import secrets
import shutil
import subprocess
from pathlib import Path

from .client import Responder, Saturation, SignedIn

HERE = Path(__file__).resolve().parent
POST_SCRIPT = 'wrk.method = "POST"\n'


def available() -> bool:
    return shutil.which("wrk") is not None


def _lua_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _run(args: list[str], connections: int, seconds: float, env: dict | None = None) -> str:
    command = [
        "wrk",
        "-t",
        str(connections),
        "-c",
        str(connections),
        "-d",
        f"{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        *args,
    ]
    finished = subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=seconds + 60
    )
    if finished.returncode != 0:
        raise RuntimeError(f"wrk failed: {finished.stderr or finished.stdout}")
    return finished.stdout


def saturate_url(
    url: str, method: str, connections: int, seconds: float, folder: Path
) -> Saturation:
    args = [url]
    if method == "POST":
        script = folder / "post.lua"
        script.write_text(POST_SCRIPT)
        args = ["-s", str(script), url]
    out = _run(args, connections, seconds)
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    duration = _duration(out)
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    failures = (int(failed.group(1)) if failed else 0) + (
        sum(int(n) for n in errors.groups()) if errors else 0
    )
    return Saturation(requests - (int(failed.group(1)) if failed else 0), failures, duration, "wrk")


def _duration(out: str) -> float:
    value, unit = re.search(r"requests in ([\d.]+)(ms|s|m)", out).groups()
    return float(value) * {"ms": 0.001, "s": 1.0, "m": 60.0}[unit]


def saturate_taps(
    base: str, responders: list[Responder], dispatcher: SignedIn, seconds: float, folder: Path
) -> Saturation:
    conf = folder / "tap_conf.lua"
    teams = []
    for r in responders:
        incidents = ", ".join(str(i) for i in r.team.incident_ids)
        teams.append(
            f"{{ call_sign = {_lua_string(r.team.call_sign)}, cookie = {_lua_string(r.signed_in.cookie)}, "
            f"csrf = {_lua_string(r.signed_in.csrf)}, next = {r.team.next_incident + 1}, "
            f"incidents = {{ {incidents} }} }}"
        )
    conf.write_text(
        f"return {{ nonce = {secrets.randbits(31)}, "
        f"dispatcher = {{ cookie = {_lua_string(dispatcher.cookie)}, csrf = {_lua_string(dispatcher.csrf)} }}, "
        "teams = {\n  " + ",\n  ".join(teams) + "\n} }\n"
    )
    out = _run(
        ["-s", str(HERE / "tap_cycle.lua"), base],
        len(responders),
        seconds,
        env={**os.environ, "BENCH_WRK_CONF": str(conf)},
    )
    match = re.search(r"BENCH changes=(\d+) failed=(\d+) seconds=([\d.]+)", out)
    if match is None:
        raise RuntimeError(f"the tap script reported nothing:\n{out}")
    changes, failed, duration = int(match.group(1)), int(match.group(2)), float(match.group(3))
    return Saturation(changes, failed, duration, "wrk")
