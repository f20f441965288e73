"""InfluxDB 1.x with project-local data, bound to loopback, phoning nowhere."""

from __future__ import annotations

from pathlib import Path

import httpx

from devstack.processes import Child, Server, require_free


class InfluxDB(Server):
    name = "influxd"

    def __init__(self, workdir: Path, port: int, rpc_port: int, host: str = "127.0.0.1",
                 compact_soon: bool = False) -> None:
        self.workdir = workdir
        self.host = host
        self.port = port
        self.rpc_port = rpc_port
        # Compact the cache into TSM files within seconds (bench/disk_growth.py measures
        # the size data settles at; a server does this after minutes to hours).
        self.compact_soon = compact_soon
        self.child: Child | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def write_config(self) -> Path:
        d = self.workdir
        for sub in ("meta", "data", "wal"):
            (d / sub).mkdir(parents=True, exist_ok=True)
        conf = d / "influxdb.conf"
        conf.write_text(
            f"""# Written by hubsense.
reporting-disabled = true
bind-address = "{self.host}:{self.rpc_port}"

[meta]
  dir = "{d}/meta"

[data]
  dir = "{d}/data"
  wal-dir = "{d}/wal"
  query-log-enabled = false
  # Make every write durable before it is acknowledged.
  wal-fsync-delay = "0s"
{'  cache-snapshot-write-cold-duration = "1s"' if self.compact_soon else ""}
{'  compact-full-write-cold-duration = "2s"' if self.compact_soon else ""}

[coordinator]
  # Bound what one query may cost (reports refuse larger ranges before this).
  query-timeout = "60s"
  max-select-point = 50000000
  max-select-series = 100000

[http]
  bind-address = "{self.host}:{self.port}"
  log-enabled = false
  max-body-size = 50000000

[monitor]
  store-enabled = false

[subscriber]
  enabled = false

[continuous_queries]
  log-enabled = false
"""
        )
        return conf

    def ready(self) -> bool:
        try:
            return httpx.get(f"{self.url}/ping", timeout=0.5).status_code == 204
        except httpx.HTTPError:
            return False

    def start(self, timeout: float = 30.0) -> InfluxDB:
        require_free(self.host, self.port, "influxd (http)")
        require_free(self.host, self.rpc_port, "influxd (rpc)")
        conf = self.write_config()
        self._launch("/usr/bin/influxd", "influxdb", ["-config", str(conf)],
                     self.workdir / "influxd.log", self.ready, timeout)
        return self
