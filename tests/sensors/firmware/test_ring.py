"""The offline queue: bounded, drops the oldest, counts the drops."""

from hubsense_node.ring import Ring


def test_fifo_order():
    r = Ring(3)
    for x in ("a", "b"):
        r.put(x)
    out = []
    while r.peek() is not None:
        out.append(r.peek())
        r.pop(r.peek())
    assert out == ["a", "b"] and len(r) == 0


def test_overflow_drops_oldest_and_counts():
    r = Ring(3)
    for x in ("a", "b", "c", "d", "e"):
        r.put(x)
    assert r.drops == 2 and len(r) == 3
    assert r.peek() == "c"


def test_pop_ignores_an_item_already_dropped():
    r = Ring(2)
    r.put("a")
    head = r.peek()  # being sent when the queue overflows
    r.put("b")
    r.put("c")
    r.pop(head)
    assert r.peek() == "b" and len(r) == 2
