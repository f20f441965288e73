"""The download half of update mode: the manifest checked, the files staged.

Loaded by ota.py for the download and unloaded after it, with http.py and
hmac.py, before the MQTT session begins (one TLS session at a time).
"""

import asyncio
import os

from micropython import const

from hubsense_node.http import Http
from hubsense_node.ota import digest

_TRIES = const(6)  # attempts at the whole download before the node gives up for now
_MAX_FILE = const(131072)
_PATH = b"abcdefghijklmnopqrstuvwxyz0123456789_./"


async def download(cfg, ctx, src, dst, rel, buf, logins):
    """Stage release `rel` in `dst` over HTTP, trying again after a failed connection
    (each try resumes what the last one got); return its rollback bound (s)."""
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
        wipe(dst)  # another release's leftovers: start clean (else resume what is there)
        os.mkdir(dst[:-1])
    remove(man)  # the manifest is small: fetched whole each time
    await _download(http, url + "manifest", man, 0, 4096)
    head = _check(man, cfg, rel)
    got = 0
    with open(man) as f:
        f.readline()
        for line in f:
            if line.startswith("tag "):
                break
            sha, size, path = _entry(line)
            if digest(dst + path, buf) == sha:
                continue  # staged before a cut
            part = dst + path + ".part"
            parts = path.split("/")
            for k in range(1, len(parts)):
                try:
                    os.mkdir(dst + "/".join(parts[:k]))
                except OSError:
                    pass  # there already
            if _listed(src + "manifest", line):
                digest(src + path, buf, part)  # the same file: copied, not fetched
            else:
                await _download(http, url + "files/" + path, part, size, size)
                got += 1
            if digest(part, buf) != sha:
                remove(part)
                raise ValueError("%s: SHA-256 differs from the manifest" % path)
            os.rename(part, dst + path)
    os.rename(man, dst + "manifest")
    print("ota: %d file(s) fetched, the others copied from the running slot" % got)
    return int(head[6])


async def _download(http, path, dest, size, limit):
    """GET `path` into `dest`, resuming a partial file; at most `limit` bytes."""
    try:
        have = os.stat(dest)[6]
    except OSError:
        have = 0
    if size and have >= size:
        remove(dest)
        have = 0
    if have:
        print("ota: resuming %s at byte %d" % (path, have))
    status = await http.get(path, have)
    if status == 200 or (status == 206 and have):
        with open(dest, "ab" if status == 206 else "wb") as f:
            f.seek(0, 2)
            await http.body(f, limit)
            n = f.tell()
        if size and n != size:
            raise OSError("%s: cut short" % path)
        return
    await http.body()
    if status == 416:
        remove(dest)  # not the bytes asked for: that file starts again
    raise OSError("the API refused this node's login" if status == 401
                  else "http %d for %s" % (status, path))


def _check(man, cfg, rel):
    """The manifest's header, once its tag is right and it is for this node and release."""
    from binascii import hexlify

    from hubsense_node import hmac

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
    differ = tag is None or len(tag) != 64
    for a, b in zip(mine, tag or ""):  # every character compared, not up to the first
        differ |= a != b
    if differ or head is None:
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
    ok = (path in ("config.json", "ca.der") or (path.startswith("hubsense_node/")
          and path.endswith(".mpy") and "/." not in path and "//" not in path
          and all(c in _PATH for c in path.encode())))
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


def remove(path):
    try:
        os.remove(path)
    except OSError:
        pass


def wipe(path):
    """Remove a directory and everything in it (the other slot, before staging)."""
    try:
        entries = list(os.ilistdir(path))
    except OSError:
        return
    for e in entries:
        p = path.rstrip("/") + "/" + e[0]
        if e[1] == 0x4000:
            wipe(p)
        else:
            os.remove(p)
    os.rmdir(path.rstrip("/"))
