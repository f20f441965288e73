"""Making update releases: the firmware compiled once, each node's config from the layout,
each node's manifest tagged with its own key (`hubsense ota release`, docs/deploy.md).

Only the fleet commands hold the node keys; the API serves what is written
here and could not make a release a node would take.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

from deploy.firmware import SENSORS_DIR, compile_tree, release_files, version
from deploy.provision import NodeKeys, NodeSecret, ProvisionError, layout_node, node_files
from hubsense.layout import Layout
from hubsense.releases import ReleaseInfo, ReleaseStore
from hubsense.settings import Settings


def build_release(settings: Settings, layout: Layout, nodes: Sequence[str] | None = None, *,
                  source: Path | None = None, same_as: int | None = None,
                  keys: dict[str, NodeSecret] | None = None) -> ReleaseInfo:
    """Write the next release for `nodes` (default: every provisioned node of the layout).

    The firmware is `source` compiled (default: this installation's sensors/),
    or the firmware of release `same_as` (a config change alone: nodes copy
    the files they have and download only config.json)."""
    store = ReleaseStore(settings.fleet.releases_dir)
    keys = keys if keys is not None else NodeKeys(settings.fleet.node_keys).load()
    targets = sorted(nodes) if nodes else sorted(n.id for n in layout.nodes if n.id in keys)
    if not targets:
        raise ProvisionError("no provisioned node to make a release for (hubsense node add)")
    for node in targets:
        layout_node(layout, node)
        if node not in keys:
            raise ProvisionError(f"node '{node}' is not provisioned (hubsense node add)")
    if same_as is not None:
        if same_as not in store.numbers():
            raise ProvisionError(f"no release {same_as} in {store.root}")
        firmware, fw = store.firmware(same_as), store.info(same_as).version
    else:
        src = source or SENSORS_DIR
        with tempfile.TemporaryDirectory() as tmp:
            firmware = release_files(compile_tree(Path(tmp), src, settings.fleet.arch))
        fw = version(src)
    per_node = {n: node_files(settings, layout, n, keys[n]) for n in targets}
    return store.create(layout.site.id, fw, firmware, per_node, {n: keys[n].key for n in targets},
                        settings.fleet.rollback_s)
