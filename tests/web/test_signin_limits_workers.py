"""The sign-in limit holds over two real gunicorn workers: failures are counted in the database,
not in each process's memory (with `memory://`, "3 per minute" let through 3 per worker)."""

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
import requests

from bench.servers import DEMO_PASSWORD, demo_env, gunicorn, seed_demo

LIMIT = 3


@dataclass(frozen=True)
class SyncWorkers:
    """Two sync workers: each takes one request at a time, so requests sent together are
    served by both. The access log names the process that served each one."""

    def arguments(self) -> list[str]:
        return [
            "--workers", "2", "--worker-class", "sync",
            "--access-logfile", "-", "--access-logformat", "served-by %(p)s %(m)s %(U)s %(s)s",
        ]  # fmt: skip


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("limits")
    env = demo_env(
        f"sqlite:///{folder / 'limits.db'}",
        HEART_SIGNIN_LIMIT_ACCOUNT=f"{LIMIT} per minute",
        HEART_SIGNIN_LIMIT_ADDRESS="1000 per minute",
    )
    seed_demo(env)
    log = folder / "server.log"
    with gunicorn("app:app", env, SyncWorkers(), log, "/login") as url:
        yield url, log


def attempt(url, password):
    """One browser: the sign-in page (cookie and CSRF token), then the attempt."""
    with requests.Session() as browser:
        page = browser.get(url + "/login", timeout=30)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
        answer = browser.post(
            url + "/login",
            data={"username": "dispatch", "password": password, "csrf_token": token},
            allow_redirects=False,
            timeout=30,
        )
        return answer.status_code


def test_failed_sign_ins_are_limited_across_workers(server):
    url, log = server
    statuses = []
    with ThreadPoolExecutor(max_workers=2) as pool:
        for _ in range(6):  # pairs sent together: one to each worker
            statuses += pool.map(attempt, [url, url], ["wrong password"] * 2)
    served_by = set(re.findall(r"served-by <?(\d+)>? POST /login", log.read_text()))
    assert len(served_by) == 2, "both workers must have taken attempts"
    assert statuses.count(422) == LIMIT, statuses
    assert statuses.count(429) == len(statuses) - LIMIT, statuses
    assert attempt(url, DEMO_PASSWORD) == 429  # the account is held, on every worker
