"""The push sender: one thread per app and process turns feed events into queued alerts and
sends the queue, so no request ever waits for a push service.

Each pass (every HEART_PUSH_POLL_SECONDS, or at once when this process has just written to
the feed) it reads the feed after the shared cursor (domain/alerts.queue_from_feed), looks
for overdue assignments and long times on scene every few seconds, and sends what is due.
A row is claimed by a compare-and-swap on `claimed_until` before it is sent, so several
processes (gunicorn workers, instances) share one queue on SQLite or PostgreSQL; no database
transaction is open while a push service is being called. Failures are retried with
backoff (2, 4, 8 ... 60 s) until the alert is HEART_PUSH_MAX_AGE_SECONDS old; a push service
answering 404 or 410 means the subscription is gone, and it is deleted.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import requests
from pywebpush import WebPushException, webpush
from sqlalchemy import or_, select, update

from ..domain import alerts
from ..extensions import db
from ..models import PushMessage, PushSubscription, utcnow

log = logging.getLogger(__name__)

CLAIM_SECONDS = 60  # a sender that died mid-send frees its rows after this
OVERDUE_EVERY_SECONDS = 5.0


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(2**attempts, 60))


class PushSender:
    def __init__(self, app, place: alerts.Place, vapid):
        self.app = app
        self.place = place
        self.vapid = vapid
        self._poked = threading.Event()
        self._stop = threading.Event()
        self._pid: int | None = None
        self._lock = threading.Lock()
        self._last_overdue = 0.0
        self._pool: ThreadPoolExecutor | None = None
        self._http = requests.Session()
        self._stopped = False
        self._thread: threading.Thread | None = None

    # ---------------------------------------------------------------- the thread
    def poke(self) -> None:
        """Read the feed now."""
        self._poked.set()

    def on_feed_written(self, _sender, events=()) -> None:
        """domain.feed.written: this process has just written to the feed."""
        self._poked.set()

    def ensure_running(self) -> None:
        """Start this process's thread (again after a fork: threads do not survive one)."""
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="heart-push-send")
            self._http = requests.Session()
            self._thread = threading.Thread(target=self.run_forever, name="heart-push", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """End this process's thread after its current pass (tests, and the CLI worker)."""
        self._stopped = True
        self._stop.set()
        self._poked.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def run_forever(self) -> None:
        """Pass after pass until stop(): the thread's work, or `flask push-worker`'s."""
        poll = self.app.config["HEART_PUSH_POLL_SECONDS"]
        failures = 0
        while not self._stopped:
            try:
                with self.app.app_context():
                    self.run_once()
                failures = 0
            except Exception:  # noqa: BLE001 - the sender must outlive a failed pass
                if failures == 0:  # once per run of failures (a database down, not yet upgraded)
                    log.warning("push: a pass failed; retrying with backoff", exc_info=True)
                failures += 1
                with self.app.app_context():
                    db.session.rollback()
            if failures:
                # Not woken by feed writes meanwhile: a database that is down stays down a while.
                self._stop.wait(min(poll * 2 ** min(failures, 6), 30.0))
            else:
                self._poked.wait(poll)
            self._poked.clear()
        with self.app.app_context():
            db.session.remove()

    # ---------------------------------------------------------------- one pass
    def run_once(self) -> int:
        """Queue what the feed and the clock call for, then send what is due (in an app
        context). Answers how many alerts were sent."""
        session = db.session
        config = self.app.config
        max_age = timedelta(seconds=config["HEART_PUSH_MAX_AGE_SECONDS"])
        while alerts.queue_from_feed(session, self.place, utcnow(), max_age) == 200:
            pass
        if time.monotonic() - self._last_overdue >= OVERDUE_EVERY_SECONDS:
            self._last_overdue = time.monotonic()
            alerts.queue_overdue(
                session,
                self.place,
                utcnow(),
                remind_after=timedelta(seconds=config["HEART_PUSH_REMIND_SECONDS"]),
                welfare_after=timedelta(minutes=config["HEART_ON_SCENE_WELFARE_MINUTES"]),
                max_age=max_age,
            )
        return self.send_due()

    def send_due(self, limit: int = 50) -> int:
        session = db.session
        now = utcnow()
        due = session.scalars(
            select(PushMessage.id)
            .where(
                PushMessage.sent_at.is_(None),
                PushMessage.failed_at.is_(None),
                PushMessage.next_try_at <= now,
                or_(PushMessage.claimed_until.is_(None), PushMessage.claimed_until < now),
            )
            .order_by(PushMessage.id)
            .limit(limit)
        ).all()
        claimed = []
        for message_id in due:
            won = session.execute(
                update(PushMessage)
                .where(
                    PushMessage.id == message_id,
                    PushMessage.sent_at.is_(None),
                    or_(PushMessage.claimed_until.is_(None), PushMessage.claimed_until < now),
                )
                .values(
                    claimed_until=now + timedelta(seconds=CLAIM_SECONDS),
                    attempts=PushMessage.attempts + 1,
                )
                .execution_options(synchronize_session=False)
            )
            if won.rowcount == 1:
                claimed.append(message_id)
        session.commit()
        if not claimed:
            return 0
        work = session.execute(
            select(PushMessage, PushSubscription)
            .join(PushSubscription, PushSubscription.id == PushMessage.subscription_id)
            .where(PushMessage.id.in_(claimed))
        ).all()
        # Each device's alerts go in order (a cancellation after the update it follows),
        # different devices' side by side.
        by_device: dict[int, list] = {}
        for m, s in sorted(work, key=lambda pair: pair[0].id):
            by_device.setdefault(s.id, []).append(
                (m.id, m.attempts, m.created_at, s.id, s.info(), m.payload)
            )
        session.rollback()  # no transaction open while push services answer
        pool = self._pool or ThreadPoolExecutor(max_workers=4)
        results = [
            pair
            for done in pool.map(
                lambda queue: [(r, self._post(r[4], r[5])) for r in queue], by_device.values()
            )
            for pair in done
        ]
        sent = 0
        for (message_id, attempts, created_at, subscription_id, _info, _p), outcome in results:
            sent += self._record(message_id, attempts, created_at, subscription_id, outcome)
        session.commit()
        return sent

    def _post(self, info: dict, payload: dict) -> int | str:
        """POST one encrypted alert; answers the HTTP status, or the error's name."""
        config = self.app.config
        try:
            response = webpush(
                info,
                data=json.dumps(payload),
                vapid_private_key=self.vapid,
                vapid_claims={"sub": config["HEART_VAPID_SUBJECT"]},
                ttl=config["HEART_PUSH_MAX_AGE_SECONDS"],
                headers={"Urgency": "high", "Topic": payload.get("tag", "call")[:32]},
                timeout=config["HEART_PUSH_TIMEOUT_SECONDS"],
                requests_session=self._http,
            )
            return response.status_code
        except WebPushException as refused:
            if refused.response is not None:
                return refused.response.status_code
            return type(refused).__name__
        except (requests.RequestException, OSError) as failed:
            return type(failed).__name__

    def _record(self, message_id, attempts, created_at, subscription_id, outcome) -> int:
        session = db.session
        now = utcnow()
        if isinstance(outcome, int) and 200 <= outcome < 300:
            session.execute(
                update(PushMessage)
                .where(PushMessage.id == message_id)
                .values(sent_at=now, claimed_until=None, last_error=None)
            )
            session.execute(
                update(PushSubscription)
                .where(PushSubscription.id == subscription_id)
                .values(last_sent_at=now)
            )
            return 1
        if outcome in (404, 410):
            log.info("push: subscription %s is gone (%s): deleted", subscription_id, outcome)
            subscription = session.get(PushSubscription, subscription_id)
            if subscription is not None:
                alerts.forget(session, [subscription])
            return 0
        retry = outcome == 429 or not isinstance(outcome, int) or outcome >= 500
        max_age = timedelta(seconds=self.app.config["HEART_PUSH_MAX_AGE_SECONDS"])
        values = {"claimed_until": None, "last_error": f"{outcome}"[:200]}
        if retry and now + backoff(attempts) - created_at < max_age:
            values["next_try_at"] = now + backoff(attempts)
        else:
            values["failed_at"] = now
        log.info("push: alert %s not delivered (%s)", message_id, outcome)
        session.execute(update(PushMessage).where(PushMessage.id == message_id).values(**values))
        return 0
