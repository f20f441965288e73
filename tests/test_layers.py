"""No module imports from a layer above it: the tree shows the architecture.

hubsense/ is the shared domain (layout, contract, state, settings, the InfluxDB
client) and imports none of the others; the services import the domain; only
the command line (cli/) and the local-stack harness (devstack/) sit on top.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("hubsense", "collector", "api", "reports", "dashboards", "deploy", "devstack", "cli")
# What each package may import of the others.
ALLOWED = {
    "hubsense": set(),
    "collector": {"hubsense"},
    "reports": {"hubsense"},
    "dashboards": {"hubsense"},
    "deploy": {"hubsense"},
    "api": {"hubsense", "reports"},
    # The harness drives the real collector code (the demo's history) and reports.
    "devstack": {"hubsense", "deploy", "collector", "reports"},
    "cli": set(PACKAGES) - {"cli"},
}


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            out.add(node.module.split(".")[0])
    return out & set(PACKAGES)


@pytest.mark.parametrize("package", PACKAGES)
def test_no_import_from_above(package: str) -> None:
    wrong = {f"{p.relative_to(ROOT)} imports {sorted(imports(p) - ALLOWED[package] - {package})}"
             for p in (ROOT / package).rglob("*.py") if imports(p) - ALLOWED[package] - {package}}
    assert not wrong, "\n".join(sorted(wrong))
