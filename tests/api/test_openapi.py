"""The OpenAPI document: valid OpenAPI 3.1, public, and exactly DESIGN.md's endpoints."""

from openapi_spec_validator import validate

DESIGN_SURFACE = {
    ("post", "/api/v1/incidents"),
    ("post", "/api/v1/incidents/{incident_id}/assign"),
    ("get", "/api/v1/incidents/{incident_id}"),
    ("get", "/api/v1/incidents"),
    ("get", "/api/v1/teams"),
    ("post", "/api/v1/teams/{call_sign}/log-on"),
    ("post", "/api/v1/teams/{call_sign}/log-off"),
    ("post", "/api/v1/geofence"),
    ("get", "/api/v1/events"),
    # Issue 22: NENA EIDO in and out.
    ("post", "/api/v1/eido"),
    ("get", "/api/v1/incidents/{incident_id}/eido"),
    ("post", "/api/v1/incidents/{incident_id}/cancel"),
    ("post", "/api/v1/incidents/{incident_id}/notes"),
}


def test_document_is_valid_openapi_31_and_needs_no_token(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json
    assert document["openapi"] == "3.1.0"
    validate(document)


def test_document_lists_exactly_the_designed_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {(m, p) for p, ops in paths.items() for m in ops} == DESIGN_SURFACE


def test_document_follows_the_code(client):
    """Fields come from the validating models: the create body's rules are all there."""
    schemas = client.get("/api/v1/openapi.json").json["components"]["schemas"]
    incident_in = schemas["IncidentIn"]
    assert set(incident_in["required"]) == {"cad_number", "call_type", "priority", "safety"}
    assert incident_in["properties"]["priority"].items() >= {"minimum": 1, "maximum": 3}.items()
    assert set(schemas["Safety"]["required"]) == {"weapons", "violence", "medical_emergency"}
    assert incident_in["additionalProperties"] is False


def test_every_operation_documents_its_errors(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            statuses = set(operation["responses"])
            assert {"401", "429"} <= statuses, (method, path)
            if "requestBody" in operation:
                assert {"400", "413", "415", "422"} <= statuses, (method, path)
            if "{" in path:
                assert "404" in statuses, (method, path)
