"""The layout loads, and a mistake fails with the file, the field and what was wrong."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from hubsense.layout import LayoutError, Measure, ZoneKind, lint, load_layout
from hubsense.names import plain_name
from tests.conftest import EXAMPLE_LAYOUT


def _write(tmp_path: Path, data: object) -> Path:
    p = tmp_path / "layout.yaml"
    p.write_text(yaml.safe_dump(data))
    return p


def _example() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load(EXAMPLE_LAYOUT.read_text())


def test_example_layout_is_an_innovation_hub() -> None:
    layout = load_layout(EXAMPLE_LAYOUT)
    kinds = [z.kind for z in layout.zones]
    assert kinds.count(ZoneKind.BUZZ_ZONE) == 2
    assert kinds.count(ZoneKind.MEETING_AREA) == 2
    assert {ZoneKind.QUIET_ZONE, ZoneKind.LOUNGE, ZoneKind.ENTRANCE} <= set(kinds)
    quiet = next(z for z in layout.zones if z.kind is ZoneKind.QUIET_ZONE)
    assert len(layout.desks_in(quiet.id)) >= 4
    node = layout.node("desk-q1")
    assert node is not None and node.input(1) is not None
    assert layout.zone_of(node.input(1)) == quiet.id  # type: ignore[arg-type]
    assert layout.node("nope") is None


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d["zones"][0].update(capacity=-1), "zones[buzz-north].capacity"),
        (lambda d: d["zones"][0].update(kind="sauna"), "zones[buzz-north].kind"),
        (lambda d: d["zones"][1].update(id="Buzz North!"), "zones[Buzz North!].id"),
        (lambda d: d["zones"][0].update(colour="red"), "zones[buzz-north].colour"),
        (lambda d: d["zones"][2].update(capacity=4), "zones[quiet].capacity: 4 is less than "
                                                     "its 8 desks"),
        (lambda d: d["desks"][0].update(position=[10, 10]),
         "desks[q-01].position: [10, 10] is outside its zone 'quiet'"),
        (lambda d: d["zones"][1].update(shape=d["zones"][0]["shape"]),
         "zones[buzz-north].shape and zones[buzz-south].shape overlap"),
        (lambda d: d["zones"][0].update(shape=[[0, 0], [10, 10], [10, 0], [0, 10]]),
         "zones[buzz-north].shape: not a simple polygon"),
        (lambda d: d["desks"][0].update(zone="nowhere"), "unknown zone 'nowhere'"),
        (lambda d: d["nodes"][0]["inputs"][0].update(desk="q-99"), "unknown desk 'q-99'"),
        (lambda d: d["nodes"][0]["inputs"][1].update(n=1), "input numbers repeated"),
        (lambda d: d["nodes"][0]["inputs"][0].update(measures="count"),
         "nodes[desk-q1].inputs[1]"),
        (lambda d: d["nodes"][0]["inputs"][0].update(zone="quiet"), "exactly one of"),
        (lambda d: d["desks"].append(dict(d["desks"][0])), "desk ids repeated"),
        (lambda d: d["nodes"][1]["inputs"][0].update(desk="q-01"), "already observes"),
        (lambda d: d.pop("site"), "site: Field required"),
        (lambda d: d["zones"][0].update(name="Quiet\u202ezone"),
         "zones[buzz-north].name.en: must not contain control or bidi control characters "
         "(U+202E at position 6)"),
        (lambda d: d["zones"][1].update(name={"en": "Buzz", "sv": "Surr\x00"}),
         "zones[buzz-south].name.sv: must not contain control or bidi control characters "
         "(U+0000 at position 5)"),
        (lambda d: d["site"].update(name="Hub\u2066\u2069"), "site.name.en: must not contain"),
    ],
)
def test_layout_mistake_names_file_and_field(tmp_path: Path, mutate, expected: str) -> None:  # type: ignore[no-untyped-def]
    data = _example()
    mutate(data)
    path = _write(tmp_path, data)
    with pytest.raises(LayoutError) as err:
        load_layout(path)
    assert str(path) in str(err.value)
    assert expected in str(err.value)


def test_unreadable_and_invalid_yaml(tmp_path: Path) -> None:
    with pytest.raises(LayoutError, match="cannot read"):
        load_layout(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("site:\n  id: x\nzones: [\n  {id: a, kind: lounge\n")
    with pytest.raises(LayoutError) as err:
        load_layout(bad)
    assert f"{bad}:5:1: not valid YAML" in str(err.value)
    assert "unicode string" not in str(err.value)


def test_what_may_be_a_mistake_is_a_warning(tmp_path: Path) -> None:
    data = _example()
    data["desks"].append({"id": "q-09", "zone": "quiet", "position": [700, 200]})
    data["zones"][2]["capacity"] = 9
    data["zones"][5]["name"] = {"en": "Lounge"}
    warnings = lint(load_layout(_write(tmp_path, data)))
    assert "desks[q-09]: no input observes it: it will always read unknown" in warnings
    assert any(w.startswith("zones[lounge].name.sv: no Swedish name") for w in warnings)
    assert lint(load_layout(EXAMPLE_LAYOUT)) == []


def test_measures_fix_the_target() -> None:
    layout = load_layout(EXAMPLE_LAYOUT)
    door = layout.node("door-1")
    assert door is not None and door.inputs[0].measures is Measure.PASSAGE


@pytest.mark.parametrize("char", ["\x00", "\t", "\n", "\x1b", "\x7f", "\x85", "\x9b",
                                  "\u061c", "\u200e", "\u200f", "\u202a", "\u202e",
                                  "\u2066", "\u2069"])
def test_names_refuse_control_and_bidi_characters(char: str) -> None:
    with pytest.raises(ValueError, match=f"U\\+{ord(char):04X} at position 3"):
        plain_name(f"ab{char}cd")


def test_names_keep_every_other_character() -> None:
    for name in ("Tyst zon", "Fika för alla — ☕", "ساحة", "会议区", "Zone\u200d👩‍💻", "O'Brien"):
        assert plain_name(name) == name
