"""Wire bytes of the MQTT 3.1.1 packets the node sends."""

from hubsense_node.mqtt import connect_packet, publish_into


def publish(topic, payload, retain, pid, dup):
    buf = bytearray(64)
    return bytes(buf[:publish_into(buf, topic, payload, retain, pid, dup)])


def test_remaining_length_encoding():
    # MQTT 3.1.1 section 2.2.3; remaining length = 2 + topic + 2 + payload. (A
    # node's packets fit in 320 bytes: the 16383/16384 examples are not needed.)
    buf = memoryview(bytearray(400))
    payload = memoryview(bytearray(400))
    for n, wire in ((5, b"\x05"), (127, b"\x7f"), (128, b"\x80\x01"), (300, b"\xac\x02")):
        size = publish_into(buf, b"t", payload[:n - 5], False, 1, False)
        assert buf[1:1 + len(wire)] == wire and size == 1 + len(wire) + n, n


def test_connect_has_credentials_will_and_clean_session():
    p = connect_packet("n1", "pw", b"t/s", 30)
    assert p[0] == 0x10 and p[1] == len(p) - 2
    assert p[2:9] == b"\x00\x04MQTT\x04"
    assert p[9] == 0xEE  # user, password, will retain, will QoS 1, will, clean session
    assert p[10:12] == b"\x00\x1e"
    assert p[12:] == b"\x00\x02n1\x00\x03t/s\x00\x07offline\x00\x02n1\x00\x02pw"


def test_long_connect_has_two_bytes_of_length():
    p = connect_packet("n1", "x" * 128, b"t/s", 30)
    assert p[1:3] == bytes(((len(p) - 3) & 0x7F | 0x80, (len(p) - 3) >> 7))


def test_publish_qos1_retain_and_dup_flags():
    p = publish(b"a/b", b"xy", False, 0x0102, False)
    assert p == b"\x32\x09\x00\x03a/b\x01\x02xy"
    assert publish(b"a/b", b"xy", True, 1, False)[0] == 0x33
    assert publish(b"a/b", b"xy", False, 1, True)[0] == 0x3A
