"""Dates in one format on every screen, and a navigator's referral that says when first contact
was made instead of when it was due."""

import re
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from flask import render_template_string

from heart_field.domain import dates
from heart_field.models import Role, utcnow
from tests.conftest import make_user, reload
from tests.web.referral_helpers import NY, make_referral

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


@pytest.fixture
def nav(sign_in):
    return sign_in(make_user("navigator", Role.NAVIGATOR))


def test_a_reached_attempt_shows_when_first_contact_was_made(nav, team, responder):
    referral = make_referral(team, responder)
    reload(referral).created_at = (utcnow() - timedelta(hours=3)).replace(second=0, microsecond=0)
    from heart_field.extensions import db

    db.session.commit()
    visit = (utcnow() - timedelta(hours=1)).replace(second=0, microsecond=0)
    page = nav.get(f"/navigation/referrals/{referral.id}").text
    assert "First contact due" in page and "First contact made" not in page

    nav.post(
        f"/navigation/referrals/{referral.id}/attempts",
        {
            "method": "in_person",
            "result": "reached",
            "attempted_at": visit.astimezone(NY).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    page = nav.get(f"/navigation/referrals/{referral.id}").text
    assert "First contact due" not in page
    made = "First contact made</dt>"
    assert made in page
    local = visit.astimezone(NY)
    assert f"{local:%a} {local.day} {local:%b %H:%M} (2 h after referral)" in page
    assert "within the due time" in page


def test_one_date_format_through_the_filters(app):
    with app.test_request_context():
        moment = datetime(2026, 12, 2, 19, 5, 7, tzinfo=dates.ZoneInfo("UTC"))
        assert render_template_string("{{ d | local_date }}", d=date(2026, 12, 2)) == "Wed 2 Dec"
        assert render_template_string("{{ d | local_date(year=True) }}", d=moment) == (
            "Wed 2 Dec 2026"
        )
        assert render_template_string("{{ d | local_when }}", d=moment) == "Wed 2 Dec 14:05"
        assert render_template_string("{{ d | local_date_time }}", d=moment) == (
            "Wed 2 Dec 14:05:07"
        )


def test_no_template_formats_a_date_by_itself():
    """Every date on a screen goes through the filters: no strftime in the templates."""
    found = [
        str(path.relative_to(TEMPLATES))
        for path in TEMPLATES.rglob("*.html")
        if re.search(r"\.strftime\(", path.read_text())
    ]
    assert found == []


@pytest.mark.parametrize(
    ("delta", "words"),
    [
        (timedelta(minutes=40), "40 min"),
        (timedelta(hours=2), "2 h"),
        (timedelta(hours=3, minutes=20), "3 h 20 min"),
        (timedelta(hours=52), "2 days 4 h"),
        (timedelta(minutes=-5), "0 min"),
    ],
)
def test_elapsed_reads_as_people_say_it(delta, words):
    assert dates.elapsed(delta) == words
