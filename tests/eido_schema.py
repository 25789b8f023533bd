"""NENA's EIDO schema (tests/data/eido/openapi.yaml) as a validator for whole documents."""

import functools
import json
from pathlib import Path

import yaml
from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

DATA = Path(__file__).parent / "data" / "eido"
SAMPLES = sorted(DATA.glob("*.json"))
ROOT = "urn:nena:eido:openapi"


def _numbers(node):
    """The schema writes `minItems: 1,` once; YAML reads that as the string "1," (see README)."""
    if isinstance(node, dict):
        for key in ("minItems", "maxItems"):
            if isinstance(node.get(key), str):
                node[key] = int(node[key].rstrip(","))
        for value in node.values():
            _numbers(value)
    elif isinstance(node, list):
        for value in node:
            _numbers(value)


def _not_copied(uri: str):
    raise LookupError(f"{uri}: a NIEM component that tests/data/eido does not hold")


@functools.cache
def validator() -> OAS30Validator:
    schema = yaml.safe_load((DATA / "openapi.yaml").read_text())
    _numbers(schema)
    registry = Registry(retrieve=_not_copied).with_resource(
        ROOT, Resource.from_contents(schema, default_specification=DRAFT4)
    )
    return OAS30Validator(
        {"$ref": f"{ROOT}#/components/schemas/EmergencyIncidentDataObjectType"},
        registry=registry,
    )


def errors(document: dict) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}"
        for e in validator().iter_errors(document)
    ]


def sample(path: Path) -> dict:
    return json.loads(path.read_text())
