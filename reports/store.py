"""Where rollups live: their own retention policy, one shard group spanning years.

Why: InfluxDB 1.x opens one cursor per series, field and shard. With the
default 7-day shard groups a yearly report over 500 desk series reads ~53
shards each and takes seconds to minutes; in one shard group it takes well
under a second. Raw data keeps the collector's default policy untouched.
"""

from __future__ import annotations

from collections.abc import Iterable

from hubsense.influx import InfluxError, InfluxV1, Point
from hubsense.measurements import ROLLUP_RP as RP

# InfluxQL for the policy; docker-compose runs the same statement at InfluxDB's
# first start (deploy/influxdb/rollup.iql), where the service user is no admin.
SHARD_DURATION = "520w"


def ensure_policy(db: InfluxV1) -> None:
    """Create the rollup retention policy unless it exists (needs admin on 1.x)."""
    db.create_database()
    # Probe rather than SHOW RETENTION POLICIES: a non-admin user (compose) may
    # read but not list or create policies.
    try:
        db.query(f'SELECT * FROM "{RP}"."_probe" LIMIT 1')
        return
    except InfluxError as exc:
        if not exc.missing:
            raise
    q = (f'CREATE RETENTION POLICY "{RP}" ON "{db.cfg.database}" DURATION INF '
         f"REPLICATION 1 SHARD DURATION {SHARD_DURATION}")
    db.execute(q)


def write(db: InfluxV1, points: Iterable[Point]) -> None:
    """Write rollup points into the rollup policy (the v1 API's `rp` parameter)."""
    db.write(points, rp=RP)
