"""The visitor screen: one static page that draws itself from the public API, and its QR code."""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

import segno
from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse

from api.deps import SettingsDep

STATIC = Path(__file__).resolve().parent.parent / "static"

router = APIRouter(tags=["screen"])


# The page may load only from its own origin: no CDN, no tracker, no injected script.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "connect-src 'self'; base-uri 'none'; form-action 'none'")


@router.get("/", include_in_schema=False)
def screen() -> FileResponse:
    """Serve the page; everything it shows comes from /api/v1 and /static."""
    return FileResponse(STATIC / "index.html", media_type="text/html", headers={
        "Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer"})


@lru_cache(maxsize=16)
def qr_svg(url: str) -> bytes:
    """Render once per address: the code only changes if the address does."""
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=8, border=2, dark="#000",
                                    light="#fff", xmldecl=False, svgns=True,
                                    title="QR code that opens this page")
    return out.getvalue()


@router.get("/qr.svg", include_in_schema=False)
def qr(request: Request, settings: SettingsDep) -> Response:
    """A QR code that opens this screen on a phone (settings.api.public_url, else this URL).

    The request's host is one of api.allowed_hosts (api/hosts.py): a forged Host
    header is refused before it gets here.
    """
    headers = {"Cache-Control": "max-age=3600"}
    url = settings.api.public_url
    if url is None:
        url = str(request.base_url)
        headers["Vary"] = "Host"  # a cache must not serve one host's code for another
    return Response(qr_svg(url), media_type="image/svg+xml", headers=headers)
