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
import sys
from binascii import b2a_base64, hexlify
from hashlib import sha256

# Files of the running slot a release does not carry: the board's pins, the
# site CA (unless the release brings a new one), the node's key and Wi-Fi.
_CARRY = ("board.mpy", "board.py", "ca.der", "node.key", "wifi.json")


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
        bound = await _fetch(cfg, ctx, src, dst, rel, buf, logins)
    except ValueError as exc:  # what the release holds is wrong: never take it
        state, why = "refused", str(exc)
        st["bad"] = rel
    except Exception as exc:  # the way to it (OSError, MemoryError): later, if offered anew
        state, why = "failed", "download failed: %r" % exc
        st["failed"] = rel
    import gc

    import hubsense_node

    for name in ("otafetch", "http", "hmac"):  # done with HTTPS: the MQTT session next
        sys.modules.pop("hubsense_node." + name, None)
        if hasattr(hubsense_node, name):
            delattr(hubsense_node, name)
    gc.collect()
    from hubsense_node.otastate import drain, reset, save
    from hubsense_node.progress import report

    gate.open = True
    if state is None:
        report(queue, status, rel, "verifying", None, gate.synced)
        try:
            _verify(src, dst, buf)
            st["trial"] = {"slot": dst[-2], "release": rel, "rollback_s": bound, "boots": 0}
            state = "rebooting"
        except ValueError as exc:
            state, why = "refused", str(exc)
            st["bad"] = rel
        except Exception as exc:  # the flash failed it: whatever it is, back to the old slot
            state, why = "failed", "staging failed: %r" % exc
            st["failed"] = rel
    if state != "rebooting":
        print("ota: release %d %s: %s" % (rel, state, why))
        st["result"] = {"release": rel, "state": state, "why": why}
    report(queue, status, rel, state, why, gate.synced)
    save(root, st)
    await drain(queue)
    reset()


async def _fetch(cfg, ctx, src, dst, rel, buf, logins):
    # No name here keeps the download's modules once it returns: they leave RAM.
    from hubsense_node.otafetch import download

    return await download(cfg, ctx, src, dst, rel, buf, logins)


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


def _verify(src, dst, buf):
    """Hash every staged file again, as read from flash; carry the running slot's own."""
    carried = list(_CARRY)
    with open(dst + "manifest") as f:
        f.readline()
        for line in f:
            if line.startswith("tag "):
                break
            sha, _n, path = line.split()
            if digest(dst + path, buf) != sha:
                raise ValueError("%s: reads back wrong from flash" % path)
            if path in carried:
                carried.remove(path)
    for name in carried:
        digest(src + name, buf, dst + name)


def digest(path, buf, copy=None):
    """The file's SHA-256 (hex), None if there is none; written to `copy` as it is read."""
    h = sha256()
    try:
        with open(path, "rb") as f:
            out = None if copy is None else open(copy, "wb")  # noqa: SIM115 (closed below)
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
