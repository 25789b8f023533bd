"""The call's whereabouts in words: nearest landmark, distance and direction from the team."""

import pytest

from heart_field.domain import whereabouts


@pytest.fixture(scope="module")
def places():
    return whereabouts.load_places()


def test_a_call_by_city_hall_is_named_after_it_with_distance_and_direction(places):
    where = whereabouts.describe(35.9967, -78.8985, places, team_at=(35.9800, -78.8985))
    assert where.near == "Durham City Hall" and where.near_m <= 50
    assert where.direction == "north"
    assert where.from_team == "1.9 km north"


def test_close_by_reads_in_metres_and_the_eight_points_of_the_compass():
    assert whereabouts.compass((36.0, -78.9), (36.01, -78.89)) == "north-east"
    assert whereabouts.compass((36.0, -78.9), (35.99, -78.9)) == "south"
    assert whereabouts.compass((36.0, -78.9), (36.0, -78.91)) == "west"
    near = whereabouts.Whereabouts(None, None, 0.43, "south-west")
    assert near.from_team == "430 m south-west"


def test_far_from_any_landmark_a_call_by_coordinates_gets_the_nearest_address(places):
    # Far out on Erwin Rd: no landmark within 600 m, but a gazetteer address within 250 m.
    where = whereabouts.describe(36.0041, -78.9502, places, has_address=False)
    assert where.near == "3100 Erwin Rd"
    with_address = whereabouts.describe(36.0041, -78.9502, places, has_address=True)
    assert with_address.near is None and with_address.from_team is None


def test_the_team_is_drawn_on_the_call_map_or_on_its_edge_in_its_direction():
    close = whereabouts.frame_point((36.0, -78.9), (36.0, -78.895), 2.4, 320, 180)
    assert close.x > 160 and close.y == 90 and not close.at_edge  # east, on the picture
    far = whereabouts.frame_point((36.0, -78.9), (35.95, -78.9), 2.4, 320, 180)
    assert far.at_edge and far.x == 160 and far.y == 170  # south, at the bottom edge
