"""Count settling, sound levels, door direction and the simulated doorway."""

from hubsense_node.count import Count
from hubsense_node.drivers.sim_door import SimDoor
from hubsense_node.passage import INNER, OUTER, Doorway
from hubsense_node.sound import Sound


def test_count_needs_to_hold_still():
    s = Count(1, None, settle_ms=3000)
    assert not s.feed(4, 0)
    assert not s.feed(5, 1000)  # a radar ghost for a moment
    assert not s.feed(4, 2000)
    assert not s.feed(4, 4999)
    assert s.feed(4, 5000) and s.value == 4
    assert not s.feed(4, 6000)


def test_constant_level_gives_equal_laeq_and_lamax():
    m = Sound(1, None)
    for _ in range(100):
        m.add(6000)
    laeq, lamax = m.report()
    assert lamax == 60.0 and abs(laeq - 60.0) <= 0.3 and laeq <= lamax


def test_laeq_is_energy_mean_and_offset_applies():
    m = Sound(1, None, offset_db=-3.0)
    for _ in range(50):
        m.add(7300)  # 70 dB after the offset
    for _ in range(50):
        m.add(5300)  # 50 dB
    laeq, lamax = m.report()
    # 10 log10((10^7 + 10^5) / 2) = 67.03 dB: loud half dominates
    assert abs(laeq - 67.0) <= 0.3 and lamax == 70.0
    assert m.report() is None  # a new interval starts empty


def test_levels_are_clamped_to_the_contract_range():
    m = Sound(1, None)
    m.add(-500)
    m.add(20000)
    laeq, lamax = m.report()
    assert 0 <= laeq <= lamax == 140.0


def walk(door, masks):
    return [door.feed(b) for b in masks]


def test_walking_in_and_out():
    d = Doorway(1, None, "ab12")
    walk(d, (OUTER, OUTER | INNER, INNER, 0))
    walk(d, (INNER, OUTER | INNER, OUTER, 0))
    walk(d, (OUTER, OUTER | INNER, INNER, 0))
    assert (d.ins, d.outs) == (2, 1)


def test_turning_back_is_not_counted():
    d = Doorway(1, None, "ab12")
    assert walk(d, (OUTER, OUTER | INNER, OUTER, 0)) == [False] * 4
    assert walk(d, (INNER, 0)) == [False, False]
    assert (d.ins, d.outs) == (0, 0)


def test_sim_door_ignores_the_world_before_boot_and_walks_through_beams():
    sim = SimDoor()
    sim.set((10, 7))  # before boot
    d = Doorway(1, None, "ab12")
    sim.set((12, 8))
    for _ in range(20):
        d.feed(sim.beams())
    assert (d.ins, d.outs) == (2, 1)


def test_step_energies_are_the_half_db_step_centres():
    from hubsense_node.sound import _STEP_ENERGY

    assert list(_STEP_ENERGY) == [round(100 * 10 ** ((50 * j + 25) / 1000)) for j in range(20)]
