"""Select-list choices for WTForms (3.3 wants SelectChoice objects, not tuples)."""

from collections.abc import Iterable, Mapping

from wtforms.fields.choices import SelectChoice


def choices(options: Mapping[str, str] | Iterable[tuple[str, str]], blank: str | None = None):
    """Choices from a {value: label} mapping or (value, label) pairs, with an optional
    empty first option that prompts the user to choose."""
    pairs = options.items() if isinstance(options, Mapping) else options
    listed = [SelectChoice(str(value), label) for value, label in pairs]
    return ([SelectChoice("", blank)] if blank else []) + listed
