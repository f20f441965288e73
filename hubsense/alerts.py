"""What the staff console raises as an alert: the one place of those rules.

From what the API already holds (each node's published health and whether the
collector is live), so an alert and the node list never disagree.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from hubsense.state import NodeHealth

AlertKind = Literal["collector_down", "offline", "stale", "queue_drops", "low_heap"]


class Alert(BaseModel):
    kind: AlertKind
    node: str | None = None  # None: the whole site
    value: int | None = None  # dropped messages since boot, or free heap in bytes


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
    return out
