"""The v1 client: exact line protocol, and a round trip through a real InfluxDB."""

from __future__ import annotations

import pytest

from hubsense.influx import InfluxError, InfluxV1, Point
from hubsense.settings import InfluxSettings


def test_line_protocol_escapes_every_special_character() -> None:
    p = Point("pres ence,x", {"zo ne": "a,b=c d", "empty": ""},
              {"present": True, "seq": 3, "db": 55.5, "note": 'say "hi" \\'}, 1000)
    assert p.line() == (
        r'pres\ ence\,x,zo\ ne=a\,b\=c\ d present=true,seq=3i,db=55.5,note="say \"hi\" \\" 1000'
    )


@pytest.mark.services
def test_write_and_query_with_bound_parameters(influx_settings: InfluxSettings) -> None:
    with InfluxV1(influx_settings) as db:
        assert db.ping()
        db.create_database()
        db.write([Point("presence", {"desk": "q-01"}, {"present": True}, 1_000),
                  Point("presence", {"desk": "q-02"}, {"present": False}, 2_000)])
        # A hostile-looking value is data, not InfluxQL, when it is bound.
        assert db.query("SELECT * FROM presence WHERE desk = $d", {"d": "x' OR 1=1 --"}) == []
        [series] = db.query("SELECT present FROM presence WHERE desk = $d", {"d": "q-02"})
        assert series.rows() == [{"time": 2_000, "present": False}]
        # Same series and time: a replay overwrites instead of adding a point.
        db.write([Point("presence", {"desk": "q-02"}, {"present": False}, 2_000)])
        [count] = db.query("SELECT count(present) FROM presence")
        assert count.values[0][1] == 2


@pytest.mark.services
def test_errors_say_whether_a_retry_can_help(influx_settings: InfluxSettings) -> None:
    with InfluxV1(influx_settings) as db:
        db.create_database()
        with pytest.raises(InfluxError) as bad:
            db.write_lines("not line protocol")
        assert bad.value.retryable is False
        with pytest.raises(InfluxError) as err:
            db.query("SELECT FROM WHERE")
        assert err.value.retryable is False
    down = InfluxSettings(url="http://127.0.0.1:9", database="x", timeout_s=1)
    with InfluxV1(down) as db:
        assert not db.ping()
        with pytest.raises(InfluxError) as gone:
            db.write([Point("m", {}, {"v": 1}, 1)])
        assert gone.value.retryable is True


@pytest.mark.services
def test_retention_policy_writes_and_show_statements(influx_settings: InfluxSettings) -> None:
    with InfluxV1(influx_settings) as db:
        db.create_database()
        db.execute(f'CREATE RETENTION POLICY "long" ON "{influx_settings.database}" '
                   "DURATION INF REPLICATION 1")
        db.write([Point("m", {"zone": "quiet"}, {"v": 1}, 5_000)], rp="long")
        assert db.query("SELECT v FROM m") == []  # not in the default policy
        [s] = db.query('SELECT v FROM "long"."m"')
        assert s.rows() == [{"time": 5_000, "v": 1}]
        policies = [row["name"] for s in db.query("SHOW RETENTION POLICIES") for row in s.rows()]
        assert "long" in policies
        db.write([])  # nothing to write is not an error


@pytest.mark.services
def test_error_kinds_are_decided_in_the_client(influx_settings: InfluxSettings) -> None:
    """A partial write kept the good points and says how many it refused; a field type
    conflict refuses a batch whole; neither is worth retrying."""
    with InfluxV1(influx_settings) as db:
        db.create_database()
        body = b"\n".join([b"m,a=1 v=1i 1", b"m,a=2 v=9223372036854775808i 1", b"m,a=3 v=3i 1",
                           b"m,a=4 v=x 1"])
        with pytest.raises(InfluxError) as err:
            db.write_lines(body)
        assert err.value.partial and err.value.refused == 2 and not err.value.retryable
        assert len(db.query("SELECT v FROM m")[0].values) == 2
        # A type that conflicts with the stored one: that point only.
        with pytest.raises(InfluxError) as err:
            db.write_lines(b"m,a=5 v=5.5 2\nm,a=6 v=6i 2")
        assert err.value.partial and err.value.refused == 1
        assert len(db.query("SELECT v FROM m")[0].values) == 3
        # Types that conflict within the batch that opens a shard: the batch, whole.
        with pytest.raises(InfluxError) as err:
            db.write_lines(b"n,a=5 v=5.5 900000000000\nn,a=6 v=6i 900000000000\n"
                           b"n,a=7 w=1i 900000000000")
        assert not err.value.partial and not err.value.retryable and not err.value.missing
        assert db.query("SELECT * FROM n") == []
