"""Median latency of POST /api/v1/incidents, against GET /api/v1/teams measured in the same run.

Run by hand (never in CI):  .venv/bin/python -m bench.api_create_incident [--requests 400] [--database-url URL]

Starts gunicorn (2 gthread workers) on a throwaway SQLite database with the demo shift, issues
a token with the CLI, then sends requests one after another over a kept-alive connection.
Figures are milliseconds, client side (network on loopback included).
"""

import argparse
import http.client
import json
import statistics
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from .servers import Gunicorn, demo_env, flask_cli, gunicorn, seed_demo


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
        env = demo_env(
            args.database_url or f"sqlite:///{tmp}/bench.db",
            HEART_API_RATE_LIMIT="1000000 per minute",
        )
        seed_demo(env)
        token = flask_cli(env, "create-token", "bench").strip()
        with gunicorn(
            "app:app", env, Gunicorn(threads=4), Path(tmp) / "server.log", "/login"
        ) as url:
            connection = http.client.HTTPConnection(urlsplit(url).netloc)
            auth = {"Authorization": f"Bearer {token}"}
            post = {**auth, "Content-Type": "application/json"}
            run = int(time.time())

            def body(n):
                return json.dumps(
                    {
                        "cad_number": f"B{run}-{n}",
                        "call_type": "welfare_check",
                        "priority": 2,
                        "address": "737 Ninth St, Durham, NC 27705",
                        "lat": 36.009004,
                        "lon": -78.922177,
                        "safety": {"weapons": False, "violence": False, "medical_emergency": False},
                        "narrative": "Benchmark call.",
                    }
                )

            for n in range(20):  # warm both workers
                timed(connection, "GET", "/api/v1/teams", None, auth)
                timed(connection, "POST", "/api/v1/incidents", body(f"w{n}"), post)
            teams, creates, replays = [], [], []
            for n in range(args.requests):  # interleaved, so both see the same machine load
                teams.append(timed(connection, "GET", "/api/v1/teams", None, auth))
                creates.append(timed(connection, "POST", "/api/v1/incidents", body(n), post))
            for n in range(0, args.requests, 4):
                replays.append(timed(connection, "POST", "/api/v1/incidents", body(n), post))

    print(summary("GET /teams (baseline)", teams))
    print(summary("POST /incidents (new)", creates))
    print(summary("POST /incidents (replay 200)", replays))
    print(
        f"create / baseline median ratio: {statistics.median(creates) / statistics.median(teams):.2f}"
    )


if __name__ == "__main__":
    main()
