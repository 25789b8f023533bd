"""Turn an address-point CSV into a gazetteer for HEART_GAZETTEER (columns address,lat,lon).

    python tools/address_points.py points.csv instance/gazetteer.csv

The input's columns default to OpenAddresses' (LON, LAT, NUMBER, STREET, CITY, POSTCODE);
name others with --lon, --lat, --number, --street, --city, --zip. Rows without a number, a
street or a position are skipped. The bundled gazetteer's named landmarks (rows that start
with a name, such as "Durham City Hall, 101 City Hall Plaza, ...") are added at the end, so
dispatchers can still type a landmark's name.
"""

import argparse
import csv
import sys
from pathlib import Path

BUNDLED = Path(__file__).resolve().parent.parent / "heart_field" / "data" / "durham_gazetteer.csv"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("points", type=Path)
    parser.add_argument("output", type=Path)
    for name, default in (
        ("lon", "LON"),
        ("lat", "LAT"),
        ("number", "NUMBER"),
        ("street", "STREET"),
        ("city", "CITY"),
        ("zip", "POSTCODE"),
    ):
        parser.add_argument(f"--{name}", default=default, help=f"column (default {default})")
    parser.add_argument("--state", default="NC")
    args = parser.parse_args(argv)

    written = skipped = 0
    with (
        args.points.open(encoding="utf-8-sig", newline="") as source,
        args.output.open("w", encoding="utf-8", newline="") as target,
    ):
        out = csv.writer(target)
        out.writerow(["address", "lat", "lon"])
        for row in csv.DictReader(source):
            number = (row.get(args.number) or "").strip()
            street = (row.get(args.street) or "").strip()
            try:
                lat, lon = float(row[args.lat]), float(row[args.lon])
            except (KeyError, TypeError, ValueError):
                lat = lon = None
            if not number or not street or lat is None:
                skipped += 1
                continue
            city = (row.get(args.city) or "").strip().title() or "Durham"
            zip_code = (row.get(args.zip) or "").strip()[:5]
            out.writerow(
                [f"{number} {street.title()}, {city}, {args.state} {zip_code}".strip(), lat, lon]
            )
            written += 1
        with BUNDLED.open(encoding="utf-8", newline="") as bundled:
            for row in csv.DictReader(bundled):
                if not row["address"][:1].isdigit():
                    out.writerow([row["address"], row["lat"], row["lon"]])
                    written += 1
    print(f"{written} rows written to {args.output}; {skipped} input rows skipped", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
