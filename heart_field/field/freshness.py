"""The card's refresh answers 304 when nothing it shows has changed.

A phone asks for its card again when the signal returns, when its stream was down, or after a
feed event it did not make. Most of those times nothing changed, and a 304 costs a few hundred
bytes where the card costs several kilobytes. The ETag names what the card is made of: the
team's row version and its newest feed entry (every status change, backup, acknowledgement
and note is one), the responder's open referrals (shown under the call, changed by
navigators without a feed entry), the device (the Navigate link depends on it) and the
build of the templates and static files.
"""

import hashlib
from functools import wraps

from flask import current_app, request
from flask_login import current_user
from sqlalchemy import func, select

from ..access import load_team_of
from ..extensions import db
from ..models import Referral, ReferralStatus, StatusEvent


def card_etag() -> str:
    team = load_team_of(current_user)
    newest = db.session.scalar(
        select(func.max(StatusEvent.id)).where(StatusEvent.team_id == team.id)
    )
    referrals = db.session.execute(
        select(Referral.id, Referral.status, Referral.claimed_by_id)
        .where(Referral.made_by_id == current_user.id, Referral.status != ReferralStatus.CLOSED)
        .order_by(Referral.id)
    ).all()
    parts = [
        current_app.config["HEART_BUILD"],
        current_user.id,
        team.id,
        team.version,
        newest,
        [tuple(row) for row in referrals],
        request.user_agent.string,
    ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:20]


def conditional_card(view):
    """Answer 304 when the browser already holds this card (If-None-Match)."""

    @wraps(view)
    def answer(*args, **kwargs):
        etag = card_etag()
        if etag in request.if_none_match:
            response = current_app.response_class(status=304)
        else:
            response = current_app.make_response(view(*args, **kwargs))
            if response.status_code != 200:
                return response
        response.set_etag(etag)
        return response

    return answer
