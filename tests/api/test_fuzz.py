"""Property-based fuzzing of the whole API from its own OpenAPI document (Schemathesis):
no server error, and no answer that the document does not allow.

Each operation is fuzzed with valid data (positive) and with data that breaks the document
(negative), through the WSGI app and a real database. Schemathesis's pytest plugin does not
yet run under pytest 9, so each operation is driven through its Hypothesis strategy here.
"""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import positive_data_acceptance

from heart_field import create_app, tokens
from heart_field.config import TestConfig
from heart_field.extensions import db
from tests.conftest import make_incident, make_team

# Per operation and mode: the whole run stays well under a minute. Raise it for a deeper run.
EXAMPLES = int(os.environ.get("HEART_FUZZ_EXAMPLES", "20"))
# The token is sent with every case; negative cases must not "break" it by leaving the header
# out, or the request they call invalid is the valid one we send. Missing and wrong tokens are
# still probed, by Schemathesis's ignored_auth check and by tests/api/test_tokens.py.
CONFIG = SchemathesisConfig.from_dict({"generation": {"with-security-parameters": False}})


def _cases():
    """(method, path, mode) for every operation; negative only where there is input to break."""
    app = create_app(TestConfig)
    document = app.test_client().get("/api/v1/openapi.json").json
    cases = []
    for path, operations in sorted(document["paths"].items()):
        for method, operation in sorted(operations.items()):
            cases.append((method.upper(), path, GenerationMode.POSITIVE))
            if operation.get("parameters") or operation.get("requestBody"):
                cases.append((method.upper(), path, GenerationMode.NEGATIVE))
    return cases


CASES = _cases()

# EIDO carries its location as PIDF-LO XML inside a JSON string. No schema can say "well-formed
# XML without a DOCTYPE", so a schema-valid EIDO may still be refused: 422 naming the part, with
# one of these codes and no other. Every other operation must accept schema-valid data.
XML_IN_JSON = {("POST", "/api/v1/eido"): {"malformed_xml", "xml_forbidden"}}


def _refused_only_for_its_xml(codes):
    def check(ctx, response, case):
        if case.meta.generation.mode.is_positive and response.status_code == 422:
            assert response.json()["error"] in codes, response.text
        else:
            positive_data_acceptance(ctx, response, case)

    return check


@pytest.fixture
def fuzz_app(app):
    app.config["HEART_API_RATE_LIMIT"] = "100000 per minute"
    make_team("CR-1")
    make_team("CO-1", unit="co_response")
    make_incident("D1")
    return app


@pytest.mark.parametrize(
    ("method", "path", "mode"), CASES, ids=[f"{m} {p} {g}" for m, p, g in CASES]
)
def test_api_conforms_to_its_document(fuzz_app, method, path, mode):
    _token, secret = tokens.issue(db.session, "fuzzer")
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzz_app, config=CONFIG)
    operation = schema[path][method]
    cases = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    def fuzz(case):
        cases.append(case)
        codes = XML_IN_JSON.get((method, path))
        case.call_and_validate(
            # Uncompressed, so the checks read the body (the app compresses larger answers).
            headers={"Authorization": f"Bearer {secret}", "Accept-Encoding": "identity"},
            excluded_checks=[positive_data_acceptance] if codes else None,
            additional_checks=[_refused_only_for_its_xml(codes)] if codes else None,
        )

    fuzz()
    assert cases
