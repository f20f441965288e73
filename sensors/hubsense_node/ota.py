"""Update mode: fetch a release, check it, stage it in the other slot and reboot into it.

The boot loader starts the kept firmware in this mode when the node accepted an
offer (ota.json "get"). The manifest comes first: a header, one `sha256 size
path` line per file, and `tag <HMAC-SHA256 of the lines before it>` under the
node's own key (node.key). A wrong tag, another node's or release's manifest,
a path outside the firmware, or a file whose size or SHA-256 differs refuses
the whole release, and the node goes back to what it ran. A file the running
slot has with the same line in its manifest is copied locally; the rest are
downloaded through one buffer, a cut one resumed by Range.

One TLS session at a time: the MQTT client waits behind the gate below while
the files come over HTTPS; then the HTTP code leaves RAM, the client
connects, and staff see the staged files read back from flash and hashed
again ("verifying") before the node reboots into them. The manifest is read
from flash a line at a time, never held whole. Loaded in update mode only.
"""

import asyncio
import os
import sys
from binascii import b2a_base64, hexlify
from hashlib import sha256

from micropython import const

from hubsense_node import hmac
from hubsense_node.otastate import drain, progress, reset, save

_TRIES = const(6)  # attempts at the whole download before the node gives up for now
_MAX_FILE = const(131072)
# Files of the running slot a release does not carry: the board's pins, the
# site CA (unless the release brings a new one), the node's key and Wi-Fi.
_CARRY = ("board.mpy", "board.py", "ca.der", "node.key", "wifi.json")
_PATH = b"abcdefghijklmnopqrstuvwxyz0123456789_./"


class Gate:
    """The MQTT client's link and clock in update mode: up once the download is done
    (and the network is), synced once NTP has set the clock (on a board)."""

    def __init__(self, net):
        self.net = net
        self.open = False
        self.synced = False

    def is_up(self):
        return self.open and (self.net is None or self.net.is_up())

    async def up(self):
        while not self.open:
            await asyncio.sleep_ms(100)
        if self.net is not None:
            await self.net.up()

    def rssi(self):
        return None


def start(cfg, ctx, ota, queue, net, status):
    """Start the updater; return the gate the MQTT client waits behind."""
    gate = Gate(net)
    asyncio.create_task(run(cfg, ctx, ota, queue, gate, status))
    return gate


def _auth(user, password):
    return "Basic " + b2a_base64(("%s:%s" % (user, password)).encode()).strip().decode()


async def run(cfg, ctx, ota, queue, gate, status):
    """Fetch release ota.json["get"]; stage it as a trial, or record why not; reboot."""
    root, slot, st = ota
    rel = st.pop("get")
    src = "%s/%s/" % (root, slot)
    dst = "%s/%s/" % (root, "b" if slot == "a" else "a")
    buf = bytearray(512)
    b = cfg["broker"]
    logins = [_auth(cfg["node"], p) for p in (b["password"], b["previous"]) if p]
    state = why = None
    try:
        if gate.net is not None:
            await gate.net.up()  # a board joins its Wi-Fi (the client would, later)
        await _sync(gate, cfg["ntp"])  # certificates are checked against the clock
        bound = await _download_all(cfg, ctx, src, dst, rel, buf, logins)
    except ValueError as exc:  # what the release holds is wrong: never take it
        state, why = "refused", str(exc)
        st["bad"] = rel
    except Exception as exc:  # the way to it (OSError, MemoryError): later, if offered anew
        state, why = "failed", "download failed: %r" % exc
        st["failed"] = rel
    import gc

    sys.modules.pop("hubsense_node.http", None)  # done with HTTPS: the MQTT session next
    gc.collect()
    gate.open = True
    if state is None:
        progress(queue, status, rel, "verifying", None, gate.synced)
        try:
            _verify(src, dst, buf)
            st["trial"] = {"slot": dst[-2], "release": rel, "rollback_s": bound, "boots": 0}
            state = "rebooting"
        except ValueError as exc:
            state, why = "refused", str(exc)
            st["bad"] = rel
    if state != "rebooting":
        print("ota: release %d %s: %s" % (rel, state, why))
        st["result"] = {"release": rel, "state": state, "why": why}
    progress(queue, status, rel, state, why, gate.synced)
    save(root, st)
    await drain(queue)
    reset()


async def _sync(gate, ntp):
    """Set the clock by NTP where the board has it (as node.py does, every 10 s until it
    works); on the unix port the host keeps it."""
    try:
        import ntptime
    except ImportError:
        gate.synced = True
        return
    if ntp:
        ntptime.host = ntp
    while True:
        try:
            ntptime.settime()
            gate.synced = True
            return
        except (OSError, OverflowError) as exc:
            print("clock: ntp failed:", exc)
        await asyncio.sleep_ms(10000)


async def _download_all(cfg, ctx, src, dst, rel, buf, logins):
    """Stage release `rel` in `dst` over HTTP, trying again after a failed connection
    (each try resumes what the last one got); return its rollback bound (s)."""
    from hubsense_node.http import Http

    http = Http(cfg["ota"]["url"], logins[0], ctx, buf)
    tries = 0
    while True:
        try:
            bound = await _fetch(http, cfg, src, dst, rel, buf)
            http.close()
            return bound
        except OSError as exc:
            http.close()
            tries += 1
            print("ota: download failed (%d of %d): %r" % (tries, _TRIES, exc))
            if tries >= _TRIES:
                raise
            if "login" in str(exc):  # a rotation in flight: the other password
                logins.append(logins.pop(0))
                http.auth = logins[0]
            await asyncio.sleep_ms(1000 << tries)


async def _fetch(http, cfg, src, dst, rel, buf):
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
    await _download(http, url + "manifest", man, 0, 4096)
    head = _check(man, cfg, rel)
    got = 0
    with open(man) as f:
        f.readline()
        for line in f:
            if line.startswith("tag "):
                break
            sha, size, path = _entry(line)
            if _hash(dst + path, buf) == sha:
                continue  # staged before a cut
            part = dst + path + ".part"
            parts = path.split("/")
            for k in range(1, len(parts)):
                try:
                    os.mkdir(dst + "/".join(parts[:k]))
                except OSError:
                    pass  # there already
            if _listed(src + "manifest", line):
                _hash(src + path, buf, part)  # the same file: copied, not fetched
            else:
                await _download(http, url + "files/" + path, part, size, size)
                got += 1
            if _hash(part, buf) != sha:
                _remove(part)
                raise ValueError("%s: SHA-256 differs from the manifest" % path)
            os.rename(part, dst + path)
    os.rename(man, dst + "manifest")
    print("ota: %d file(s) fetched, the others copied from the running slot" % got)
    return int(head[6])


def _verify(src, dst, buf):
    """Hash every staged file again, as read from flash; carry the running slot's own."""
    carried = list(_CARRY)
    with open(dst + "manifest") as f:
        f.readline()
        for line in f:
            if line.startswith("tag "):
                break
            sha, _n, path = line.split()
            if _hash(dst + path, buf) != sha:
                raise ValueError("%s: reads back wrong from flash" % path)
            if path in carried:
                carried.remove(path)
    for name in carried:
        _hash(src + name, buf, dst + name)


async def _download(http, path, dest, size, limit):
    """GET `path` into `dest`, resuming a partial file; at most `limit` bytes."""
    try:
        have = os.stat(dest)[6]
    except OSError:
        have = 0
    if size and have >= size:
        _remove(dest)
        have = 0
    if have:
        print("ota: resuming %s at byte %d" % (path, have))
    status = await http.get(path, have)
    if status == 200 or status == 206 and have:
        with open(dest, "ab" if status == 206 else "wb") as f:
            f.seek(0, 2)
            await http.body(f, limit)
            n = f.tell()
        if size and n != size:
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


def _hash(path, buf, copy=None):
    """The file's SHA-256 (hex), None if there is none; written to `copy` as it is read."""
    h = sha256()
    try:
        with open(path, "rb") as f:
            out = None if copy is None else open(copy, "wb")
            while True:
                n = f.readinto(buf)
                if not n:
                    break
                h.update(memoryview(buf)[:n])
                if out is not None:
                    out.write(memoryview(buf)[:n])
            if out is not None:
                out.close()
    except OSError:
        return None
    return hexlify(h.digest()).decode()


def _remove(path):
    try:
        os.remove(path)
    except OSError:
        pass


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
