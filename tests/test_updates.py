"""Updates in the domain: the contract's offer and report, where a node is with an update
(what the collector keeps and staff see), manifests and the release store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from collector.ingest import Ingest
from collector.live import LiveState
from collector.metrics import Metrics
from collector.points import PointBuilder
from collector.topics import TopicTable
from hubsense.contract import (
    NodeTopic,
    ParsedTopic,
    Reject,
    RejectedMessage,
    UpdateState,
    parse_heartbeat,
    parse_node_topic,
    parse_offer,
    parse_update,
)
from hubsense.layout import Layout, LayoutError, parse_layout
from hubsense.manifest import FileEntry, Manifest, ManifestError, allowed_path, parse
from hubsense.nodekey import new_key
from hubsense.releases import ReleaseStore
from hubsense.state import SiteTracker

SITE = "hbg-works"
NOW = 1_795_426_000_000


def update(release: int, state: str, **extra: object) -> bytes:
    return json.dumps({"seq": 0, "ts": NOW, "synced": True, "release": release, "state": state,
                       **extra}).encode()


def test_update_topics_of_the_contract() -> None:
    assert parse_node_topic(f"hubsense/v1/{SITE}/node/desk-q1/update", SITE) == \
        ParsedTopic("desk-q1", NodeTopic.UPDATE)
    assert parse_node_topic(f"hubsense/v1/{SITE}/node/desk-q1/ota", SITE) == \
        ParsedTopic("desk-q1", NodeTopic.OFFER)


def test_an_update_report_is_strict() -> None:
    p = parse_update(update(3, "refused", why="config.json: SHA-256 differs from the manifest"))
    assert (p.release, p.state, p.why) == (3, UpdateState.REFUSED,
                                            "config.json: SHA-256 differs from the manifest")
    for bad in (update(3, "offered"), update(3, "exploded"), update(-1, "online"),
                update(3, "refused", why='a "quoted" why'), update(3, "refused", why="x" * 81),
                update(3, "online", extra=1), b'{"seq":0,"ts":1,"release":1,"release":2,'
                                              b'"state":"online"}'):
        with pytest.raises(RejectedMessage):
            parse_update(bad)


def test_an_offer_and_a_heartbeat_with_its_release() -> None:
    o = parse_offer(b'{"release": 4, "version": "0.2.0"}')
    assert (o.release, o.version) == (4, "0.2.0")
    with pytest.raises(RejectedMessage):
        parse_offer(b'{"release": 4, "version": "0.2.0 "}')
    hb = parse_heartbeat(b'{"seq":1,"ts":1795426000000,"boot":"ab12cd34","fw":"0.2.0",'
                         b'"uptime_s":5,"heap_free":1000,"drops":0,"rel":4}')
    assert hb.rel == 4


def test_where_a_node_is_with_its_updates(layout: Layout) -> None:
    t = SiteTracker(layout)

    def now() -> tuple[int, str] | None:
        u = t.nodes(NOW)[0].update
        return None if u is None else (u.release, u.state.value)

    t.updating("desk-q1", 3, UpdateState.OFFERED, NOW, version="0.2.0")
    assert now() == (3, "offered")
    for state in ("downloading", "verifying", "rebooting", "online"):
        t.updating("desk-q1", 3, UpdateState(state), NOW)
        assert now() == (3, state)
    assert t.nodes(NOW)[0].update.version == "0.2.0"  # type: ignore[union-attr]
    # The retained offer seen again (a reconnect), or an older release's news: no change.
    t.updating("desk-q1", 3, UpdateState.OFFERED, NOW + 1, version="0.2.0")
    t.updating("desk-q1", 2, UpdateState.ROLLED_BACK, NOW + 2)
    assert now() == (3, "online")
    # A newer one starts over; its outcome is kept with its reason.
    t.updating("desk-q1", 4, UpdateState.OFFERED, NOW + 3, version="0.3.0")
    t.updating("desk-q1", 4, UpdateState.ROLLED_BACK, NOW + 4, why="not online within 120 s")
    u = t.nodes(NOW)[0].update
    assert u is not None and (u.release, u.state, u.why, u.version) == (
        4, UpdateState.ROLLED_BACK, "not online within 120 s", "0.3.0")
    # A new layout version keeps it.
    assert t.with_layout(layout).nodes(NOW)[0].update == u


def test_the_collector_takes_offers_and_reports(layout: Layout) -> None:
    published: list[tuple[str, bytes]] = []
    metrics, points = Metrics(), PointBuilder(layout)
    tracker = SiteTracker(layout)
    live = LiveState(tracker, points, metrics, lambda t, p: published.append((t, p)),
                     lambda _lines: None, lambda: NOW / 1000, interval_s=1, heartbeat_s=30)
    ingest = Ingest(TopicTable(layout), metrics, lambda: NOW / 1000, points=points, live=live)
    base = f"hubsense/v1/{SITE}/node/desk-q1"
    assert ingest.handle(f"{base}/ota", b'{"release": 2, "version": "0.2.0"}', True) == []
    assert ingest.handle(f"{base}/update", update(2, "downloading")) == []
    assert ingest.handle(f"{base}/ota", b"", True) == []  # withdrawn: what it did stays
    u = tracker.nodes(NOW)[0].update
    assert u is not None and (u.release, u.state, u.version) == (2, UpdateState.DOWNLOADING,
                                                                  "0.2.0")
    # A node may not retain its reports, nor offer itself anything it can read.
    ingest.handle(f"{base}/update", update(2, "online"), True)
    ingest.handle(f"{base}/update", update(2, "offered"))
    assert metrics.rejected[Reject.RETAINED] == 1 and metrics.rejected[Reject.PAYLOAD] == 1
    assert tracker.nodes(NOW)[0].update.state is UpdateState.DOWNLOADING  # type: ignore[union-attr]


def test_a_manifest_is_signed_read_and_refused_when_wrong() -> None:
    key, other = new_key(), new_key()
    m = Manifest(SITE, "desk-q1", 3, "0.2.0", 120,
                 (FileEntry.of("config.json", b"{}"), FileEntry.of("hubsense_node/a.mpy", b"x")))
    text = m.signed(key)
    assert text.decode().splitlines()[0] == f"hubsense-ota 1 {SITE} desk-q1 3 0.2.0 120"
    assert parse(text, key) == m and parse(text) == m
    with pytest.raises(ManifestError, match="tag is wrong"):
        parse(text, other)
    with pytest.raises(ManifestError, match="tag is wrong"):
        parse(text.replace(b" 120\n", b" 3600\n"), key)  # a longer bound, forged
    with pytest.raises(ManifestError):
        Manifest(SITE, "desk-q1", 3, "0.2.0", 120, (FileEntry.of("main.py", b""),))
    assert not allowed_path("otaboot.mpy") and allowed_path("hubsense_node/drivers/pir.mpy")


def test_the_release_store_serves_a_node_only_its_listed_files(tmp_path: Path) -> None:
    store = ReleaseStore(tmp_path)
    keys = {"desk-q1": new_key(), "desk-q2": new_key()}
    info = store.create(SITE, "0.2.0", {"hubsense_node/a.mpy": b"A"},
                        {"desk-q1": {"config.json": b"1"}, "desk-q2": {"config.json": b"2"}},
                        keys, 120)
    assert (info.release, store.latest(), store.numbers()) == (1, 1, [1])
    for node in keys:
        text = store.manifest(1, node)
        assert text is not None and parse(text, keys[node]).node == node
        found = store.file(1, node, "config.json")
        assert found is not None and found[0].read_bytes() == node[-1].encode()
    assert store.file(1, "desk-q1", "node.key") is None
    assert store.file(1, "desk-q1", "../desk-q2/config.json") is None
    assert store.manifest(1, "../desk-q1") is None and store.manifest(2, "desk-q1") is None
    again = store.create(SITE, "0.2.1", store.firmware(1), {"desk-q1": {"config.json": b"3"}},
                         keys, 120)
    assert again.release == 2 and store.firmware(2) == {"hubsense_node/a.mpy": b"A"}
    assert not list(tmp_path.glob(".*.tmp"))


def test_input_settings_belong_to_their_measure(layout: Layout) -> None:
    raw = layout.model_dump(mode="json")
    raw["nodes"][0]["inputs"][0]["hold_s"] = 120
    assert parse_layout(raw).nodes[0].inputs[0].settings() == {"hold_s": 120}
    raw["nodes"][0]["inputs"][0]["interval_s"] = 30
    with pytest.raises(LayoutError, match="'interval_s' is a setting of sound inputs"):
        parse_layout(raw)
