"""The place rules without the web: block labels, the exact match behind the bounding box."""

from heart_field.domain.places import Place, PriorContacts, block_label
from heart_field.models.places import place_key_for


def test_place_keys_normalise_the_street_line():
    assert place_key_for("737 Ninth Street, Durham, NC 27705") == "737 ninth st"
    assert place_key_for("737 ninth st apt 4") == "737 ninth st"
    assert place_key_for(None) is None and place_key_for("  ") is None


def test_block_labels_hide_the_house_number():
    assert block_label("737 ninth st", 36.0, -78.9) == "700 block of Ninth St"
    assert block_label("12 pettigrew st", None, None) == "0 block of Pettigrew St"
    assert block_label(None, 36.009004, -78.922177) == "Near 36.009, -78.922"
    assert block_label(None, None, None) == "Unknown place"


def test_a_place_matches_within_the_radius_or_at_the_same_address():
    here = Place(36.009004, -78.922177, "737 ninth st")
    assert here.matches(36.009184, -78.922177, None, 50)  # ~20 m
    assert not here.matches(36.010084, -78.922177, None, 50)  # ~120 m
    assert here.matches(36.018, -78.9, "737 ninth st", 50)  # same address, far point
    assert not Place(None, None, "737 ninth st").matches(36.009004, -78.922177, None, 50)
    assert not Place(None, None, None).known


def test_the_summary_line():
    line = PriorContacts(2, 90, 12, "Resolved on scene").summary
    assert line == "2 prior contacts here in 90 days, last 12 days ago: Resolved on scene"
    assert PriorContacts(1, 90, 1, "No person found").summary.startswith("1 prior contact here")
    only_referral = PriorContacts(0, 90, None, None, open_referral=True, navigator=None)
    assert only_referral.summary == "0 prior contacts here in 90 days"
    assert only_referral.referral_line == "Open Care Navigation referral, not yet claimed"
