"""config.json, checked at boot so that a node never starts half-configured.

Checks are table-driven, so that the few messages they share are all this
module leaves in RAM once it is unloaded.
"""

import json

_REQUIRED = "<required>"
_ID = "id"  # a type: [a-z0-9][a-z0-9_-]{0,47}, as the layout's ids

# key: (type, default, min, max); a dict type is a nested section. (Sections
# inline: each module global counts, and past 17 the module's table doubles.)
_TOP = {
    "node": (_ID, _REQUIRED, 1, 48), "site": (_ID, _REQUIRED, 1, 48),
    "kind": (str, _REQUIRED, 1, 16),
    "broker": ({"host": (str, _REQUIRED, 1, 253), "port": (int, 1883, 1, 65535),
                "password": (str, _REQUIRED, 1, 128), "keepalive_s": (int, 30, 5, 600),
                "backoff_ms": (list, [500, 30000], 2, 2)}, _REQUIRED, 0, 0),
    "wifi": ({"ssid": (str, _REQUIRED, 1, 32), "password": (str, _REQUIRED, 0, 64)}, None, 0, 0),
    "ntp": (str, "pool.ntp.org", 1, 253),
    "heartbeat_s": (int, 60, 5, 3600), "sample_ms": (int, 100, 10, 10000),
    "queue": (int, 32, 1, 1000), "inputs": (list, _REQUIRED, 1, 4),
    "sim": ({"file": (str, _REQUIRED, 1, 255), "poll_ms": (int, 100, 10, 10000)}, None, 0, 0),
}

# sensor: the measure it reports, and its own keys
SENSORS = {"pir": "presence", "radar": "count", "mic": "sound", "beams": "passage"}
_SENSOR_KEYS = {  # type: dict
    "pir": {"settle_ms": (int, 500, 0, 60000), "hold_s": (int, 300, 0, 86400)},
    "radar": {"settle_ms": (int, 3000, 0, 60000)},
    "mic": {"offset_db": (float, 0.0, -40, 40), "interval_s": (int, 60, 5, 3600)},
    "beams": {},
}

# Which measures each node kind may report (the layout says the same).
KINDS = {"desk": ("presence",), "buzz": ("count", "sound"), "meeting": ("count", "presence"),
         "entrance": ("passage",)}

# Bytes, not str: iterating a str interns each character in the heap for good.
_ID_CHARS = b"abcdefghijklmnopqrstuvwxyz0123456789_-"


# A bad config raises ValueError, its message naming the key: a class of its
# own would cost heap while the node boots, and ValueError is all a caller needs.


def _fail(key, problem):
    raise ValueError("key '%s' %s" % (key, problem))


def _value(v, spec, key):
    kind, _, lo, hi = spec
    if isinstance(kind, dict):
        if not isinstance(v, dict):
            _fail(key, "must be an object")
        return _section(v, kind, key + ".")
    if kind is float and isinstance(v, int) and not isinstance(v, bool):
        v = float(v)
    want = str if kind is _ID else kind
    if not isinstance(v, want) or (want is int and isinstance(v, bool)):
        _fail(key, "must be %s, got %s" % (want.__name__, type(v).__name__))
    size = v if kind in (int, float) else len(v)
    if not lo <= size <= hi:
        _fail(key, ("must be %s ... %s" if kind in (int, float) else "must have %s ... %s items"
                    if kind is list else "must be %s ... %s characters long") % (lo, hi))
    if kind is _ID and (v[0] in "_-" or any(c not in _ID_CHARS for c in v.encode())):
        _fail(key, "must match [a-z0-9][a-z0-9_-]{0,47}")
    return v


def _section(raw, schema, prefix=""):
    for key in raw:
        if key not in schema:
            raise ValueError("unknown key '%s%s'" % (prefix, key))
    out = {}
    for key, spec in schema.items():
        if key in raw:
            out[key] = _value(raw[key], spec, prefix + key)
        elif spec[1] is _REQUIRED:
            raise ValueError("missing key '%s%s'" % (prefix, key))
        else:
            out[key] = spec[1]
    return out


def _one_of(v, choices, key):
    if v not in choices:
        _fail(key, "must be one of " + ", ".join(choices))


def _input(raw, i, kind):
    where = "inputs[%d]" % i
    if not isinstance(raw, dict):
        _fail(where, "must be an object")
    _one_of(raw.get("sensor"), SENSORS, where + ".sensor")
    measure = SENSORS[raw["sensor"]]
    if measure not in KINDS[kind]:
        _fail(where + ".sensor", "is %s: a %s node has no such input" % (measure, kind))
    schema = dict(_SENSOR_KEYS[raw["sensor"]])
    schema["n"] = (int, _REQUIRED, 1, 16)
    schema["sensor"] = (str, _REQUIRED, 1, 16)
    out = _section(raw, schema, where + ".")
    out["measure"] = measure
    return out


def validate(raw, need_wifi=False):
    """Return the config with defaults filled in, or raise ValueError naming the key."""
    if not isinstance(raw, dict):
        raise ValueError("config must be a JSON object")
    cfg = _section(raw, _TOP)
    _one_of(cfg["kind"], KINDS, "kind")
    if need_wifi and cfg["wifi"] is None:
        raise ValueError("missing key 'wifi'")
    lo, hi = cfg["broker"]["backoff_ms"]
    if not 0 < lo <= hi:
        _fail("broker.backoff_ms", "must be [min, max] with 0 < min <= max")
    cfg["inputs"] = [_input(r, i, cfg["kind"]) for i, r in enumerate(cfg["inputs"])]
    ns = [i["n"] for i in cfg["inputs"]]
    for n in ns:
        if ns.count(n) > 1:
            _fail("inputs", "repeats input number %d" % n)
    return cfg


def load(path="config.json", need_wifi=False):
    """Read and validate a config file."""
    try:
        with open(path) as f:
            raw = json.load(f)
    except OSError:
        raise ValueError("cannot read %s" % path) from None
    except ValueError as exc:
        raise ValueError("%s is not valid JSON: %s" % (path, exc)) from None
    return validate(raw, need_wifi)
