"""Staff API: node health, the list a facility person checks when a zone reads unknown."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from api.auth import require_scope
from api.deps import LiveDep
from api.models import Message, NodesPublic

router = APIRouter(prefix="/api/v1/nodes", tags=["staff"])


@router.get("", summary="Every node's health as the collector last published it",
            responses={401: {"model": Message, "description": "no or unknown token"},
                       403: {"model": Message, "description": "token lacks 'nodes:read'"}})
def list_nodes(live: LiveDep,
               _who: Annotated[str, Depends(require_scope("nodes:read"))]) -> NodesPublic:
    """Return each layout node; fields stay null until the collector publishes them."""
    nodes = live.nodes()
    return NodesPublic(count=len(nodes), data=nodes)
