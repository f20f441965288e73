"""How long raw observations are kept: `influx.raw_retention_days` on the raw series'
retention policy (InfluxDB's own, `autogen`), enforced by InfluxDB itself.

Rollups live in their own policy and are kept for good (reports/store.py): a
report on last year reads them, not the raw points. Changing a policy needs
InfluxDB's admin on 1.x: the collector sets it where it may (a local stack
without auth), and docker-compose sets it at InfluxDB's first start
(deploy/influxdb/retention.sh) from the same variable.
"""

from __future__ import annotations

import logging

from hubsense.influx import InfluxError, InfluxV1

log = logging.getLogger(__name__)

RAW_RP = "autogen"


def duration(days: int | None) -> str:
    """InfluxQL's DURATION for `days` (None: forever)."""
    return "INF" if days is None else f"{days}d"


def raw_retention(db: InfluxV1) -> str | None:
    """The raw policy's duration as InfluxDB says it (e.g. "720h0m0s", "0s" for forever)."""
    for s in db.query("SHOW RETENTION POLICIES"):
        for row in s.rows():
            if row.get("name") == RAW_RP:
                return str(row.get("duration"))
    return None


def apply_raw_retention(db: InfluxV1, days: int | None) -> bool:
    """Set how long raw points are kept; False (logged) if this login may not."""
    try:
        db.create_database()
        db.execute(f'ALTER RETENTION POLICY "{RAW_RP}" ON "{db.cfg.database}" '
                   f"DURATION {duration(days)}")
    except InfluxError as exc:
        if exc.retryable:
            raise
        log.warning("raw retention not set to %s (%s): an InfluxDB admin sets it "
                    "(docs/deploy.md, Retention)", duration(days), exc)
        return False
    return True
