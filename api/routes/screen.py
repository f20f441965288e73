"""The visitor screen: one static page that draws itself from the public API."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

STATIC = Path(__file__).resolve().parent.parent / "static"

router = APIRouter(tags=["screen"])


@router.get("/", include_in_schema=False)
def screen() -> FileResponse:
    """Serve the page; everything it shows comes from /api/v1 and /static."""
    return FileResponse(STATIC / "index.html", media_type="text/html")
