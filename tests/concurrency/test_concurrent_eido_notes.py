"""The same EIDO update posted by several CAD connections at once, against a real gunicorn
server: the incident is created once and each note `$id` becomes one call note."""

import json
import threading
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from heart_field import tokens
from heart_field.extensions import db
from heart_field.models import CallNote, Incident
from tests.api.test_eido import durham_eido, eido_note

POSTS = 8


def test_the_same_eido_posted_at_once_gives_one_incident_and_one_note_per_id(server):
    with server.app_context():
        _token, secret = tokens.issue(db.session, "CAD")
    document = durham_eido(
        notesComponent=[eido_note("note-1", "Gate code 4471."), eido_note("note-2", "Dog.")]
    )
    start = threading.Barrier(POSTS)

    def post(_n):
        request = urllib.request.Request(
            f"{server.url}/api/v1/eido",
            json.dumps(document).encode(),
            headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json"},
        )
        start.wait()
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    with ThreadPoolExecutor(POSTS) as pool:
        codes = Counter(pool.map(post, range(POSTS)))

    assert codes == {201: 1, 200: POSTS - 1}, codes
    with server.app_context():
        assert db.session.scalar(select(func.count(Incident.id))) == 1
        texts = db.session.scalars(select(CallNote.text).order_by(CallNote.id)).all()
        assert texts == ["Gate code 4471.", "Dog."]
    log = server.log_text()
    assert "database is locked" not in log and "Traceback" not in log
