"""Write every dashboard as Grafana JSON, sorted keys, so diffs read well.

`python -m dashboards.build` writes the example hub's dashboards/json (what is
committed); `python -m dashboards.build -c hubsense.toml` writes a site's own, from
its layout (time zone, zones) and settings (staleness, thresholds).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from dashboards import health, live, utilization, visits
from dashboards.panels import Json
from dashboards.site import Site
from hubsense.layout import LayoutError
from hubsense.settings import SettingsError

OUT = Path(__file__).resolve().parent / "json"


def dashboards(site: Site | None = None) -> dict[str, Json]:
    """File name -> dashboard model, for `site` (default: the example hub)."""
    site = site or Site.example()
    return {f"{m.__name__.rsplit('.', 1)[-1]}.json": m.build(site)
            for m in (live, utilization, visits, health)}


def render(model: Json) -> str:
    return json.dumps(model, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m dashboards.build", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-c", "--config", help="the site's TOML config (its layout and settings); "
                                          "without it, the example hub")
    p.add_argument("--out", type=Path, default=OUT, help=f"where to write (default {OUT})")
    args = p.parse_args(argv)
    try:
        site = Site.of_file(args.config) if args.config else Site.example()
    except (SettingsError, LayoutError) as exc:
        print(f"dashboards.build: {exc}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    for name, model in dashboards(site).items():
        (args.out / name).write_text(render(model), encoding="utf-8")
        print(f"wrote {args.out / name} (site {site.id}, {site.timezone})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
