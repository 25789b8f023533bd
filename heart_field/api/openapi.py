"""Declaring an API operation once: the decorator validates the request with the
operation's pydantic models, and build_document() turns the same declarations (and the
app's URL map) into the OpenAPI 3.1 document, so the document cannot drift from the code."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from flask import Flask, current_app, jsonify, request
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema

from .schemas import MAX_ID, Error

JSON = "application/json"
REF = "#/components/schemas/{model}"

ERROR_TEXT = {
    400: "The body is not valid JSON.",
    401: "No token, or a token that is unknown or revoked.",
    403: "The token's scopes do not allow this operation.",
    404: "No such object (`not_found`), or a named team or address that does not exist.",
    409: "Refused: the current state does not allow it.",
    413: "The body is larger than 1 MB.",
    415: "The body must be sent as application/json.",
    422: "A field is missing or invalid; `fields` names each one.",
    429: "Too many requests for this token; retry after `Retry-After` seconds.",
    503: "The database is unavailable just now (`unavailable`); retry after `Retry-After` seconds.",
}


class ApiError(Exception):
    """An answer other than success, as {"error": code, "message": text}."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        fields: list | None = None,
        headers: dict | None = None,
        current: dict | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields
        self.headers = headers or {}
        self.current = current

    def response(self):
        body = Error(
            error=self.code, message=self.message, fields=self.fields, current=self.current
        )
        response = jsonify(body.model_dump(mode="json", exclude_none=True))
        response.status_code = self.status
        response.headers.update(self.headers)
        return response


@dataclass(frozen=True)
class Operation:
    summary: str
    responses: dict[int, type[BaseModel]]
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    errors: tuple[int, ...] = ()
    description: str = ""


def operation(
    summary: str,
    *,
    responses: dict[int, type[BaseModel]],
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    errors: tuple[int, ...] = (),
    description: str = "",
) -> Callable:
    """Declare a view as an API operation.

    The view receives `body=` and/or `query=` as validated models, and returns a response
    model (with its status when there is more than one) that is serialized as declared.
    """
    op = Operation(summary, responses, body, query, errors, description)

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def run(**kwargs: Any):
            for value in kwargs.values():
                if isinstance(value, int) and value > MAX_ID:
                    raise ApiError(404, "not_found", "No such object.")
            if body is not None:
                kwargs["body"] = parse_body(body)
            if query is not None:
                kwargs["query"] = parse(query, request.args.to_dict(), "query")
            result = view(**kwargs)
            model, status = result if isinstance(result, tuple) else (result, next(iter(responses)))
            if type(model) is not responses[status]:
                raise TypeError(f"{view.__name__} answered {type(model).__name__} with {status}")
            response = jsonify(model.model_dump(mode="json"))
            response.status_code = status
            return response

        run.api_operation = op
        return run

    return decorate


def parse_body(model: type[BaseModel]) -> BaseModel:
    if request.mimetype != JSON:
        raise ApiError(415, "unsupported_media_type", "Send the body as application/json.")
    try:
        return model.model_validate_json(request.get_data())
    except ValidationError as error:
        if any(e["type"] == "json_invalid" for e in error.errors()):
            raise ApiError(400, "malformed_json", "The body is not valid JSON.") from None
        raise _invalid(error, "body") from None


def parse(model: type[BaseModel], data: Any, where: str) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise _invalid(error, where) from None


def _invalid(error: ValidationError, where: str) -> ApiError:
    fields = [
        {
            "field": ".".join(str(part) for part in e["loc"]) or where,
            "message": e["msg"].removeprefix("Value error, "),
        }
        for e in error.errors(include_url=False, include_input=False)
    ]
    summary = "; ".join(f"{f['field']}: {f['message']}" for f in fields[:3])
    return ApiError(422, "invalid", f"Some fields are invalid. {summary}", fields)


# The document ------------------------------------------------------------------------------


def build_document(app: Flask, title: str, version: str, description: str) -> dict:
    operations = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        op = getattr(view, "api_operation", None)
        if op is None:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            operations.append((rule, method.lower(), op, rule.endpoint))

    models = {(m, "validation") for _, _, op, _ in operations for m in (op.body,) if m}
    models |= {(m, "serialization") for _, _, op, _ in operations for m in op.responses.values()}
    models.add((Error, "serialization"))
    refs, definitions = models_json_schema(
        sorted(models, key=lambda p: (p[0].__name__, p[1])), ref_template=REF
    )
    schemas = {name: _tidy(schema) for name, schema in definitions.get("$defs", {}).items()}

    paths: dict[str, dict] = {}
    for rule, method, op, endpoint in operations:
        path, path_params = _openapi_path(rule.rule)
        entry = {
            "operationId": endpoint.split(".")[-1],
            "summary": op.summary,
            "parameters": path_params + _query_parameters(op.query),
            "responses": {},
        }
        if op.description:
            entry["description"] = op.description
        if op.body is not None:
            entry["requestBody"] = {
                "required": True,
                "content": {JSON: {"schema": refs[(op.body, "validation")]}},
            }
        for status, model in op.responses.items():
            entry["responses"][str(status)] = {
                "description": model.__doc__.strip().splitlines()[0]
                if model.__doc__
                else "Success",
                "content": {JSON: {"schema": refs[(model, "serialization")]}},
            }
        for status in _error_statuses(op, path_params):
            entry["responses"][str(status)] = _error_response(
                status, refs[(Error, "serialization")]
            )
        if not entry["parameters"]:
            del entry["parameters"]
        paths.setdefault(path, {})[method] = entry

    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version, "description": description},
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "security": [{"bearerToken": []}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearerToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A token from `flask --app app create-token NAME`.",
                }
            },
        },
    }


def _openapi_path(rule: str) -> tuple[str, list[dict]]:
    params = []

    def replace(match: re.Match) -> str:
        converter, name = match.group(1), match.group(2)
        schema = (
            {"type": "integer", "minimum": 1, "maximum": MAX_ID}
            if converter == "int"
            else {"type": "string", "minLength": 1, "maxLength": 32}  # call signs
        )
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
        return "{" + name + "}"

    return re.sub(r"<(?:(\w+):)?(\w+)>", replace, rule), params


def _query_parameters(model: type[BaseModel] | None) -> list[dict]:
    if model is None:
        return []
    schema = model.model_json_schema(ref_template=REF)
    required = set(schema.get("required", ()))
    params = []
    for name, prop in schema["properties"].items():
        prop = _tidy(dict(prop))
        description = prop.pop("description", None)
        prop.pop("title", None)
        param = {"name": name, "in": "query", "required": name in required, "schema": prop}
        if description:
            param["description"] = description
        params.append(param)
    return params


def _error_statuses(op: Operation, path_params: list) -> list[int]:
    statuses = set(op.errors) | {401, 403, 429, 503}
    if op.body is not None:
        statuses |= {400, 413, 415, 422}
    if op.query is not None:
        statuses.add(422)
    if path_params:
        statuses.add(404)
    return sorted(statuses)


def _error_response(status: int, ref: dict) -> dict:
    response: dict[str, Any] = {
        "description": ERROR_TEXT[status],
        "content": {JSON: {"schema": ref}},
    }
    if status in (429, 503):
        response["headers"] = {
            "Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}
        }
    if status == 401:
        response["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}
    return response


def _tidy(schema: Any) -> Any:
    """Drop `default: null` from properties that may not be null (pydantic writes it for
    optional fields that, when sent, must have a value)."""
    if isinstance(schema, dict):
        schema = {key: _tidy(value) for key, value in schema.items()}
        if schema.get("default", ...) is None and not _allows_null(schema):
            del schema["default"]
        return schema
    if isinstance(schema, list):
        return [_tidy(item) for item in schema]
    return schema


def _allows_null(schema: dict) -> bool:
    if schema.get("type") == "null" or "null" in (schema.get("type") or []):
        return True
    return any(_allows_null(s) for s in schema.get("anyOf", ()) if isinstance(s, dict))


def current_document() -> dict:
    """Built once per app: the URL map does not change after start-up."""
    cache = current_app.extensions.setdefault("heart_openapi", {})
    if "document" not in cache:
        from . import DESCRIPTION

        cache["document"] = build_document(
            current_app, "HEART Field CAD integration API", "1.0.0", DESCRIPTION
        )
    return cache["document"]
