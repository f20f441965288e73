"""Wire bytes of the MQTT 3.1.1 packets the node sends."""

from hubsense_node.mqtt import _length, connect_packet, publish_packet


def test_remaining_length_encoding():
    # MQTT 3.1.1 section 2.2.3 examples
    assert _length(0) == b"\x00"
    assert _length(127) == b"\x7f"
    assert _length(128) == b"\x80\x01"
    assert _length(16383) == b"\xff\x7f"
    assert _length(16384) == b"\x80\x80\x01"


def test_connect_has_credentials_will_and_clean_session():
    p = connect_packet("n1", "n1", "pw", b"t/s", b"offline", 30)
    assert p[0] == 0x10 and p[1] == len(p) - 2
    assert p[2:9] == b"\x00\x04MQTT\x04"
    assert p[9] == 0xEE  # user, password, will retain, will QoS 1, will, clean session
    assert p[10:12] == b"\x00\x1e"
    assert p[12:] == b"\x00\x02n1\x00\x03t/s\x00\x07offline\x00\x02n1\x00\x02pw"


def test_publish_qos1_retain_and_dup_flags():
    p = publish_packet(b"a/b", b"xy", False, 0x0102, False)
    assert p == b"\x32\x09\x00\x03a/b\x01\x02xy"
    assert publish_packet(b"a/b", b"xy", True, 1, False)[0] == 0x33
    assert publish_packet(b"a/b", b"xy", False, 1, True)[0] == 0x3A
