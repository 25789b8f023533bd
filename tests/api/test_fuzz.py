"""Property-based fuzzing of the whole API from its own OpenAPI document (Schemathesis):
no server error, and no answer that the document does not allow.

Each operation is fuzzed with valid data (positive) and with data that breaks the document
(negative), through the WSGI app and a real database. Schemathesis's pytest plugin does not
yet run under pytest 9, so each operation is driven through its Hypothesis strategy here.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from heart_field import create_app, tokens
from heart_field.config import TestConfig
from heart_field.extensions import db
from tests.conftest import make_incident, make_team

EXAMPLES = 20  # per operation and mode: the whole run stays well under a minute


def _operations():
    app = create_app(TestConfig)
    document = app.test_client().get("/api/v1/openapi.json").json
    return sorted((method.upper(), path) for path, ops in document["paths"].items() for method in ops)


OPERATIONS = _operations()


@pytest.fixture
def fuzz_app(app):
    app.config["HEART_API_RATE_LIMIT"] = "100000 per minute"
    make_team("CR-1")
    make_team("CO-1", unit="co_response")
    make_incident("D1")
    return app


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_api_conforms_to_its_document(fuzz_app, method, path, mode):
    _token, secret = tokens.issue(db.session, "fuzzer")
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzz_app)
    operation = schema[path][method]
    cases = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def fuzz(case):
        cases.append(case)
        case.call_and_validate(headers={"Authorization": f"Bearer {secret}"})

    fuzz()
    assert cases
