"""tools/address_points.py: an address-point CSV becomes a gazetteer that HEART_GAZETTEER loads."""

import csv

from heart_field.domain.intake import Dispatching
from tools.address_points import main


def test_openaddresses_columns_become_a_gazetteer_with_the_landmarks(tmp_path):
    points = tmp_path / "points.csv"
    with points.open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["LON", "LAT", "NUMBER", "STREET", "UNIT", "CITY", "POSTCODE"])
        out.writerow(["-78.9017", "35.9986", "120", "MORGAN ST", "", "DURHAM", "27701"])
        out.writerow(["", "", "5", "NOWHERE RD", "", "DURHAM", "27701"])  # no position
    gazetteer = tmp_path / "gazetteer.csv"
    assert main([str(points), str(gazetteer)]) == 0

    rows = list(csv.DictReader(gazetteer.read_text().splitlines()))
    assert rows[0] == {
        "address": "120 Morgan St, Durham, NC 27701",
        "lat": "35.9986",
        "lon": "-78.9017",
    }
    assert not any("Nowhere" in r["address"] for r in rows)

    place = Dispatching.from_config({"HEART_GAZETTEER": str(gazetteer)})
    assert tuple(place.geocoder.geocode("120 Morgan Street")) == (35.9986, -78.9017)
    assert place.geocoder.geocode("Durham City Hall") is not None  # landmarks carried over
