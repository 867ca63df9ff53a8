"""The OpenAPI document says what errors really look like.

FastAPI documents a 422 as ``{"detail": [...]}``, but every litfeed error, a validation error
included, is ``{"error": code, "message": text}`` (web/errors.py). This rewrites the generated
document once: the 422 answers get the real shape, every operation declares the other client
errors (``4XX``) with it, and a ``429`` with its ``Retry-After`` header, since any request can
meet a rate limit. A PMID in a path gets an example value. Clients generated from the
document, and the schemathesis fuzz test that checks answers against it, then see the truth.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

ERROR_REF = {"$ref": "#/components/schemas/Error"}

ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string", "description": "a stable code: invalid_input, "
                  "unauthorized, forbidden, not_found, conflict, too_large, rate_limited…"},
        "message": {"type": "string", "description": "what went wrong, for a person"},
    },
}

HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}
#: the PMID the document shows in examples (a 2020 NEJM trial report)
EXAMPLE_PMID = "32109013"


def _error_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ERROR_REF}}}


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Rewrite ``schema`` in place (idempotent) and return it."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR_SCHEMA
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    for operations in schema.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in HTTP_METHODS:
                continue
            for parameter in operation.get("parameters", []):
                if parameter.get("name") == "pmid" and parameter.get("in") == "path":
                    parameter.setdefault("example", EXAMPLE_PMID)
            responses = operation.setdefault("responses", {})
            if "422" in responses:
                responses["422"] = _error_response(
                    "The request does not match this operation's parameters or body")
            responses.setdefault("4XX", _error_response(
                "A client error: bad input (400), not signed in (401), not allowed (403), "
                "not found (404), conflict (409), too large (413)"))
            responses["429"] = {
                **_error_response("Too many requests: wait `Retry-After` seconds"),
                "headers": {"Retry-After": {"description": "seconds to wait",
                                            "required": True,
                                            "schema": {"type": "integer", "minimum": 1}}},
            }
    return schema


def install_error_schemas(app: FastAPI) -> None:
    """Make ``app.openapi()`` return the rewritten document (regenerated with the routes)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        return document_errors(generate())

    app.openapi = openapi  # type: ignore[method-assign]
