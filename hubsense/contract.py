"""The MQTT contract, version 1: topics and payloads (see docs/mqtt-contract.md).

Nodes publish under their own node id and input number only; the layout turns
those into desks and zones. The firmware cannot import this module, so its side
of the contract is pinned by tests that run the real firmware against it.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, NamedTuple, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from hubsense.layout import ID_RE, Input, Layout, Measure, Node

VERSION = "v1"
ROOT = f"hubsense/{VERSION}"

# The largest MQTT packet anyone may send to a hubsense broker (it disconnects
# the sender of a larger one after reading its first bytes): a node's packets
# stay under 320 bytes, the collector's state and discovery messages under 2 KB.
MAX_PACKET_SIZE = 4096

ONLINE = b"online"
OFFLINE = b"offline"

# A node timestamp further than this from the collector's clock is refused:
# a node with a broken clock must not write points into the wrong day.
MAX_FUTURE_MS = 5 * 60 * 1000
MAX_PAST_MS = 7 * 24 * 3600 * 1000


def node_topic(site: str, node: str, leaf: str) -> str:
    return f"{ROOT}/{site}/node/{node}/{leaf}"


def input_topic(site: str, node: str, n: int) -> str:
    return node_topic(site, node, f"in/{n}")


def state_topic(site: str, what: str, ident: str) -> str:
    """Retained live state published by the collector (what: zone, desk, node)."""
    return f"{ROOT}/{site}/state/{what}/{ident}"


def collector_status_topic(site: str) -> str:
    return f"{ROOT}/{site}/collector/status"


def collector_heartbeat_topic(site: str) -> str:
    """Retained `{"ts": ms, "every_s": s}`, renewed every `every_s` while the collector
    keeps live state: an old one means it hangs, whatever its status says."""
    return f"{ROOT}/{site}/collector/heartbeat"


def offer_topic(site: str, node: str) -> str:
    """Retained update offer to one node, `OfferPayload`: only that node (and the
    services) may read it, only the fleet login write it (deploy/broker.py)."""
    return node_topic(site, node, "ota")


def node_subscriptions(site: str) -> list[tuple[str, bool]]:
    """The node topic filters, each with whether its messages may be retained
    (a node retains its status only; the fleet login retains its offers)."""
    return [(f"{ROOT}/{site}/node/+/in/+", False), (f"{ROOT}/{site}/node/+/status", True),
            (f"{ROOT}/{site}/node/+/heartbeat", False), (f"{ROOT}/{site}/node/+/update", False),
            (f"{ROOT}/{site}/node/+/ota", True)]


class Reject(StrEnum):
    """Why a message was refused; the collector counts each reason."""

    TOPIC = "bad_topic"
    PAYLOAD = "bad_payload"
    UNKNOWN_NODE = "unknown_node"
    UNKNOWN_INPUT = "unknown_input"
    WRONG_MEASURE = "wrong_measure"
    RANGE = "out_of_range"
    CLOCK = "bad_timestamp"
    RETAINED = "retained"  # a node retains its status, nothing else


class RejectedMessage(Exception):
    def __init__(self, reason: Reject, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class NodeTopic(StrEnum):
    INPUT = "in"
    STATUS = "status"
    HEARTBEAT = "heartbeat"
    UPDATE = "update"  # the node: how an update goes
    OFFER = "ota"  # to the node: an update offered (retained, by the fleet login)


@dataclass(frozen=True, slots=True)
class ParsedTopic:
    node: str
    leaf: NodeTopic
    n: int = 0


# ASCII only: str.isdigit() also accepts digits of other scripts, which int() reads.
_INPUT_RE = re.compile(r"[1-9][0-9]?")


def parse_node_topic(topic: str, site: str) -> ParsedTopic:
    """Split a node topic; anything not of the v1 shape is a TOPIC rejection."""
    parts = topic.split("/")
    prefix = ["hubsense", VERSION, site, "node"]
    # fullmatch: with match(), "$" also accepts an id ending in a newline.
    if len(parts) < 6 or parts[:4] != prefix or not ID_RE.fullmatch(parts[4]):
        raise RejectedMessage(Reject.TOPIC, "not a v1 node topic of this site")
    node, rest = parts[4], parts[5:]
    if rest == ["status"]:
        return ParsedTopic(node, NodeTopic.STATUS)
    if rest == ["heartbeat"]:
        return ParsedTopic(node, NodeTopic.HEARTBEAT)
    if rest == ["update"]:
        return ParsedTopic(node, NodeTopic.UPDATE)
    if rest == ["ota"]:
        return ParsedTopic(node, NodeTopic.OFFER)
    if len(rest) == 2 and rest[0] == "in" and _INPUT_RE.fullmatch(rest[1]):
        return ParsedTopic(node, NodeTopic.INPUT, int(rest[1]))
    raise RejectedMessage(Reject.TOPIC, "unknown node topic leaf")


Seq = Annotated[int, Field(ge=0, le=2**31 - 1)]
BootId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{4,16}$")]


# A node's clock in ms since the Unix epoch, up to the year 2100: a larger
# integer is not a time, and past 2**63 not even an InfluxDB integer.
Millis = Annotated[int, Field(ge=0, le=4_102_444_800_000)]
# Counters that a node keeps since its boot, bounded where an int32 of the
# firmware would wrap anyway.
Count32 = Annotated[int, Field(ge=0, le=2**31 - 1)]
Release = Annotated[int, Field(ge=0, le=2**31 - 1)]  # 0: as flashed, before any release


class _Payload(BaseModel):
    # Strict: the contract says bool and int, so "yes", 1 or "7" are rejections,
    # not values pydantic's lax mode would quietly coerce. Fields go by their
    # wire names only ("in", not "ins"): one spelling per field.
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=False, strict=True)


class ObservationPayload(_Payload):
    """What a node publishes on `.../in/<n>`; exactly the field its measure needs."""

    seq: Seq
    ts: Millis = Field(description="node clock, ms since the Unix epoch")
    synced: bool = True
    present: bool | None = None
    count: int | None = Field(default=None, ge=0, le=1000)
    laeq: float | None = Field(default=None, ge=0, le=140)
    lamax: float | None = Field(default=None, ge=0, le=140)
    boot: BootId | None = None
    ins: Count32 | None = Field(default=None, alias="in")
    outs: Count32 | None = Field(default=None, alias="out")


class HeartbeatPayload(_Payload):
    seq: Seq
    ts: Millis
    synced: bool = True
    boot: BootId
    fw: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z.+-]{1,24}$")]
    uptime_s: Count32  # 68 years
    heap_free: int = Field(ge=0, le=64 * 1024 * 1024)  # an ESP32 with 8 MB PSRAM has less
    rssi: int | None = Field(default=None, ge=-127, le=0)
    drops: Count32
    rel: Release | None = None  # the update release it runs (a node flashed with a bundle)


class UpdateState(StrEnum):
    """Where a node is with an update release (docs/mqtt-contract.md)."""

    OFFERED = "offered"  # the fleet login offered it; the node has not answered yet
    DOWNLOADING = "downloading"  # accepted: rebooted into update mode, fetching files
    VERIFYING = "verifying"  # every file fetched; read back and checked from flash
    REBOOTING = "rebooting"  # staged in the other slot; the node boots it on trial
    ONLINE = "online"  # back online on it, and kept
    REFUSED = "refused"  # a file or the manifest's tag was wrong: never taken
    FAILED = "failed"  # could not download it (taken again when offered again)
    ROLLED_BACK = "rolled_back"  # the new firmware did not come online: the old one runs


class UpdatePayload(_Payload):
    """What a node publishes on `.../update` as an update goes."""

    seq: Seq
    ts: Millis
    synced: bool = True
    release: Release
    state: UpdateState
    # Printable ASCII without quotes or backslashes (the firmware makes them so).
    why: Annotated[str, StringConstraints(max_length=80, pattern=r"^[ !#-\[\]-~]*$")] | None = None


class OfferPayload(_Payload):
    """An update offered to a node, retained on `.../ota` by the fleet login."""

    release: Release
    version: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z.+-]{1,24}$")]


_FIELDS: dict[Measure, tuple[str, ...]] = {
    Measure.PRESENCE: ("present",),
    Measure.COUNT: ("count",),
    Measure.SOUND: ("laeq", "lamax"),
    Measure.PASSAGE: ("boot", "ins", "outs"),
}
_ALL_VALUE_FIELDS = frozenset(f for fs in _FIELDS.values() for f in fs)
_WANTED = {m: frozenset(fs) for m, fs in _FIELDS.items()}


class Observation(NamedTuple):
    """A validated observation, with its targets resolved through the layout.

    A NamedTuple, not a frozen dataclass: the collector builds one per message,
    and a frozen dataclass's __init__ cost as much as half the payload validation.
    """

    node: str
    n: int
    measure: Measure
    zone: str
    desk: str | None
    ts_ms: int
    seq: int
    synced: bool
    payload: ObservationPayload


M = TypeVar("M", bound=BaseModel)


def _validate_json(model: type[M], raw: bytes) -> M:
    try:
        p = model.model_validate_json(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"]) or "payload"
        reason = Reject.RANGE if err["type"] in _RANGE_ERRORS else Reject.PAYLOAD
        raise RejectedMessage(reason, f"{loc}: {err['msg']}") from None
    _refuse_repeated_keys(raw, p)
    return p


def _refuse_repeated_keys(raw: bytes, p: BaseModel) -> None:
    """Refuse a payload that names a field twice (JSON parsers keep the last).

    Counting quotes is exact here, and a fraction of a JSON parse: a payload
    that validated has only known keys and string values of hex or [0-9A-Za-z.+-],
    neither of which can hold a quote, so it has exactly two quotes per key and
    per string value, and any more mean a key was repeated.
    """
    fields = p.model_fields_set
    strings = sum(1 for f in fields if isinstance(getattr(p, f), str))
    if raw.count(b'"') != 2 * (len(fields) + strings):
        raise RejectedMessage(Reject.PAYLOAD, "a field is named more than once")


_RANGE_ERRORS = frozenset({"greater_than_equal", "less_than_equal", "greater_than", "less_than"})


def event_time(ts_ms: int, synced: bool, now_ms: int) -> int:
    """When a message happened: the node's clock once synced (an unsynced one counts
    from 1970/2000, so the server's time stands in), refused when far off."""
    ts = ts_ms if synced else now_ms
    check_clock(ts, now_ms)
    return ts


def require_node(layout: Layout, node_id: str) -> Node:
    node = layout.node(node_id)
    if node is None:
        raise RejectedMessage(Reject.UNKNOWN_NODE, f"node '{node_id}' is not in the layout")
    return node


def check_clock(ts_ms: int, now_ms: int) -> None:
    if ts_ms > now_ms + MAX_FUTURE_MS:
        raise RejectedMessage(Reject.CLOCK, f"ts {ts_ms} is in the future")
    if ts_ms < now_ms - MAX_PAST_MS:
        raise RejectedMessage(Reject.CLOCK, f"ts {ts_ms} is too old")


def parse_observation(layout: Layout, topic: ParsedTopic, raw: bytes,
                      now_ms: int | None = None) -> Observation:
    """Validate an input message against the contract and the layout."""
    node = require_node(layout, topic.node)
    inp = node.input(topic.n)
    if inp is None:
        raise RejectedMessage(Reject.UNKNOWN_INPUT, f"node '{node.id}' has no input {topic.n}")
    return check_observation(node.id, inp, layout.zone_of(inp), raw, now_ms)


def check_observation(node: str, inp: Input, zone: str, raw: bytes,
                      now_ms: int | None = None) -> Observation:
    """The payload half of parse_observation, for a caller that resolved node and input
    once (the collector, per topic: the lookups cost as much as the checks)."""
    p = _validate_json(ObservationPayload, raw)
    wanted = _WANTED[inp.measures]
    # A value field the payload did not name is None: only look at those it named.
    given = {f for f in _ALL_VALUE_FIELDS & p.model_fields_set if getattr(p, f) is not None}
    if given != wanted:
        raise RejectedMessage(
            Reject.WRONG_MEASURE,
            f"input {inp.n} measures {inp.measures}: expected fields {sorted(wanted)}, "
            f"got {sorted(given)}",
        )
    if p.laeq is not None and p.lamax is not None and p.lamax < p.laeq:
        raise RejectedMessage(Reject.RANGE, "lamax below laeq")
    now = int(time.time() * 1000) if now_ms is None else now_ms
    ts = event_time(p.ts, p.synced, now)
    return Observation(node, inp.n, inp.measures, zone, inp.desk, ts, p.seq, p.synced, p)


def parse_heartbeat(raw: bytes) -> HeartbeatPayload:
    return _validate_json(HeartbeatPayload, raw)


def parse_update(raw: bytes) -> UpdatePayload:
    p = _validate_json(UpdatePayload, raw)
    if p.state is UpdateState.OFFERED:
        raise RejectedMessage(Reject.PAYLOAD, "a node does not offer itself updates")
    return p


def parse_offer(raw: bytes) -> OfferPayload:
    return _validate_json(OfferPayload, raw)
