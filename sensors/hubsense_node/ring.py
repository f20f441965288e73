"""The offline queue: messages waiting for the broker, in one buffer allocated at boot."""


class Ring:
    """A FIFO of (topic, payload) records packed into a bytearray of `size` bytes.

    A record that does not fit drops the oldest ones (counted in `drops`), so
    the RAM an outage takes is fixed at boot, however long it lasts. Records
    are contiguous (one that would cross the end starts again at 0; 0xFF marks
    the unused end), each `[length: 2][topic length: 1][topic][payload]`.
    `first` numbers the head record: the sender pops it by that number once
    the broker has it, and a record dropped meanwhile is not popped twice.
    """

    def __init__(self, size):
        if not 8 <= size < 0xFF00:
            raise ValueError("ring size must be 8 ... 65279 bytes")
        self._buf = memoryview(bytearray(size))
        self._head = 0  # offset of the oldest record
        self._tail = 0  # offset of the next record
        self._n = 0
        self.first = 0
        self.drops = 0

    def __len__(self):
        return self._n

    def put(self, topic, payload):
        """Append; when full, lose the oldest records rather than this one."""
        b = self._buf
        t = len(topic)
        need = 3 + t + len(payload)
        if need > len(b) or t > 255:
            self.drops += 1
            return
        while True:  # find `need` contiguous bytes, dropping the oldest until they are free
            at, head = self._tail, self._head
            if not self._n:
                at = self._head = 0
                break
            if at > head:
                if len(b) - at >= need:
                    break
                if head >= need:
                    if at + 2 <= len(b):
                        b[at] = 0xFF
                    at = 0
                    break
            elif head - at >= need:
                break
            self.drops += 1
            self.pop(self.first)
        b[at] = need >> 8
        b[at + 1] = need & 0xFF
        b[at + 2] = t
        b[at + 3:at + 3 + t] = topic
        b[at + 3 + t:at + need] = payload
        self._tail = at + need
        self._n += 1

    def _at(self):
        """Offset of the head record, past an unused end of the buffer."""
        b, h = self._buf, self._head
        if h + 2 > len(b) or b[h] == 0xFF:
            h = self._head = 0
        return h

    def peek(self):
        """The head record as (topic, payload) views into the ring, or None.

        The views change once the record leaves: copy them before awaiting."""
        if not self._n:
            return None
        b, h = self._buf, self._at()
        t = h + 3 + b[h + 2]
        return b[h + 3:t], b[t:h + (b[h] << 8 | b[h + 1])]

    def pop(self, first):
        """Remove the head if it is still record number `first` (it may have been dropped)."""
        if self._n and self.first == first:
            b, h = self._buf, self._at()
            self._head = h + (b[h] << 8 | b[h + 1])
            self._n -= 1
            self.first += 1
