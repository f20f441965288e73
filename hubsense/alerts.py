"""What the staff console raises as an alert: the one place of those rules.

From what the API already holds (each node's published health and whether the
collector is live), so an alert and the node list never disagree.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from hubsense.contract import UpdateState
from hubsense.state import NodeHealth

AlertKind = Literal["collector_down", "offline", "stale", "queue_drops", "low_heap",
                    "update_refused", "update_failed", "update_rolled_back"]
# A node's latest update that did not take: a refusal may be a tampered file.
_UPDATE_ALERTS: dict[UpdateState, AlertKind] = {
    UpdateState.REFUSED: "update_refused", UpdateState.FAILED: "update_failed",
    UpdateState.ROLLED_BACK: "update_rolled_back"}


class Alert(BaseModel):
    kind: AlertKind
    node: str | None = None  # None: the whole site
    value: int | None = None  # dropped messages since boot, free heap in bytes, or a release


def alerts(nodes: list[NodeHealth], collector_live: bool, low_heap_bytes: int) -> list[Alert]:
    """Alerts, the site's first: a collector down makes every node's word old news."""
    out = [] if collector_live else [Alert(kind="collector_down")]
    for n in nodes:
        if not n.online:
            out.append(Alert(kind="offline", node=n.id))
        elif not n.fresh:
            out.append(Alert(kind="stale", node=n.id))
        if n.drops:
            out.append(Alert(kind="queue_drops", node=n.id, value=n.drops))
        if n.heap_free is not None and n.heap_free < low_heap_bytes:
            out.append(Alert(kind="low_heap", node=n.id, value=n.heap_free))
        if n.update is not None and n.update.state in _UPDATE_ALERTS:
            out.append(Alert(kind=_UPDATE_ALERTS[n.update.state], node=n.id,
                             value=n.update.release))
    return out
