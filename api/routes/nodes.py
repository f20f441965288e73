"""Staff API: node health, the list a facility person checks when a zone reads unknown,
with the alerts it raises and each node's last hours."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request

from api import examples
from api.auth import require_scope
from api.deps import LayoutDep, LiveDep, ReportsDep, SettingsDep
from api.models import Message, NodesPublic, staff_errors
from api.routes.reports import CSV_MEDIA, Format, csv_response, wants_csv
from hubsense.alerts import alerts
from hubsense.layout import ID_PATTERN
from reports import export
from reports.nodes import NodeHistory
from reports.service import NotFound

router = APIRouter(prefix="/nodes", tags=["staff"])
Reader = Annotated[str, Depends(require_scope("nodes:read"))]


@router.get("", response_model=NodesPublic,
            summary="Every node's health as the collector last published it",
            responses={401: {"model": Message, "description": "no or unknown token"},
                       403: {"model": Message, "description": "token lacks 'nodes:read'"},
                       200: {"content": {"text/csv": {"schema": {"type": "string"},
                                                      "example": examples.NODES_CSV}}}})
def list_nodes(live: LiveDep, layout: LayoutDep, settings: SettingsDep, request: Request,
               _who: Reader, format: Format = None) -> Any:
    """Return each layout node (fields stay null until the collector publishes them), the
    zones it watches, and the alerts: collector down, nodes offline or stale, offline-queue
    drops, low free heap (console.low_heap_bytes)."""
    nodes = live.nodes()
    if wants_csv(request, format):
        return csv_response(export.nodes_csv(nodes), "nodes")
    placement = {n.id: sorted({layout.zone_of(i) for i in n.inputs}) for n in layout.nodes}
    return NodesPublic(count=len(nodes), data=nodes, placement=placement,
                       alerts=alerts(nodes, live.live, settings.console.low_heap_bytes))


@router.get("/{node_id}/history", response_model=NodeHistory,
            responses={**staff_errors("nodes:read", "hours out of range"),
                       404: {"model": Message, "description": "no such node in the layout"},
                       200: {"content": {"application/json": {"example": examples.NODE_HISTORY},
                                         CSV_MEDIA.split(";")[0]: {
                                             "schema": {"type": "string"},
                                             "example": examples.NODE_HISTORY_CSV}}}},
            summary="A node's last hours: heartbeats, free heap, RSSI, offline-queue drops")
def get_history(_who: Reader, request: Request, svc: ReportsDep,
                node_id: Annotated[str, Path(pattern=ID_PATTERN)],
                hours: Annotated[int, Query(ge=1, le=168)] = 24, format: Format = None) -> Any:
    """Return, hour by hour (local), the heartbeats heard, the least free heap, the mean RSSI,
    the most offline-queue drops and the uptime; an hour without a heartbeat is all null."""
    try:
        h = svc.node_history(node_id, hours)
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    return csv_response(export.node_history_csv(h), "node-history") \
        if wants_csv(request, format) else h
