"""A status replayed from a phone's outbox long after the tap is marked late on the board."""

import uuid
from datetime import timedelta

import pytest

from heart_field.domain import status
from heart_field.domain.status import Action, Tap
from heart_field.extensions import db
from heart_field.models import utcnow
from tests.web.test_field import assign


@pytest.fixture
def board(sign_in, dispatcher):
    session = sign_in(dispatcher)
    return lambda: session.get("/dispatch/board", headers={"HX-Request": "true"}).text


def tap_at(team, action, occurred_at):
    status.apply(
        db.session, team, Tap(Action(action), str(uuid.uuid4()), occurred_at=occurred_at), None
    )


def row_of(page, call_sign):
    return page.split(f'id="team-{call_sign}"')[1].split("</tr>")[0]


def test_board_marks_a_status_that_arrived_late(board, team, incident):
    assign(team, incident)
    tap_at(team, "accept", utcnow())
    assert "Sent late" not in row_of(board(), "CR-1")

    tap_at(team, "en_route", utcnow() - timedelta(minutes=9))  # replayed from the outbox
    assert "Sent late: tapped" in row_of(board(), "CR-1")

    tap_at(team, "on_scene", utcnow())  # the next status is on time again
    assert "Sent late" not in row_of(board(), "CR-1")
