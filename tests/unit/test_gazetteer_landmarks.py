"""Durham's public buildings and landmarks in the demo gazetteer (heart_field/data/SOURCES.md):
found by address and by name, and inside the city limits."""

import pytest

from heart_field.domain.geo import GazetteerGeocoder, load_city_limits


@pytest.fixture(scope="module")
def gazetteer():
    return GazetteerGeocoder()


@pytest.mark.parametrize(
    ("query", "near"),
    [
        ("101 City Hall Plaza", (35.9964, -78.8987)),
        ("101 City Hall Plaza, Durham, NC 27701", (35.9964, -78.8987)),
        ("Durham City Hall", (35.9964, -78.8987)),
        ("510 S Dillard St", (35.9903, -78.8960)),
        ("602 E Main Street, Durham", (35.9916, -78.8947)),
        ("Durham County Main Library", (35.9960, -78.8962)),
        ("300 N Roxboro St", (35.9960, -78.8962)),
        ("Durham Station", (35.9968, -78.9063)),
        ("Duke University Hospital", (36.0083, -78.9376)),
        ("Lincoln Community Health Center", (35.9804, -78.8988)),
        ("Durham Central Park", (36.0002, -78.9015)),
    ],
)
def test_public_buildings_are_found(gazetteer, query, near):
    found = gazetteer.geocode(query)
    assert found is not None, query
    assert (round(found.latitude, 4), round(found.longitude, 4)) == pytest.approx(near, abs=2e-4)


def test_every_landmark_added_is_inside_the_city():
    limits = load_city_limits()
    gazetteer = GazetteerGeocoder()
    for name in (
        "Durham City Hall",
        "Durham County Courthouse",
        "Durham Police Department Headquarters",
        "Stanford L. Warren Library",
        "Duke Regional Hospital",
        "Museum of Life and Science",
        "Duke Park",
    ):
        found = gazetteer.geocode(name)
        assert found is not None, name
        assert limits.contains(found.latitude, found.longitude), name
