"""Keep the rollups current: catch up every few minutes (`python -m reports.schedule`).

docker-compose runs this as the `rollup` service; anywhere else a cron job or
systemd timer running it with `--once` does the same.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable
from datetime import date
from types import FrameType

from hubsense.influx import InfluxError, InfluxV1
from hubsense.layout import LayoutError, load_layout
from hubsense.settings import Settings, SettingsError, load_settings
from reports.rollup import Rollup
from reports.versions import load_versions

log = logging.getLogger("reports.schedule")


def catch_up_once(settings: Settings, now: Callable[[], float] = time.time,
                  since: date | None = None) -> int:
    """Roll up from the watermark to now; return the points written."""
    # Every layout version, so each day is rolled up with the layout in force then.
    versions = load_versions(load_layout(settings.layout), settings)
    with InfluxV1(settings.influx) as db:
        return Rollup(db, versions, settings.report, settings.state).catch_up(
            int(now() * 1000), since)


def run(settings: Settings, every_s: float, stop: threading.Event,
        since: date | None = None) -> None:
    """Catch up, then again every `every_s`, until `stop`; errors are logged, not fatal."""
    while not stop.is_set():
        try:
            n = catch_up_once(settings, since=since)
            log.info("rollups current: %d points written", n)
            since = None
        except InfluxError as exc:
            log.warning("rollup failed (%s): %s", "will retry" if exc.retryable else "check", exc)
        stop.wait(every_s)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m reports.schedule", description=__doc__)
    p.add_argument("-c", "--config", help="TOML config file (or HUBSENSE_CONFIG)")
    p.add_argument("--every", type=float, default=300.0, help="seconds between catch-ups")
    p.add_argument("--since", type=date.fromisoformat,
                   help="first local day to roll up when there is no watermark yet")
    p.add_argument("--once", action="store_true", help="catch up once and exit")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: "
                        "%(message)s")
    try:
        settings = load_settings(args.config)
        if args.once:
            print(f"{catch_up_once(settings, since=args.since)} rollup points written")
            return 0
        stop = threading.Event()

        def _stop(_sig: int, _frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        run(settings, args.every, stop, args.since)
        return 0
    except (SettingsError, LayoutError) as exc:
        print(f"reports.schedule: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
