"""Street-address normalisation for matching: the same address written two ways (St/Street,
N/North, "Apt 4", punctuation, case) gets one key. The gazetteer geocoder (geo.py) applies it
to its rows and to each query; nothing here knows about places or polygons."""

from __future__ import annotations

import re
from collections.abc import Iterable

# Canonical (short) forms. Applied to both the gazetteer and the query, so only
# consistency matters. Includes a few misspellings present in the 2013 data.
SUFFIXES = {
    "street": "st",
    "st": "st",
    "str": "st",
    "sst": "st",
    "sts": "st",
    "road": "rd",
    "rd": "rd",
    "roads": "rd",
    "avenue": "ave",
    "ave": "ave",
    "av": "ave",
    "avenie": "ave",
    "drive": "dr",
    "dr": "dr",
    "drv": "dr",
    "boulevard": "blvd",
    "blvd": "blvd",
    "blv": "blvd",
    "blve": "blvd",
    "lane": "ln",
    "ln": "ln",
    "court": "ct",
    "ct": "ct",
    "parkway": "pkwy",
    "pkwy": "pkwy",
    "pky": "pkwy",
    "parkwa": "pkwy",
    "pwk": "pkwy",
    "highway": "hwy",
    "hwy": "hwy",
    "circle": "cir",
    "cir": "cir",
    "cr": "cir",
    "place": "pl",
    "pl": "pl",
    "trail": "trl",
    "trl": "trl",
    "tr": "trl",
    "terrace": "ter",
    "ter": "ter",
    "square": "sq",
    "sq": "sq",
    "expressway": "expy",
    "expy": "expy",
    "freeway": "fwy",
    "fwy": "fwy",
    "plaza": "plz",
    "plz": "plz",
    "crossing": "xing",
    "xing": "xing",
    "extension": "ext",
    "ext": "ext",
    "extens": "ext",
    "way": "way",
}
_DIRECTIONALS = {
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
    "northeast": "ne",
    "northwest": "nw",
    "southeast": "se",
    "southwest": "sw",
    "n": "n",
    "s": "s",
    "e": "e",
    "w": "w",
    "ne": "ne",
    "nw": "nw",
    "se": "se",
    "sw": "sw",
}
_UNIT_WORDS = {
    "apt",
    "apartment",
    "suite",
    "ste",
    "unit",
    "bldg",
    "building",
    "rm",
    "room",
    "fl",
    "floor",
    "lot",
    "#",
}
STATE_WORDS = {"nc"}
ZIP_RE = re.compile(r"^\d{5}(?:-\d{4})?$")
_TOKEN_RE = re.compile(r"#|[a-z0-9/]+")


def tokens(text: str) -> list[str]:
    text = text.casefold().replace("'", "").replace("\u2019", "").replace(".", " ")
    text = re.sub(r"\bnorth\s+carolina\b", "nc", text)
    return _TOKEN_RE.findall(text)


def canon(tokens: Iterable[str]) -> list[str]:
    out = []
    for tok in tokens:
        tok = SUFFIXES.get(tok, tok)
        tok = _DIRECTIONALS.get(tok, tok)
        out.append(tok)
    return out


def strip_units(tokens: list[str]) -> list[str]:
    """Drop 'Apt 4', 'Suite 200', 'Unit B', '# 3', '#3' (the word and the token after it)."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        # never at the very start: a house number comes first
        if tok in _UNIT_WORDS and out:
            i += 2
            continue
        out.append(tok)
        i += 1
    return out


def normalize_address(text: str) -> str:
    """A canonical lower-case form of a street line: '1 Old Trail Drive Apt 4' -> '1 old trail dr'."""
    return " ".join(canon(strip_units(tokens(text))))


def core(tokens: list[str]) -> tuple[str, ...]:
    """Street tokens without a trailing suffix or business name: the loose match key.

    '1101 w chapel hill st the cookery' -> ('1101', 'w', 'chapel', 'hill');
    '1000 w main' -> ('1000', 'w', 'main').
    """
    last_suffix = max(
        (i for i, t in enumerate(tokens) if i > 1 and t in SUFFIXES.values()),
        default=None,
    )
    if last_suffix is not None:
        tokens = tokens[:last_suffix]
    return tuple(tokens)
