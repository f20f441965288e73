"""JSON request bodies, read only after the route's token check has passed.

FastAPI reads and validates a body parameter before any dependency runs, so a
request without a token would be read and answered 422 before it is refused.
Routes that write therefore take no body parameter: a dependency that depends
on the auth dependency reads the (size-limited, api/bodylimit.py) body and
validates it here, and `documented()` keeps the schema in the OpenAPI spec.
Duplicate keys are refused rather than letting the last one win.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


class _DuplicateKey(ValueError):
    pass


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def _is_json(content_type: str | None) -> bool:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/")
                                           and media.endswith("+json"))


def _invalid(kind: str, msg: str, *loc: str | int) -> RequestValidationError:
    return RequestValidationError([{"type": kind, "loc": ("body", *loc), "msg": msg}])


async def json_body(request: Request, model: type[M]) -> M:
    """Read the body as JSON without duplicate keys and validate it as `model` (else 422)."""
    if not _is_json(request.headers.get("content-type")):
        raise _invalid("content_type", "send the body as application/json")
    raw = await request.body()
    if not raw:
        raise _invalid("missing", "a JSON body is required")
    try:
        data = json.loads(raw, object_pairs_hook=_unique)
    except _DuplicateKey as exc:
        raise _invalid("json_duplicate_key", f"duplicate key {str(exc)[:40]!r}") from None
    except json.JSONDecodeError as exc:
        raise _invalid("json_invalid", f"JSON decode error: {exc.msg}", exc.pos) from None
    except (ValueError, RecursionError):  # not UTF-8, a 5000-digit number, nested too deep
        raise _invalid("json_invalid", "not JSON that can be read") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])}
                                      for e in exc.errors(include_url=False)]) from None


def documented(model: type[BaseModel]) -> dict[str, Any]:
    """`openapi_extra` for a route that reads `model` with json_body: the body and its 422."""
    schema = model.model_json_schema()
    if "$defs" in schema:  # its refs would point nowhere in the spec: fail at start-up
        raise TypeError(f"{model.__name__} nests models; give them components first")
    return {
        "requestBody": {"required": True, "content": {"application/json": {"schema": schema}}},
        # The component FastAPI documents its own 422s with (api/validation.py keeps it true).
        "responses": {"422": {"description": "Validation Error", "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}}}},
    }
