"""The OpenAPI schema (drf-spectacular): every operation also documents the problem-details
errors it can answer with, so the schema tells the whole truth (schemathesis checks it)."""

from __future__ import annotations

import functools
import re

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema

from .errors import CONTENT_TYPE

PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["type", "title", "status", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "code", "detail"],
                "properties": {
                    "field": {"type": "string"},
                    "code": {"type": "string"},
                    "detail": {"type": "string"},
                },
            },
        },
        "missing_scope": {"type": "string"},
    },
}

_READ_ERRORS = {
    "400": "Invalid parameters",
    "401": "Missing, unknown, expired or revoked API key",
    "403": "The key lacks a scope, or the data may not leave the platform",
    "404": "Not found (or another firm's)",
    "406": "Not acceptable",
    "429": "Rate limit reached; see Retry-After",
}
_WRITE_ERRORS = {
    "409": "Conflict with the object's state",
    "413": "Body too large",
    "415": "Unsupported media type",
    "422": "Idempotency-Key reused with a different request",
}


class AutoSchema(SpectacularAutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        errors = dict(_READ_ERRORS)
        if self.method in ("POST", "PUT", "PATCH", "DELETE"):
            errors.update(_WRITE_ERRORS)
        for code, description in errors.items():
            responses.setdefault(
                code,
                {
                    "description": description,
                    "content": {CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
                },
            )
        return responses

    def get_tags(self):
        return [getattr(self.view, "schema_tag", None) or super().get_tags()[0]]


def add_problem_component(result, generator, request, public):
    """drf-spectacular postprocessing hook: the shared `Problem` schema."""
    result.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    return result


@functools.cache
def _documented_query_parameters() -> dict[tuple[str, str], frozenset[str]]:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    found = {}
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            names = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}
            found[(path, method.upper())] = frozenset(names)
    return found


def documented_query_parameters(route: str, method: str) -> frozenset[str] | None:
    """The query parameters the schema documents for this Django route and method (None when
    the route is not in the schema)."""
    path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
    return _documented_query_parameters().get((path, method.upper()))
