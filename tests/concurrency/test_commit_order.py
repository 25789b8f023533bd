"""Status changes take turns: a second change waits while the first is between writing its
event and committing, so status_events ids commit in increasing order."""

import threading
import uuid

from sqlalchemy import event, select

from heart_field.domain import status
from heart_field.domain.status import Action, Tap
from heart_field.extensions import db
from heart_field.models import StatusEvent, Team
from tests.conftest import make_team


def test_a_second_status_change_waits_for_the_first_to_commit(app):
    """While one change holds its flushed event, another team's change cannot commit."""
    make_team("CR-1")
    make_team("CR-2")
    first_flushed = threading.Event()
    release_first = threading.Event()
    second_done = threading.Event()

    def change(call_sign, hold):
        with app.app_context():
            session = db.session()
            if hold:

                @event.listens_for(session, "after_flush")
                def pause(*_):
                    first_flushed.set()
                    release_first.wait(10)

            team = session.scalar(select(Team).where(Team.call_sign == call_sign))
            status.apply(session, team, Tap(Action.OUT_OF_SERVICE, str(uuid.uuid4())), None)
            db.session.remove()

    first = threading.Thread(target=change, args=("CR-1", True))
    first.start()
    assert first_flushed.wait(10)
    second = threading.Thread(target=lambda: (change("CR-2", False), second_done.set()))
    second.start()
    overtook = second_done.wait(1.0)
    release_first.set()
    first.join(10)
    second.join(10)

    assert not overtook, "a later status change committed while an earlier one was open"
    events = db.session.scalars(select(StatusEvent).order_by(StatusEvent.id)).all()
    assert [e.team.call_sign for e in events] == ["CR-1", "CR-2"]
