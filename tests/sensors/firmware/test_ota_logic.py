"""Update pieces on their own, under MicroPython: HMAC, the manifest's path rule, the
inbox's packets, and the boot loader's choice of slot (on real files)."""

import json
import os
import sys
from binascii import hexlify

from hubsense_node import hmac
from hubsense_node.inbox import Inbox
from hubsense_node.otafetch import _entry


def test_hmac_sha256_matches_rfc_4231():
    # RFC 4231, test case 2, and test case 6 (a key longer than a block is not ours:
    # node keys are 32 bytes, so case 1's 20-byte key stands for them).
    tag = hmac.digest(b"Jefe", b"what do ya want for nothing?")
    assert hexlify(tag) == b"5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    tag = hmac.digest(b"\x0b" * 20, b"Hi There")
    assert hexlify(tag) == b"b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"


def test_a_password_is_40_hex_characters_and_changes_with_each_rotation():
    key = bytes(range(32))
    one, two = hmac.password(key, 1), hmac.password(key, 2)
    assert len(one) == 40 and all(c in "0123456789abcdef" for c in one) and one != two


def _refused(line):
    try:
        _entry(line)
    except ValueError:
        return True
    return False


def test_a_manifest_names_only_files_of_the_firmware():
    sha = "0" * 64
    for path in ("config.json", "ca.der", "hubsense_node/mqtt.mpy",
                 "hubsense_node/drivers/pir.mpy"):
        assert _entry("%s 10 %s\n" % (sha, path)) == (sha, 10, path)
    for path in ("main.py", "otaboot.mpy", "board.mpy", "node.key", "wifi.json",
                 "hubsense_node/../main.py", "hubsense_node/../../x.mpy", "/hubsense_node/x.mpy",
                 "hubsense_node/Mqtt.mpy", "hubsense_node/x.py", "ota.json"):
        assert _refused("%s 10 %s\n" % (sha, path)), path
    assert _refused("%s 10 config.json\n" % ("0" * 63))
    assert _refused("%s 999999 config.json\n" % sha)


class Stream:
    """Bytes arriving on a socket, `step` at a time (None when there is none yet)."""

    def __init__(self, data, step):
        self.data = data
        self.step = step

    def readinto(self, buf, n):
        if not self.data:
            return None
        k = min(n, self.step, len(self.data))
        buf[:k] = self.data[:k]
        self.data = self.data[k:]
        return k


class Node:
    status_topic = b"hubsense/v1/s/node/n/status"
    synced = True
    rel = 0


def test_the_inbox_subscribes_to_the_node_s_own_topic():
    cfg = {"node": "n", "broker": {"previous": None, "keepalive_s": 30}}
    box = Inbox(cfg, Node(), None, None)
    topic = b"hubsense/v1/s/node/n/ota"
    assert box.packet == bytes((0x82, 5 + len(topic), 0, 1, 0, len(topic))) + topic + b"\x00"
    assert box.login is None


def test_the_inbox_reads_a_packet_that_arrives_in_pieces():
    cfg = {"node": "n", "broker": {"previous": None, "keepalive_s": 30}}
    box = Inbox(cfg, Node(), None, None)
    box.told = True  # a SUBACK would report the last update's outcome: not here
    suback = Stream(b"\x00\x01\x00", 1)
    rx = bytearray(b"\x90\x03\x00\x00")
    done = [box.read(suback, rx) for _ in range(4)]
    assert done == [False, False, True, False]


def test_an_overlong_packet_ends_the_subscription_until_reboot():
    cfg = {"node": "n", "broker": {"previous": None, "keepalive_s": 30}}
    box = Inbox(cfg, Node(), None, None)
    try:
        box.read(Stream(b"", 1), bytearray(b"\x31\x80\x01\x00"))
    except ValueError:
        pass
    else:
        raise AssertionError("a 128-byte offer was read")
    assert box.packet == b""


def test_a_refused_login_swaps_to_the_previous_password_and_back():
    cfg = {"node": "n", "broker": {"previous": "old", "keepalive_s": 30}}
    box = Inbox(cfg, Node(), None, None)

    class Client:
        _connect = b"new"

    c = Client()
    box.refused(c, 5)
    assert b"old" in c._connect and box.login == b"new"
    box.refused(c, 5)
    assert c._connect == b"new"
    box.refused(c, 3)  # unavailable: not a matter of passwords
    assert c._connect == b"new"


def _board(st):
    root = os.getenv("HUBSENSE_TMP")
    for slot in ("a", "b"):
        try:
            os.mkdir(root + "/" + slot)
        except OSError:
            pass
    with open(root + "/ota.json", "w") as f:
        json.dump(st, f)
    os.chdir(root)
    return root


def _state(root):
    with open(root + "/ota.json") as f:
        return json.load(f)


def test_the_boot_loader_counts_a_trial_s_boots_and_rolls_a_second_one_back():
    import otaboot

    root = _board({"slot": "a", "release": 3,
                   "trial": {"slot": "b", "release": 4, "rollback_s": 30, "boots": 0}})
    r, slot, st = otaboot.boot()
    assert (r, slot, os.getcwd()) == (root, "b", root + "/b")
    assert _state(root)["trial"]["boots"] == 1
    os.chdir(root)
    r, slot, st = otaboot.boot()  # reset before it came online
    assert slot == "a" and "trial" not in st
    assert _state(root) == {"slot": "a", "release": 3, "bad": 4, "result": {
        "release": 4, "state": "rolled_back", "why": "reset before it came online"}}
    sys.modules.pop("otaboot")


def test_the_boot_loader_keeps_a_trial_once_it_is_online():
    import asyncio

    import otaboot
    from hubsense_node.ring import Ring

    root = _board({"slot": "a", "release": 3, "bad": 2,
                   "trial": {"slot": "b", "release": 4, "rollback_s": 30, "boots": 0}})
    ota = otaboot.boot()

    class Client:
        acked = -1

    c, q = Client(), Ring(64)

    async def main():
        task = asyncio.create_task(otaboot.guard(ota, c, q))
        await asyncio.sleep_ms(400)
        assert "trial" in _state(root), "kept before it was online"
        c.acked = 0
        await task

    asyncio.run(main())
    assert _state(root) == {"slot": "b", "release": 4,
                            "result": {"release": 4, "state": "online"}}
    sys.modules.pop("otaboot")
