"""Every topic a node of the layout may publish, resolved once at start-up.

The points stream and the live state both resolve topics through one table:
an input topic is one dict lookup to its node, input, zone and the line
protocol prefix of its points; anything not in the table takes the full
parse (hubsense.contract), which names what is wrong with it.
"""

from __future__ import annotations

from dataclasses import dataclass

from hubsense.contract import (
    NodeTopic,
    ParsedTopic,
    Reject,
    RejectedMessage,
    input_topic,
    parse_node_topic,
    require_node,
)
from hubsense.layout import Input, Layout


@dataclass(frozen=True, slots=True)
class InputRoute:
    node: str
    input: Input
    zone: str


class TopicTable:
    """Topic → what the layout says about it; a bad mapping fails here, at start-up."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.site = layout.site.id
        self._inputs = {input_topic(self.site, node.id, inp.n):
                        InputRoute(node.id, inp, layout.zone_of(inp))
                        for node in layout.nodes for inp in node.inputs}

    def input(self, topic: str) -> InputRoute | None:
        """The route of a valid input topic; None for anything else (the fast path)."""
        return self._inputs.get(topic)

    def resolve(self, topic: str) -> tuple[ParsedTopic, InputRoute | None]:
        """Parse any node topic; raises RejectedMessage naming what is wrong."""
        t = parse_node_topic(topic, self.site)
        node = require_node(self.layout, t.node)
        if t.leaf is not NodeTopic.INPUT:
            return t, None
        inp = node.input(t.n)
        if inp is None:
            raise RejectedMessage(Reject.UNKNOWN_INPUT, f"node '{node.id}' has no input {t.n}")
        return t, InputRoute(node.id, inp, self.layout.zone_of(inp))
