"""config.json, checked at boot so that a node never starts half-configured."""

import json

KINDS = ("desk", "buzz", "meeting", "entrance")

_REQUIRED = "<required>"

_BROKER = {"host": (str, _REQUIRED), "port": (int, 1883), "password": (str, _REQUIRED),
           "keepalive_s": (int, 30), "backoff_ms": (list, [500, 30000])}
_WIFI = {"ssid": (str, _REQUIRED), "password": (str, _REQUIRED)}
_SIM = {"file": (str, _REQUIRED), "poll_ms": (int, 100)}
_TOP = {
    "node": (str, _REQUIRED), "site": (str, _REQUIRED), "kind": (str, _REQUIRED),
    "broker": (_BROKER, _REQUIRED), "wifi": (_WIFI, None), "ntp": (str, "pool.ntp.org"),
    "heartbeat_s": (int, 60), "sample_ms": (int, 100), "queue": (int, 32),
    "inputs": (list, _REQUIRED), "sim": (_SIM, None),
}

# sensor -> (measure it reports, its own keys with defaults)
SENSORS = {
    "pir": ("presence", {"settle_ms": (int, 500), "hold_s": (int, 300)}),
    "radar": ("count", {"settle_ms": (int, 3000)}),
    "mic": ("sound", {"offset_db": (float, 0.0), "interval_s": (int, 60)}),
    "beams": ("passage", {}),
}

# Which measures each node kind may report (the layout says the same).
_KIND_MEASURES = {
    "desk": ("presence",),
    "buzz": ("count", "sound"),
    "meeting": ("count", "presence"),
    "entrance": ("passage",),
}


class ConfigError(ValueError):
    """A config key is missing, misspelt or of the wrong type; the message names it."""


def _typed(value, kind, where):
    if isinstance(kind, dict):
        if not isinstance(value, dict):
            raise ConfigError("key '%s' must be an object" % where)
        return _section(value, kind, where + ".")
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigError("key '%s' must be %s, got %s" % (where, kind.__name__,
                                                           type(value).__name__))
    return value


def _section(raw, schema, prefix=""):
    out = {}
    for key in raw:
        if key not in schema:
            raise ConfigError("unknown key '%s%s'" % (prefix, key))
    for key, (kind, default) in schema.items():
        if key in raw:
            out[key] = _typed(raw[key], kind, prefix + key)
        elif default is _REQUIRED:
            raise ConfigError("missing key '%s%s'" % (prefix, key))
        else:
            out[key] = default
    return out


def _is_id(s):
    ok = "abcdefghijklmnopqrstuvwxyz0123456789_-"
    return 0 < len(s) <= 48 and s[0] not in "_-" and all(c in ok for c in s)


def _input(raw, i, kind):
    where = "inputs[%d]" % i
    if not isinstance(raw, dict):
        raise ConfigError("key '%s' must be an object" % where)
    sensor = raw.get("sensor")
    if sensor not in SENSORS:
        raise ConfigError("key '%s.sensor' must be one of %s" % (where, ", ".join(SENSORS)))
    measure, own = SENSORS[sensor]
    if measure not in _KIND_MEASURES[kind]:
        raise ConfigError("key '%s.sensor': a %s node has no %s input" % (where, kind, measure))
    schema = {"n": (int, _REQUIRED), "sensor": (str, _REQUIRED)}
    schema.update(own)
    out = _section(raw, schema, where + ".")
    if not 1 <= out["n"] <= 16:
        raise ConfigError("key '%s.n' must be 1 ... 16" % where)
    if measure == "sound" and not 5 <= out["interval_s"] <= 3600:
        raise ConfigError("key '%s.interval_s' must be 5 ... 3600" % where)
    out["measure"] = measure
    return out


def validate(raw, need_wifi=False):
    """Return the config with defaults filled in, or raise ConfigError naming the key."""
    if not isinstance(raw, dict):
        raise ConfigError("config must be a JSON object")
    cfg = _section(raw, _TOP)
    for key in ("node", "site"):
        if not _is_id(cfg[key]):
            raise ConfigError("key '%s' must match [a-z0-9][a-z0-9_-]{0,47}" % key)
    if cfg["kind"] not in KINDS:
        raise ConfigError("key 'kind' must be one of %s" % ", ".join(KINDS))
    if need_wifi and cfg["wifi"] is None:
        raise ConfigError("missing key 'wifi'")
    if not 5 <= cfg["heartbeat_s"] <= 3600:
        raise ConfigError("key 'heartbeat_s' must be 5 ... 3600")
    if not 10 <= cfg["sample_ms"] <= 10000:
        raise ConfigError("key 'sample_ms' must be 10 ... 10000")
    if not 1 <= cfg["queue"] <= 1000:
        raise ConfigError("key 'queue' must be 1 ... 1000")
    b = cfg["broker"]
    if not 0 < b["port"] < 65536:
        raise ConfigError("key 'broker.port' must be 1 ... 65535")
    if not 5 <= b["keepalive_s"] <= 600:
        raise ConfigError("key 'broker.keepalive_s' must be 5 ... 600")
    if len(b["backoff_ms"]) != 2 or not 0 < b["backoff_ms"][0] <= b["backoff_ms"][1]:
        raise ConfigError("key 'broker.backoff_ms' must be [min, max] with 0 < min <= max")
    if not cfg["inputs"] or len(cfg["inputs"]) > 4:
        raise ConfigError("key 'inputs' must list 1 ... 4 inputs")
    cfg["inputs"] = [_input(r, i, cfg["kind"]) for i, r in enumerate(cfg["inputs"])]
    ns = [i["n"] for i in cfg["inputs"]]
    for n in ns:
        if ns.count(n) > 1:
            raise ConfigError("key 'inputs': input number %d repeated" % n)
    return cfg


def load(path="config.json", need_wifi=False):
    """Read and validate a config file."""
    try:
        with open(path) as f:
            raw = json.load(f)
    except OSError:
        raise ConfigError("cannot read %s" % path) from None
    except ValueError as exc:
        raise ConfigError("%s is not valid JSON: %s" % (path, exc)) from None
    return validate(raw, need_wifi)
