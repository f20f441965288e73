"""Updates for nodes: each node downloads its own manifest and files of a release, logged in
as itself (api/nodeauth.py); staff list the releases (docs/security.md, sensors/README.md)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Request, Response, status
from fastapi.responses import FileResponse

from api.auth import require_scope
from api.deps import LiveDep
from api.models import Message, ReleasePublic, ReleasesPublic
from api.nodeauth import NodeDep
from hubsense.releases import ReleaseStore

router = APIRouter(tags=["updates"])

_MANIFEST = (  # hubsense/manifest.py
    "hubsense-ota 1 hbg-works desk-q1 3 0.2.0 120\n"
    "5a0c…(64 hex) 412 config.json\n"
    "9f1e…(64 hex) 2960 hubsense_node/mqtt.mpy\n"
    "tag 3b7d…(64 hex: HMAC-SHA256 of the lines above, with the node's key)\n")

Release = Annotated[int, Path(ge=1, le=2**31 - 1, description="the release number")]
_NODE_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Message, "description": "no node login, or one the broker would refuse"},
    404: {"model": Message, "description": "this release has no such file for this node"}}


def get_store(request: Request) -> ReleaseStore:
    store: ReleaseStore = request.app.state.releases
    return store


StoreDep = Annotated[ReleaseStore, Depends(get_store)]


class _Chunks(FileResponse):
    """A file sent in small pieces: each is a TLS record of its own, so a connection
    cut mid-file leaves the node whole pieces to resume from (TLS hands over nothing
    of a record cut short, and Starlette's 64 KB pieces would be the whole file)."""

    chunk_size = 2048


def _missing() -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, "no such release for this node")


@router.get("/ota/{release}/manifest", summary="A node's manifest of a release",
            response_class=Response, responses={
                200: {"content": {"text/plain": {"example": _MANIFEST}},
                      "description": "the manifest, tagged with the node's key"},
                **_NODE_ERRORS})
def manifest(release: Release, node: NodeDep, store: StoreDep) -> Response:
    """Return the manifest of `release` made for the node that asks."""
    text = store.manifest(release, node)
    if text is None:
        raise _missing()
    return Response(text, media_type="text/plain")


@router.get("/ota/{release}/files/{path:path}", summary="A file of a node's release",
            response_class=FileResponse, responses={
                200: {"content": {"application/octet-stream": {"example": "(the file's bytes)"}},
                      "description": "the file"},
                206: {"description": "the bytes asked for with Range (a resumed download)"},
                **_NODE_ERRORS})
def file(release: Release, path: str, node: NodeDep, store: StoreDep) -> FileResponse:
    """Return a file the node's manifest lists (Range: the rest of a cut download)."""
    found = store.file(release, node, path)
    if found is None:
        raise _missing()
    return _Chunks(found[0], media_type="application/octet-stream")


@router.get("/releases", summary="Update releases and where each node is with them",
            responses={401: {"model": Message, "description": "no or unknown token"},
                       403: {"model": Message, "description": "token lacks 'nodes:read'"}})
def releases(store: StoreDep, live: LiveDep,
             _who: Annotated[str, Depends(require_scope("nodes:read"))]) -> ReleasesPublic:
    """Return every release, newest first, with each of its nodes' update state."""
    health = {n.id: n for n in live.nodes()}
    out = []
    for number in reversed(store.numbers()):
        info = store.info(number)
        states = {}
        for node in info.nodes:
            h = health.get(node)
            if h is not None and h.release is not None and h.release > number:
                states[node] = "superseded"
            elif h is not None and h.update is not None and h.update.release == number:
                states[node] = h.update.state.value
            elif h is not None and h.release == number:
                states[node] = "online"
            else:
                states[node] = "not offered"
        out.append(ReleasePublic(release=number, version=info.version,
                                 created_ms=info.created_ms, rollback_s=info.rollback_s,
                                 nodes=states))
    return ReleasesPublic(count=len(out), data=out)
