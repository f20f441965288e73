"""Liveness for probes and the benchmark's baseline: constant, no state touched."""

from __future__ import annotations

from fastapi import APIRouter, Response

router = APIRouter(prefix="/health", tags=["health"])

_OK = b'{"status":"ok"}'


@router.get("", summary="The process answers (says nothing about sensor data)",
            responses={200: {"content": {"application/json": {"example": {"status": "ok"}}}}})
async def health() -> Response:
    """Answer at once; zone freshness is reported by /api/v1/zones `live`."""
    return Response(_OK, media_type="application/json")
