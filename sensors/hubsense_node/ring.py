"""A bounded FIFO for messages waiting for the broker."""


class Ring:
    """Fixed-size FIFO that drops its oldest entry when full and counts the drops."""

    def __init__(self, size):
        if size < 1:
            raise ValueError("ring size must be >= 1")
        self._items = [None] * size
        self._head = 0
        self._n = 0
        self.drops = 0

    def __len__(self):
        return self._n

    def put(self, item):
        """Append; when full, lose the oldest entry rather than the newest."""
        size = len(self._items)
        if self._n == size:
            self._items[self._head] = None
            self._head = (self._head + 1) % size
            self._n -= 1
            self.drops += 1
        self._items[(self._head + self._n) % size] = item
        self._n += 1

    def peek(self):
        return self._items[self._head] if self._n else None

    def pop(self, item):
        """Remove the head if it is still `item` (it may have been dropped meanwhile)."""
        if self._n and self._items[self._head] is item:
            self._items[self._head] = None
            self._head = (self._head + 1) % len(self._items)
            self._n -= 1
