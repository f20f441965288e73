"""The MQTT client's subscription to the node's update topic, on a node that takes updates.

Loaded only there: a node without updates carries none of it. The client
hands over every packet longer than its own 4 bytes: the SUBACK (the node is
online: the outcome of its last update is reported then) and offers, each
weighed in a task of its own (otawire.py, loaded for the moment).
Offers are a few dozen bytes: a packet longer than the buffer ends the
session, and the node stops subscribing until it reboots rather than meet the
same retained message on every connect.
"""

import asyncio

from micropython import const

_BYTES = const(127)  # a body with one byte of remaining length


class Inbox:
    def __init__(self, cfg, node, ota, queue):
        topic = node.status_topic[:-6] + b"ota"
        # SUBSCRIBE, packet id 1, QoS 0: a node's session subscribes once.
        self.packet = bytes((0x82, 5 + len(topic), 0, 1, 0, len(topic))) + topic + b"\0"
        self.node, self.ota, self.queue = node, ota, queue
        b = cfg["broker"]
        # While a rotation is delivered the broker may still hold the previous password:
        # the client tries each in turn while the broker refuses one.
        self.login = None if b["previous"] is None else (cfg["node"], b["previous"],
                                                         b["keepalive_s"])
        self._buf = memoryview(bytearray(_BYTES))
        self._have = 0
        self.told = False  # whether the last update's outcome was reported this boot

    def refused(self, client, code):
        """The broker refused the client's login: try the other password next time."""
        if code in (4, 5) and self.login is not None:
            if isinstance(self.login, tuple):
                from hubsense_node.mqtt import connect_packet

                user, pw, keepalive = self.login
                self.login = connect_packet(user, pw, self.node.status_topic, keepalive)
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
            from hubsense_node.otawire import offered

            asyncio.create_task(offered(self, bytes(b[2 + (b[0] << 8 | b[1]):n]), rx[0] & 1))
        elif rx[0] != 0x90:  # nor a SUBACK
            raise ValueError("unexpected packet 0x%02x" % rx[0])
        elif not self.told:  # subscribed, so online: the last update's outcome, once a boot
            self.told = True
            st = self.ota[2]
            r = ({"release": st["trial"]["release"], "state": "online"} if "trial" in st
                 else st.get("result"))  # a trial: online, and the boot loader keeps it now
            if r is not None:
                import sys

                import hubsense_node
                from hubsense_node.progress import report

                report(self.queue, self.node.status_topic, r["release"], r["state"],
                       r.get("why"), self.node.synced)
                sys.modules.pop("hubsense_node.progress")
                del hubsense_node.progress
        return True
