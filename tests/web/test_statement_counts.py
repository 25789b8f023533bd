"""SQL statements per request on the two hot paths: a responder's tap and the dispatch board.

Each request is counted with a SQLAlchemy listener on the engine, starting from an empty
session (as a real request does: the tests share one app context with the requests they
make). The bounds are the figures measured on SQLite (bench/RESULTS.md, "Tap and board
statements"); PostgreSQL sends fewer (no BEGIN statements). What matters most is that the
counts do not grow with the data: an N+1 lazy load that comes back fails here.
"""

import uuid

import pytest
from sqlalchemy import event

from heart_field.domain import status
from heart_field.domain.status import Action, Tap
from heart_field.extensions import db
from heart_field.models import Role, Team, TeamStatus
from tests.conftest import make_incident, make_team, make_user, reload
from tests.web.referral_helpers import cleared_call, make_referral

# A status tap (accept, en route, on scene: the user, the team, the feed's turn, the swap, the
# event, the call; en route also reads the call's place for Navigate), a clear (outcome + the
# whole card), the card alone.
TAP_STATEMENTS = 6
CLEAR_STATEMENTS = 18
CARD_STATEMENTS = 15
# The board: one statement per list it shows, whatever its length; the crews on shift, the
# calls' updates (notes) and their prior contacts at the place are one list each; the waiting
# calls are a count, a page and the overdue count (issue 20).
BOARD_STATEMENTS = 18


class Statements:
    def __init__(self, engine):
        self.engine = engine
        self.count = 0
        self.sql: list[str] = []

    def _seen(self, _conn, _cursor, statement, *_args):
        self.count += 1
        self.sql.append(statement)

    def __call__(self, request):
        """Statements sent while `request()` runs, from an empty session."""
        db.session.remove()
        self.count, self.sql = 0, []
        event.listen(self.engine, "before_cursor_execute", self._seen)
        try:
            response = request()
        finally:
            event.remove(self.engine, "before_cursor_execute", self._seen)
        return response, self.count


@pytest.fixture
def counted(app):
    return Statements(db.engine)


def _apply(team, action, **fields):
    status.apply(db.session, reload(team), Tap(action, str(uuid.uuid4()), **fields), None)


def _tap(session, team, action):
    data = {"action": action, "version": reload(team).version, "client_uuid": str(uuid.uuid4())}
    return lambda: session.post("/field/status", data, htmx=True)


def _clear(session, team):
    data = {
        "version": reload(team).version,
        "client_uuid": str(uuid.uuid4()),
        "disposition": "resolved_on_scene",
        "people_served": "1",
    }
    return lambda: session.post("/field/outcome", data, htmx=True)


def _run_call(session, team, incident, counted):
    """Assign, then tap the call through to clear; the statements of each tap."""
    _apply(team, Action.ASSIGN, incident_id=incident.id)
    counts = {}
    for action in ("accept", "en_route", "on_scene"):
        response, counts[action] = counted(_tap(session, team, action))
        assert response.status_code == 200, response.text
    response, counts["clear"] = counted(_clear(session, team))
    assert response.status_code == 200, response.text
    assert reload(team).status == TeamStatus.AVAILABLE
    return counts


def test_a_tap_sends_a_bounded_number_of_statements_however_many_calls_were_cleared(
    sign_in, responder, team, counted
):
    session = sign_in(responder)
    _run_call(session, team, make_incident("T1"), counted)
    # One call cleared this shift: the card lists it, to refer from.
    second = _run_call(session, team, make_incident("T2"), counted)
    assert max(second[a] for a in ("accept", "en_route", "on_scene")) <= TAP_STATEMENTS
    assert second["clear"] <= CLEAR_STATEMENTS
    # More cleared calls on the card must not mean more statements.
    for n in range(3, 6):
        _run_call(session, team, make_incident(f"T{n}"), counted)
    assert _run_call(session, team, make_incident("T9"), counted) == second


def test_a_tap_still_answers_with_the_state_it_wrote(sign_in, responder, team, counted):
    """The card is rendered from what the tap wrote, not read again: it must be the new state."""
    session = sign_in(responder)
    _apply(team, Action.ASSIGN, incident_id=make_incident("T1").id)
    version = reload(team).version
    response, _ = counted(_tap(session, team, "en_route"))
    assert f'<div id="field-steps" data-team-version="{version + 1}">' in response.text
    assert "En route" in response.text and ">On scene</button>" in response.text
    counted(_tap(session, team, "on_scene"))
    response, _ = counted(_clear(session, team))
    assert response.status_code == 200 and "Clear: saved." in response.text
    assert f'<div id="field-steps" data-team-version="{version + 3}">' in response.text
    assert ">Available</span>" in response.text  # the team bar, out of band


def test_the_card_counts_referrals_per_cleared_call_in_the_same_query(
    sign_in, responder, team, counted
):
    session = sign_in(responder)
    make_referral(team, responder, cad="R1")
    make_referral(team, responder, cad="R2", needs=("food",))
    cleared_call(team, responder, cad="R3")
    response, statements = counted(
        lambda: session.get("/field/card", headers={"HX-Request": "true"})
    )
    rows = response.text.split('class="handoff-row"')[1:]
    assert len(rows) == 3
    made = {cad: ("1 referred" in row) for row in rows for cad in ("R1", "R2", "R3") if cad in row}
    assert made == {"R1": True, "R2": True, "R3": False}
    assert statements <= CARD_STATEMENTS


def _busy_board(calls: int, teams: int):
    """Open calls (recommended, declined, unverified) and teams on calls of their own."""
    crews = [make_team(f"B{calls}-{i}") for i in range(teams)]
    for i in range(calls):
        incident = make_incident(
            f"Q{calls}-{i}",
            recommended_team_id=crews[i % teams].id,
            recommended_unit_type="community_response",
        )
        if i % 3 == 0:  # declined once: the board names who declined
            _apply(crews[i % teams], Action.ASSIGN, incident_id=incident.id)
            _apply(crews[i % teams], Action.DECLINE, reason="unsafe")
    for i, crew in enumerate(crews[: teams // 2]):  # with a team: the active queue and the tiles
        incident = make_incident(f"A{calls}-{i}")
        _apply(crew, Action.ASSIGN, incident_id=incident.id)
        if i % 2:
            _apply(crew, Action.EN_ROUTE)


def test_the_board_sends_the_same_statements_for_few_or_many_calls(sign_in, counted):
    session = sign_in(make_user("desk", Role.DISPATCHER))
    _busy_board(calls=3, teams=4)
    response, few = counted(lambda: session.get("/dispatch/board", headers={"HX-Request": "true"}))
    assert response.status_code == 200
    assert few <= BOARD_STATEMENTS, counted.sql
    _busy_board(calls=30, teams=12)
    response, many = counted(
        lambda: session.get("/dispatch/board?page=2", headers={"HX-Request": "true"})
    )
    assert response.status_code == 200 and "Q30-29" in response.text
    assert many == few, counted.sql


def _board_cursor(session) -> int:
    html = session.get("/dispatch/board", headers={"HX-Request": "true"}).text
    return int(html.split('data-cursor="', 1)[1].split('"', 1)[0])


def test_a_row_update_sends_the_same_statements_for_few_or_many_calls(sign_in, counted):
    """A feed event costs each open board the same statements however big the board is."""
    session = sign_in(make_user("desk", Role.DISPATCHER))
    costs = []
    for calls, teams in ((3, 4), (40, 16)):
        _busy_board(calls=calls, teams=teams)
        cursor = _board_cursor(session)
        spare = make_team(f"S{calls}")
        _apply(spare, Action.ASSIGN, incident_id=make_incident(f"N{calls}").id)
        response, statements = counted(
            lambda c=cursor: session.get(
                f"/dispatch/board/changes?after={c}", headers={"HX-Request": "true"}
            )
        )
        assert response.status_code == 200 and f'id="team-S{calls}"' in response.text
        costs.append(statements)
    assert costs[0] == costs[1], counted.sql


def test_the_card_sends_the_same_statements_with_little_or_much_history(sign_in, counted):
    """The responder's card reads the team's call, never its history."""
    team = make_team("CR-1")
    team_id = team.id
    session = sign_in(make_user("r1", Role.RESPONDER, team=team))
    costs = []
    for calls in (1, 25):
        team = db.session.get(Team, team_id)
        for i in range(calls):  # calls the team worked before
            _run_history_call(team, f"H{calls}-{i}")
        _apply(team, Action.ASSIGN, incident_id=make_incident(f"NOW{calls}").id)
        response, statements = counted(
            lambda: session.get("/field/card", headers={"HX-Request": "true"})
        )
        assert response.status_code == 200 and f"NOW{calls}" in response.text
        costs.append(statements)
        team = db.session.get(Team, team_id)
        _apply(team, Action.CANCEL, reason="test")
    assert costs[0] == costs[1], counted.sql


def _run_history_call(team, cad):
    incident = make_incident(cad)
    _apply(team, Action.ASSIGN, incident_id=incident.id)
    for action in (Action.ACCEPT, Action.EN_ROUTE, Action.ON_SCENE):
        _apply(team, action)
    status.apply(
        db.session,
        reload(team),
        Tap(Action.CLEAR, str(uuid.uuid4()), outcome=status.OutcomeInput("resolved_on_scene", 1)),
        None,
    )
