"""The card's refresh answers 304 when nothing on it changed (issue 25), and every card and
board carries the feed cursor it was rendered at, read before what it shows (issue 24)."""

import re
import uuid

import pytest

from heart_field.domain import feed, signals
from heart_field.extensions import db
from heart_field.models import Role
from tests.conftest import make_user, reload
from tests.web.test_field import assign, tap

HTMX = {"HX-Request": "true"}


@pytest.fixture
def crew(sign_in, responder):
    return sign_in(responder)


def cursor_of(html, region_id):
    tag = re.search(rf'<div id="{region_id}"[^>]*>', html).group(0)
    return int(re.search(r'data-cursor="(\d+)"', tag).group(1))


def test_a_card_asked_for_again_unchanged_is_304(crew):
    first = crew.get("/field/card", headers=HTMX)
    assert first.status_code == 200 and first.headers["ETag"]
    again = crew.get("/field/card", headers={**HTMX, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == first.headers["ETag"]


def test_a_feed_event_for_the_team_changes_the_card_etag(crew, team, incident):
    before = crew.get("/field/card", headers=HTMX).headers["ETag"]
    assign(reload(team), incident)
    after = crew.get("/field/card", headers={**HTMX, "If-None-Match": before})
    assert after.status_code == 200
    assert after.headers["ETag"] != before
    assert "Accept" in after.text


def test_a_backup_signal_changes_the_card_etag(crew, team, incident):
    """Signals leave the version as it is; the team's newest feed entry still moves."""
    assign(reload(team), incident)
    before = crew.get("/field/card", headers=HTMX).headers["ETag"]
    signals.record(db.session, reload(team), signals.BACKUP, None, str(uuid.uuid4()))
    assert crew.get("/field/card", headers={**HTMX, "If-None-Match": before}).status_code == 200


def test_another_teams_event_keeps_the_card_304(crew, other_team, incident):
    before = crew.get("/field/card", headers=HTMX).headers["ETag"]
    assign(reload(other_team), incident)
    assert crew.get("/field/card", headers={**HTMX, "If-None-Match": before}).status_code == 304


def test_the_card_carries_the_feed_cursor_and_a_tap_answer_its_version(crew, team, incident):
    """The page skips the tap's own feed event by the version its answer shows."""
    assign(reload(team), incident)
    answer = tap(crew, team, "accept")
    assert answer.status_code == 200
    assert f'id="field-steps" data-team-version="{reload(team).version}"' in answer.text
    card = crew.get("/field/card", headers=HTMX)
    assert cursor_of(card.text, "field-card") == feed.latest_cursor(db.session)


def test_the_board_carries_the_feed_cursor(sign_in, team, incident):
    board = sign_in(make_user("dispatcher", Role.DISPATCHER))
    assign(reload(team), incident)
    page = board.get("/dispatch/board", headers=HTMX)
    assert cursor_of(page.text, "board") == feed.latest_cursor(db.session)
