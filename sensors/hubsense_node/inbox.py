"""The MQTT client's subscription to the node's update topic, on a node that takes updates.

Loaded only there: a node without updates carries none of it. The client
hands over every packet longer than its own 4 bytes (the SUBACK, an offer);
an offer is weighed in a task of its own, in a module loaded for it
(otawire.offered). Offers are a few dozen bytes: a packet longer than the
buffer ends the session, and the node stops subscribing until it reboots
rather than meet the same retained message on every connect.
"""

import asyncio

from micropython import const

_BYTES = const(127)  # a body with one byte of remaining length


class Inbox:
    def __init__(self, topic, node, ota, queue, login=None):
        """`login`: the CONNECT of the password before a rotation, while the broker may
        still hold it (the client tries each in turn while the broker refuses one)."""
        # SUBSCRIBE, packet id 1, QoS 0: a node's session subscribes once.
        self.packet = bytes((0x82, 5 + len(topic), 0, 1, 0, len(topic))) + topic + b"\0"
        self.node, self.ota, self.queue, self.login = node, ota, queue, login
        self._buf = memoryview(bytearray(_BYTES))
        self._have = 0

    def refused(self, client, code):
        """The broker refused the client's login: try the other password next time."""
        if code in (4, 5) and self.login is not None:
            client._connect, self.login = self.login, client._connect

    def read(self, sock, rx):
        """Read more of the packet whose header is in `rx`; True once it is whole."""
        n = rx[1]
        if n > _BYTES:
            if self.packet:
                print("mqtt: a message too long on the update topic; not subscribing until "
                      "reboot")
                self.packet = b""
            raise ValueError("packet 0x%02x too long" % rx[0])
        got = sock.readinto(self._buf[self._have:n], n - self._have)
        if got is None:
            return False
        if not got:
            raise OSError("connection closed by the broker")
        self._have += got
        if self._have < n:
            return False
        self._have = 0
        b = self._buf
        if rx[0] & 0xF0 == 0x30:  # PUBLISH, QoS 0: [topic length: 2][topic][payload]
            asyncio.create_task(_weigh(self, bytes(b[2 + (b[0] << 8 | b[1]):n]), rx[0] & 1))
        elif rx[0] != 0x90:  # nor a SUBACK
            raise ValueError("unexpected packet 0x%02x" % rx[0])
        return True


async def _weigh(inbox, payload, retained):
    from hubsense_node import otawire

    await otawire.offered(inbox, payload, retained)
