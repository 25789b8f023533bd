"""Median latency of POST /api/v1/incidents, against GET /api/v1/teams measured in the same run.

Run by hand (never in CI):  .venv/bin/python bench/api_create_incident.py [--requests 400] [--database-url URL]

Starts gunicorn (2 gthread workers) on a throwaway SQLite database with the demo shift, issues
a token with the CLI, then sends requests one after another over a kept-alive connection.
Figures are milliseconds, client side (network on loopback included).
"""

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def flask(env, *args) -> str:
    return subprocess.run([str(BIN / "flask"), "--app", "app", *args], cwd=ROOT, env=env, check=True,
                          capture_output=True, text=True).stdout


def timed(connection, method, path, body, headers) -> float:
    start = time.perf_counter()
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    response.read()
    elapsed = (time.perf_counter() - start) * 1000
    if response.status >= 300:
        raise SystemExit(f"{method} {path} answered {response.status}")
    return elapsed


def summary(name, values) -> str:
    values = sorted(values)
    p95 = values[int(len(values) * 0.95) - 1]
    return f"{name:<28} median {statistics.median(values):6.2f} ms   p95 {p95:6.2f} ms   n={len(values)}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "SECRET_KEY": "bench", "HEART_PASSWORD": "demo-shift",
               "DATABASE_URL": args.database_url or f"sqlite:///{tmp}/bench.db",
               "HEART_API_RATE_LIMIT": "1000000 per minute"}
        flask(env, "db", "upgrade")
        flask(env, "seed-demo")
        token = flask(env, "create-token", "bench").strip()
        port = free_port()
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "--workers", "2", "--worker-class", "gthread", "--threads", "4",
             "--bind", f"127.0.0.1:{port}", "app:app"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.1)
            connection = http.client.HTTPConnection("127.0.0.1", port)
            auth = {"Authorization": f"Bearer {token}"}
            post = {**auth, "Content-Type": "application/json"}
            run = int(time.time())

            def body(n):
                return json.dumps({
                    "cad_number": f"B{run}-{n}", "call_type": "welfare_check", "priority": 2,
                    "address": "737 Ninth St, Durham, NC 27705", "lat": 36.009004, "lon": -78.922177,
                    "safety": {"weapons": False, "violence": False, "medical_emergency": False},
                    "narrative": "Benchmark call.",
                })

            for n in range(20):  # warm both workers
                timed(connection, "GET", "/api/v1/teams", None, auth)
                timed(connection, "POST", "/api/v1/incidents", body(f"w{n}"), post)
            teams, creates, replays = [], [], []
            for n in range(args.requests):  # interleaved, so both see the same machine load
                teams.append(timed(connection, "GET", "/api/v1/teams", None, auth))
                creates.append(timed(connection, "POST", "/api/v1/incidents", body(n), post))
            for n in range(0, args.requests, 4):
                replays.append(timed(connection, "POST", "/api/v1/incidents", body(n), post))
        finally:
            server.terminate()
            server.wait(timeout=10)

    print(summary("GET /teams (baseline)", teams))
    print(summary("POST /incidents (new)", creates))
    print(summary("POST /incidents (replay 200)", replays))
    print(f"create / baseline median ratio: {statistics.median(creates) / statistics.median(teams):.2f}")


if __name__ == "__main__":
    main()
