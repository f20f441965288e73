"""The offline queue: bounded in bytes, keeps order, drops the oldest, counts the drops."""

import micropython
from hubsense_node.ring import Ring


def drain(r):
    out = []
    while r.peek() is not None:
        t, p = r.peek()
        out.append((bytes(t), bytes(p)))
        r.pop(r.first)
    return out


def test_fifo_order():
    r = Ring(64)
    for x in (b"a", b"bb"):
        r.put(b"t/" + x, x)
    assert drain(r) == [(b"t/a", b"a"), (b"t/bb", b"bb")] and len(r) == 0


def test_overflow_drops_oldest_and_counts():
    r = Ring(40)  # 3 records of 3 + 2 + 8 = 13 bytes
    for x in (b"a", b"b", b"c", b"d", b"e"):
        r.put(b"t/", x * 8)
    assert r.drops == 2 and len(r) == 3
    assert bytes(r.peek()[1]) == b"c" * 8


def test_pop_ignores_a_record_already_dropped():
    r = Ring(32)  # 2 records of 13 bytes
    r.put(b"t/", b"a" * 8)
    head = r.first  # being sent when the queue overflows
    r.put(b"t/", b"b" * 8)
    r.put(b"t/", b"c" * 8)
    r.pop(head)
    assert bytes(r.peek()[1]) == b"b" * 8 and len(r) == 2


def test_records_of_any_size_wrap_in_order_and_the_ring_never_grows():
    r = Ring(100)
    payloads = [b"p" * k for k in range(37)]
    micropython.heap_lock()  # putting into a full ring takes no RAM
    try:
        for i in range(200):
            r.put(b"x", payloads[i % 37])
            if i % 3 == 0 and len(r):
                r.pop(r.first)
    finally:
        micropython.heap_unlock()
    got = drain(r)
    sizes = [len(p) for _, p in got]
    assert sizes == [i % 37 for i in range(200 - len(sizes), 200)], sizes
    assert r.drops + len(sizes) + (200 + 2) // 3 == 200
    assert sum(4 + s for s in sizes) <= 100


def test_a_record_larger_than_the_ring_is_dropped():
    r = Ring(16)
    r.put(b"t", b"x" * 20)
    assert r.drops == 1 and r.peek() is None
