"""Update mode: fetch a release, check it, stage it in the other slot and reboot into it.

The boot loader starts the kept firmware in this mode when the node accepted an
offer (ota.json "get"). The manifest comes first: a header, one `sha256 size
path` line per file, and `tag <HMAC-SHA256 of the lines before it>` under the
node's own key (node.key). A wrong tag, another node's or release's manifest,
a path outside the firmware, or a file whose size or SHA-256 differs refuses
the whole release, and the node goes back to what it ran. A file the running
slot has with the same line in its manifest is copied locally; the rest are
downloaded through one buffer, a cut one resumed by Range. Staged files are
read back from flash and hashed again before the loader is told to try them.
The manifest is read from flash a line at a time, never held whole: this runs
in the heap the node's sampling leaves. Loaded in update mode only.
"""

import asyncio
import os
from binascii import hexlify
from hashlib import sha256

from micropython import const

from hubsense_node import hmac
from hubsense_node.http import Http
from hubsense_node.otastate import drain, progress, reset, save

_TRIES = const(6)  # attempts at the whole download before the node gives up for now
_MAX_FILE = const(131072)
# Files of the running slot a release does not carry: the board's pins, the
# site CA (unless the release brings a new one), the node's key and Wi-Fi.
_CARRY = ("board.mpy", "board.py", "ca.der", "node.key", "wifi.json")
_PATH = b"abcdefghijklmnopqrstuvwxyz0123456789_./"


async def run(cfg, ctx, ota, node, queue):
    """Fetch release ota.json["get"]; stage it as a trial, or record why not; reboot."""
    root, slot, st = ota
    rel = st.pop("get")
    buf = bytearray(512)
    b = cfg["broker"]
    pw = [b["password"]] + ([] if b["previous"] is None else [b["previous"]])
    http = Http(cfg["ota"]["url"], cfg["node"], pw[0], ctx, buf)
    while ctx is not None and not node.synced:  # certificates are checked against the clock
        await asyncio.sleep_ms(100)
    tries, state, why = 0, "rebooting", None
    while True:
        try:
            bound = await _fetch(http, cfg, "%s/%s/" % (root, slot),
                                 "%s/%s/" % (root, "b" if slot == "a" else "a"), rel, node, buf)
            st["trial"] = {"slot": "b" if slot == "a" else "a", "release": rel,
                           "rollback_s": bound, "boots": 0}
            break
        except ValueError as exc:  # what the release holds is wrong: never take it
            state, why = "refused", str(exc)
            st["bad"] = rel
        except Exception as exc:  # the way to it is (OSError, MemoryError): again, then later
            tries += 1
            print("ota: download failed (%d of %d): %r" % (tries, _TRIES, exc))
            if tries < _TRIES:
                if "login" in str(exc) and len(pw) > 1:  # a rotation in flight: the other one
                    pw.append(pw.pop(0))
                    http.login(cfg["node"], pw[0])
                await asyncio.sleep_ms(1000 << tries)
                continue
            state, why = "failed", "download failed: %r" % exc
            st["failed"] = rel
        print("ota: release %d %s: %s" % (rel, state, why))
        st["result"] = {"release": rel, "state": state, "why": why}
        break
    http.close()
    progress(node, rel, state, why)
    save(root, st)
    await drain(queue)
    reset()


async def _fetch(http, cfg, src, dst, rel, node, buf):
    """Stage release `rel` in `dst` (the other slot); return its rollback bound (s)."""
    url = "/api/v1/ota/%d/" % rel
    man = dst + "manifest.new"
    try:
        with open(man) as f:
            same = f.readline().split()[4:5] == [str(rel)]
    except OSError:
        same = False
    if not same:
        _wipe(dst)  # another release's leftovers: start clean (else resume what is there)
        os.mkdir(dst[:-1])
    _remove(man)  # the manifest is small: fetched whole each time
    await _download(http, url + "manifest", man, 0, 4096, buf)
    head = _check(man, cfg, rel)
    got = 0
    with open(man) as f:
        f.readline()
        for line in f:
            if line.startswith("tag "):
                break
            sha, size, path = _entry(line)
            if _sha(dst + path, buf) == sha:
                continue  # staged before a cut
            part = dst + path + ".part"
            _mkdirs(dst, path)
            if _listed(src + "manifest", line):
                _copy(src + path, part, buf)
            else:
                await _download(http, url + "files/" + path, part, size, size, buf)
                got += 1
            if _sha(part, buf) != sha:
                _remove(part)
                raise ValueError("%s: SHA-256 differs from the manifest" % path)
            os.rename(part, dst + path)
    progress(node, rel, "verifying")
    carried = list(_CARRY)
    with open(man) as f:
        f.readline()
        for line in f:
            if line.startswith("tag "):
                break
            sha, _n, path = line.split()
            if _sha(dst + path, buf) != sha:  # read back from flash, as the next boot will
                raise ValueError("%s: reads back wrong from flash" % path)
            if path in carried:
                carried.remove(path)
    for name in carried:
        if _size(src + name) >= 0:
            _copy(src + name, dst + name, buf)
    os.rename(man, dst + "manifest")
    print("ota: %d file(s) fetched, the rest kept from the running slot" % got)
    return int(head[6])


async def _download(http, path, dest, size, limit, buf):
    """GET `path` into `dest`, resuming a partial file; at most `limit` bytes."""
    have = max(_size(dest), 0)
    if size and have >= size:
        _remove(dest)
        have = 0
    if have:
        print("ota: resuming %s at byte %d" % (path, have))
    status = await http.get(path, have)
    if status == 200 or status == 206 and have:
        with open(dest, "ab" if status == 206 else "wb") as f:
            n = [have if status == 206 else 0]

            def sink(chunk):
                n[0] += len(chunk)
                if n[0] > limit:
                    raise ValueError("%s is longer than the manifest says" % path)
                f.write(chunk)

            await http.body(sink)
        if size and n[0] != size:
            raise OSError("%s: cut short" % path)
        return
    await http.body()
    if status == 416:
        _remove(dest)  # not the bytes asked for: that file starts again
    raise OSError("the API refused this node's login" if status == 401
                  else "http %d for %s" % (status, path))


def _check(man, cfg, rel):
    """The manifest's header, once its tag is right and it is for this node and release."""
    with open("node.key", "rb") as f:
        key = f.read()
    h = hmac.start(key)
    tag = head = None
    with open(man) as f:
        for line in f:
            if line.startswith("tag "):
                tag = line[4:].strip()
                break
            if head is None:
                head = line.split()
            h.update(line.encode())
    mine = hexlify(hmac.finish(key, h)).decode()
    if tag is None or head is None or len(tag) != 64 or sum(
            ord(a) ^ ord(b) for a, b in zip(mine, tag)):  # every byte compared
        raise ValueError("the manifest's tag is wrong")
    if head[:2] != ["hubsense-ota", "1"] or len(head) != 7:
        raise ValueError("not a manifest this firmware reads")
    if head[2:5] != [cfg["site"], cfg["node"], str(rel)]:
        raise ValueError("the manifest is for %s/%s release %s" % tuple(head[2:5]))
    return head


def _entry(line):
    """(sha256, size, path) of a file line; only a path inside the firmware's own."""
    sha, size, path = line.split()
    size = int(size)
    ok = (path in ("config.json", "ca.der") or path.startswith("hubsense_node/")
          and path.endswith(".mpy") and ".." not in path
          and all(c in _PATH for c in path.encode()))
    if not ok or len(sha) != 64 or not 0 <= size <= _MAX_FILE:
        raise ValueError("the manifest names %s, which a release may not carry" % path)
    return sha, size, path


def _listed(man, line):
    """Whether the running slot's manifest has this very line (the same file)."""
    try:
        with open(man) as f:
            return any(x == line for x in f)
    except OSError:
        return False


def _sha(path, buf):
    h = sha256()
    try:
        with open(path, "rb") as f:
            while True:
                n = f.readinto(buf)
                if not n:
                    break
                h.update(memoryview(buf)[:n])
    except OSError:
        return None
    return hexlify(h.digest()).decode()


def _copy(src, dest, buf):
    with open(src, "rb") as i, open(dest, "wb") as o:
        while True:
            n = i.readinto(buf)
            if not n:
                break
            o.write(memoryview(buf)[:n])


def _size(path):
    """Its size, or -1 when there is none."""
    try:
        return os.stat(path)[6]
    except OSError:
        return -1


def _remove(path):
    try:
        os.remove(path)
    except OSError:
        pass


def _mkdirs(base, path):
    parts = path.split("/")[:-1]
    for k in range(len(parts)):
        try:
            os.mkdir(base + "/".join(parts[:k + 1]))
        except OSError:
            pass  # there already


def _wipe(path):
    """Remove a directory and everything in it (the other slot, before staging)."""
    try:
        entries = list(os.ilistdir(path))
    except OSError:
        return
    for e in entries:
        p = path.rstrip("/") + "/" + e[0]
        if e[1] == 0x4000:
            _wipe(p)
        else:
            os.remove(p)
    os.rmdir(path.rstrip("/"))
