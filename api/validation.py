"""422 answers that say what is wrong without repeating what was sent.

FastAPI's own 422 carries each error's `input` (a 422 for a body echoed the
body three times), `ctx` and `url`. Here an answer is a bounded list of
`loc`, `msg` and `type`, each cut to a sane length, whatever the request was.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import validation_error_response_definition
from fastapi.responses import JSONResponse

from hubsense.layout import ID_PATTERN

MAX_ERRORS = 10
MAX_TEXT = 160  # characters of a message or a type
MAX_KEY = 40  # characters of one step of a location: an unknown key is named, not repeated
MAX_DEPTH = 8  # steps of a location

VALIDATION_EXAMPLE = {"detail": [{"type": "string_pattern_mismatch", "loc": ["query", "zone"],
                                  "msg": f"String should match pattern '{ID_PATTERN}'"}]}


def _cut(text: object, most: int = MAX_TEXT) -> str:
    s = str(text)
    return s if len(s) <= most else s[:most - 1] + "…"


async def invalid_request(_request: Request, exc: Exception) -> JSONResponse:
    """Answer a RequestValidationError with at most MAX_ERRORS short errors, never the input."""
    assert isinstance(exc, RequestValidationError)
    return JSONResponse(status_code=422, content={"detail": [
        {"loc": [p if isinstance(p, int) else _cut(p, MAX_KEY) for p in e["loc"][:MAX_DEPTH]],
         "msg": _cut(str(e["msg"]).removeprefix("Value error, ")), "type": _cut(e["type"])}
        for e in exc.errors()[:MAX_ERRORS]]})


def document_validation_errors(app: FastAPI) -> None:
    """Make the spec's 422s say what is served: an example each, no `input` or `ctx`."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        first = app.openapi_schema is None
        spec = build()  # FastAPI keeps it in app.openapi_schema: this runs once
        if first:
            schemas = spec["components"]["schemas"]
            schemas.setdefault("HTTPValidationError", validation_error_response_definition)
            schemas["ValidationError"] = {
                "title": "ValidationError", "type": "object", "required": ["loc", "msg", "type"],
                "properties": {
                    "loc": {"title": "Location", "type": "array",
                            "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
                    "msg": {"title": "Message", "type": "string"},
                    "type": {"title": "Error Type", "type": "string"}}}
        for operations in spec["paths"].values() if first else ():
            for op in operations.values():
                if "422" in op["responses"]:
                    op["responses"]["422"]["content"]["application/json"]["example"] = \
                        VALIDATION_EXAMPLE
        return spec

    app.openapi = openapi  # type: ignore[method-assign]
