"""The v1 contract: topic shapes, payload schemas, ranges, clocks and the layout check."""

from __future__ import annotations

import json

import pytest

from hubsense.contract import (
    MAX_FUTURE_MS,
    MAX_PAST_MS,
    NodeTopic,
    ParsedTopic,
    Reject,
    RejectedMessage,
    input_topic,
    parse_heartbeat,
    parse_node_topic,
    parse_observation,
)
from hubsense.layout import Layout, Measure

SITE = "hbg-works"
NOW = 1_795_426_000_000


def obs(layout: Layout, node: str, n: int, now: int = NOW, **body: object) -> object:
    raw = json.dumps({"seq": 1, "ts": NOW, **body}).encode()
    return parse_observation(layout, ParsedTopic(node, NodeTopic.INPUT, n), raw, now)


def reason(fn: object, *args: object, **kw: object) -> Reject:
    with pytest.raises(RejectedMessage) as err:
        fn(*args, **kw)  # type: ignore[operator]
    return err.value.reason


@pytest.mark.parametrize(("topic", "expected"), [
    (input_topic(SITE, "desk-q1", 3), ParsedTopic("desk-q1", NodeTopic.INPUT, 3)),
    (f"hubsense/v1/{SITE}/node/door-1/status", ParsedTopic("door-1", NodeTopic.STATUS)),
    (f"hubsense/v1/{SITE}/node/door-1/heartbeat", ParsedTopic("door-1", NodeTopic.HEARTBEAT)),
])
def test_topics_of_the_contract_parse(topic: str, expected: ParsedTopic) -> None:
    assert parse_node_topic(topic, SITE) == expected


@pytest.mark.parametrize("topic", [
    "hubsense/v2/hbg-works/node/a/status", "hubsense/v1/other/node/a/status",
    "hubsense/v1/hbg-works/node/A/status", "hubsense/v1/hbg-works/node/a b/status",
    "hubsense/v1/hbg-works/node/a/in/123", "hubsense/v1/hbg-works/node/a/in/-1",
    "hubsense/v1/hbg-works/node/a/in/1/x", "hubsense/v1/hbg-works/node/a/", "",
    "hubsense/v1/hbg-works/node/a\n/status", "hubsense/v1/hbg-works/node/" + "a" * 49 + "/status",
    "hubsense/v1/hbg-works/node/a/in/\uff11",  # a full-width 1: "isdigit" too
])
def test_other_topics_are_refused(topic: str) -> None:
    assert reason(parse_node_topic, topic, SITE) is Reject.TOPIC


def test_observation_resolves_through_the_layout(layout: Layout) -> None:
    o = obs(layout, "desk-q2", 2, present=True)
    assert (o.desk, o.zone, o.measure, o.ts_ms) == ("q-06", "quiet", Measure.PRESENCE, NOW)
    p = obs(layout, "door-1", 1, boot="9f3a51c2", **{"in": 4, "out": 2})
    assert (p.payload.ins, p.payload.outs, p.desk) == (4, 2, None)


@pytest.mark.parametrize(("node", "n", "body", "why"), [
    ("ghost", 1, {"present": True}, Reject.UNKNOWN_NODE),
    ("desk-q1", 5, {"present": True}, Reject.UNKNOWN_INPUT),
    ("desk-q1", 1, {"present": "yes"}, Reject.PAYLOAD),
    ("desk-q1", 1, {"present": 1}, Reject.PAYLOAD),
    ("buzz-n", 1, {"count": "7"}, Reject.PAYLOAD),
    ("buzz-n", 1, {"count": 7, "extra": 1}, Reject.PAYLOAD),
    ("buzz-n", 1, {"count": 1001}, Reject.RANGE),
    ("buzz-n", 1, {"count": -1}, Reject.RANGE),
    ("buzz-n", 2, {"laeq": 60.0, "lamax": 50.0}, Reject.RANGE),
    ("buzz-n", 2, {"laeq": 141.0, "lamax": 141.0}, Reject.RANGE),
    ("buzz-n", 1, {"present": True}, Reject.WRONG_MEASURE),
    ("buzz-n", 2, {"laeq": 60.0}, Reject.WRONG_MEASURE),
    ("buzz-n", 1, {}, Reject.WRONG_MEASURE),
    ("door-1", 1, {"boot": "XYZ!", "in": 1, "out": 1}, Reject.PAYLOAD),
    ("door-1", 1, {"boot": "abcd", "in": -1, "out": 1}, Reject.RANGE),
])
def test_bad_observations_are_refused_by_reason(
        layout: Layout, node: str, n: int, body: dict[str, object], why: Reject) -> None:
    assert reason(obs, layout, node, n, **body) is why


def test_not_json_is_a_payload_rejection(layout: Layout) -> None:
    t = ParsedTopic("desk-q1", NodeTopic.INPUT, 1)
    for raw in (b"{not json", b"", b"[]", b"\xff\xfe", b"null"):
        assert reason(parse_observation, layout, t, raw, NOW) is Reject.PAYLOAD


def test_clock_window(layout: Layout) -> None:
    assert obs(layout, "buzz-n", 1, now=NOW - MAX_FUTURE_MS, count=1).ts_ms == NOW
    assert reason(obs, layout, "buzz-n", 1, now=NOW - MAX_FUTURE_MS - 1, count=1) \
        is Reject.CLOCK
    assert reason(obs, layout, "buzz-n", 1, now=NOW + MAX_PAST_MS + 1, count=1) is Reject.CLOCK
    # An unsynced clock is not trusted: the receive time is used instead.
    o = obs(layout, "buzz-n", 1, now=NOW + 10 * MAX_PAST_MS, count=1, synced=False)
    assert o.ts_ms == NOW + 10 * MAX_PAST_MS


def test_heartbeat() -> None:
    hb = parse_heartbeat(b'{"seq": 2, "ts": 5, "boot": "abcd", "fw": "0.1.0", "uptime_s": 1,'
                         b' "heap_free": 100, "drops": 0}')
    assert hb.rssi is None and hb.fw == "0.1.0"
    assert reason(parse_heartbeat, b'{"seq": 2, "ts": 5, "boot": "abcd", "fw": "a\\"b",'
                  b' "uptime_s": 1, "heap_free": 100, "drops": 0}') is Reject.PAYLOAD


@pytest.mark.parametrize("leaf", ["in/0", "in/01", "in/1 ", "in/+", "in/100"])
def test_input_numbers_are_plain(leaf: str) -> None:
    assert reason(parse_node_topic, f"hubsense/v1/{SITE}/node/a/{leaf}", SITE) is Reject.TOPIC
