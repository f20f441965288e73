"""Write every dashboard to dashboards/json, sorted keys, so diffs read well."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from dashboards import health, live, utilization, visits
from dashboards.panels import Json

OUT = Path(__file__).resolve().parent / "json"


def dashboards() -> dict[str, Json]:
    """File name -> dashboard model."""
    return {f"{m.__name__.rsplit('.', 1)[-1]}.json": m.build()
            for m in (live, utilization, visits, health)}


def render(model: Json) -> str:
    return json.dumps(model, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> int:
    OUT.mkdir(exist_ok=True)
    for name, model in dashboards().items():
        (OUT / name).write_text(render(model), encoding="utf-8")
        print(f"wrote {OUT / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
