"""config.json, checked at boot so that a node never starts half-configured.

The schema is one bytes literal of JSON, not dicts and tuples in code: every
name in code is interned for good (a 32 KB heap keeps them all), while these
bytes leave RAM with the module, which the node unloads once it has its config.
"""

import json

# A bundle's config.json holds no secret: nodekey.py derives `broker.password`
# (and `previous`, during a rotation) from node.key and `broker.rotation`, and
# takes `wifi` from wifi.json, both flashed with it (hubsense node add).
# Each section: key -> [type, default ("!": required), min, max]. Types: d an id
# (as the layout's: [a-z0-9][a-z0-9_-]{0,47}), s str, i int, f float, l list,
# o the section of that name. "in" holds the keys of every input, "pir" ...
# those of one sensor; "sensors" the measure each reports, "kinds" the measures
# a node of each kind may report (the layout says the same).
_SCHEMA = b"""{"": {"node": ["d", "!", 1, 48], "site": ["d", "!", 1, 48],
 "kind": ["s", "!", 1, 16], "broker": ["o", "!"], "wifi": ["o", null],
 "ntp": ["s", "pool.ntp.org", 1, 253], "heartbeat_s": ["i", 60, 5, 3600],
 "sample_ms": ["i", 100, 10, 10000], "queue_bytes": ["i", 1024, 256, 16384],
 "inputs": ["l", "!", 1, 4], "sim": ["o", null], "ota": ["o", null]},
"broker": {"host": ["s", "!", 1, 253], "port": ["i", null, 1, 65535],
 "password": ["s", "!", 1, 128], "previous": ["s", null, 1, 128],
 "rotation": ["i", 1, 1, 65535],
 "keepalive_s": ["i", 30, 5, 600],
 "backoff_ms": ["l", [500, 30000], 2, 2], "ca": ["s", null, 1, 64],
 "server_name": ["s", null, 1, 253]},
"wifi": {"ssid": ["s", "!", 1, 32], "password": ["s", "!", 0, 64]},
"ota": {"url": ["s", "!", 8, 200]},
"sim": {"file": ["s", "!", 1, 255], "poll_ms": ["i", 100, 10, 10000]},
"in": {"n": ["i", "!", 1, 16], "sensor": ["s", "!", 1, 16]},
"pir": {"settle_ms": ["i", 500, 0, 60000], "hold_s": ["i", 300, 0, 86400]},
"radar": {"settle_ms": ["i", 3000, 0, 60000]},
"mic": {"offset_db": ["f", 0.0, -40, 40], "interval_s": ["i", 60, 5, 3600]},
"beams": {},
"sensors": {"pir": "presence", "radar": "count", "mic": "sound", "beams": "passage"},
"kinds": {"desk": ["presence"], "buzz": ["count", "sound"],
 "meeting": ["count", "presence"], "entrance": ["passage"]}}"""


def _section(raw, keys, spec, where):
    """Check one object against `keys`; return it with defaults filled in, or raise
    ValueError naming the key. A bad config needs no exception class of its own."""
    if not isinstance(raw, dict):
        raise ValueError("key '%s' must be an object" % where[:-1] if where
                         else "config must be a JSON object")
    for k in raw:
        if k not in keys:
            raise ValueError("unknown key '%s%s'" % (where, k))
    out = {}
    for k, t in keys.items():
        key = where + k
        if k not in raw:
            if t[1] == "!":
                raise ValueError("missing key '%s'" % key)
            out[k] = t[1]
            continue
        v = raw[k]  # any JSON value: mypy narrows it no further than `object`
        if t[0] == "o":
            out[k] = _section(v, spec[k], spec, key + ".")
            continue
        want = {"d": str, "s": str, "i": int, "f": float, "l": list}[t[0]]
        if want is float and isinstance(v, int) and not isinstance(v, bool):
            v = float(v)
        number = want in (int, float)
        if not isinstance(v, want) or isinstance(v, bool):
            err = "must be %s, got %s" % (want.__name__, type(v).__name__)
        elif not t[2] <= (v if number else len(v)) <= t[3]:  # type: ignore[arg-type]
            err = ("must be %s ... %s" if number else "must have %s ... %s items"
                   if want is list else "must be %s ... %s characters long") % (t[2], t[3])
        elif t[0] == "d" and (v[0] in "_-" or any(  # type: ignore[index]
                c not in b"abcdefghijklmnopqrstuvwxyz0123456789_-"
                for c in v.encode())):  # type: ignore[attr-defined]
            err = "must match [a-z0-9][a-z0-9_-]{0,47}"
        else:
            out[k] = v
            continue
        raise ValueError("key '%s' %s" % (key, err))
    return out


def validate(raw, need_wifi=False):
    """Return the config with defaults filled in, or raise ValueError naming the key."""
    spec = json.loads(_SCHEMA)
    cfg = _section(raw, spec[""], spec, "")
    kinds, sensors = spec["kinds"], spec["sensors"]
    if cfg["kind"] not in kinds:
        raise ValueError("key 'kind' must be one of " + ", ".join(kinds))
    if need_wifi and cfg["wifi"] is None:
        raise ValueError("missing key 'wifi' (or a wifi.json)")
    b = cfg["broker"]
    if b["ca"] is None and b["server_name"] is not None:
        raise ValueError("key 'broker.server_name' needs 'broker.ca' (TLS)")
    if b["port"] is None:
        b["port"] = 1883 if b["ca"] is None else 8883
    o = cfg["ota"]
    if o is not None and not o["url"].startswith("http://" if b["ca"] is None else "https://"):
        raise ValueError("key 'ota.url' must be https://… (http://… only without broker.ca)")
    lo, hi = b["backoff_ms"]
    if not (isinstance(lo, int) and isinstance(hi, int) and 0 < lo <= hi):
        raise ValueError("key 'broker.backoff_ms' must be [min, max] with 0 < min <= max")
    ins = cfg["inputs"]
    for i, r in enumerate(ins):
        where = "inputs[%d]." % i
        s = r.get("sensor") if isinstance(r, dict) else None
        if s not in sensors:
            raise ValueError("key '%ssensor' must be one of %s" % (where, ", ".join(sensors)))
        if sensors[s] not in kinds[cfg["kind"]]:
            raise ValueError("key '%ssensor' is %s: a %s node has no such input"
                             % (where, sensors[s], cfg["kind"]))
        keys = spec["in"]
        keys.update(spec[s])
        ins[i] = _section(r, keys, spec, where)
        ins[i]["measure"] = sensors[s]
        for k in spec[s]:
            keys.pop(k)
        if [x["n"] for x in ins[:i]].count(ins[i]["n"]):
            raise ValueError("key 'inputs' repeats input number %d" % ins[i]["n"])
    return cfg


def load(path="config.json", need_wifi=False):
    """Read and validate a config file; a bundle's (no password) gets its secrets from
    the files beside it (nodekey.py)."""
    try:
        with open(path) as f:
            raw = json.load(f)
    except OSError:
        raise ValueError("cannot read %s" % path) from None
    except ValueError as exc:
        raise ValueError("%s is not valid JSON: %s" % (path, exc)) from None
    b = raw.get("broker") if isinstance(raw, dict) else None
    if isinstance(b, dict) and "password" not in b:
        from hubsense_node import nodekey

        nodekey.fill(raw, path[:path.rfind("/") + 1])
    return validate(raw, need_wifi)
