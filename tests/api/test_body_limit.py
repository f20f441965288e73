"""Request bodies are limited while they arrive, against the API running as its own process.

A client that streams 200 MB (chunked, generated as it goes) must get its
answer within moments, and the server must not grow by anything like the body.
The client is a raw socket that reads while it sends, as curl does: an early
answer is what is under test, so the client must be able to see one.
"""

from __future__ import annotations

import json
import select
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from devstack.mosquitto import Mosquitto
from hubsense.settings import StaffToken
from tests.api.conftest import ApiProcess, start_api_process

pytestmark = pytest.mark.services

WRITER = "staff-token-events-write-7fK2q9Zx4mT"
READER = "staff-token-reports-only-7fK2q9Zx4mT"
HUGE = 200 * 1024 * 1024
CHUNK = 64 * 1024
LIMIT = 64 * 1024  # the default api.max_body_bytes


@pytest.fixture
def api_proc(tmp_path: Path, broker: Mosquitto) -> Iterator[ApiProcess]:
    tokens = [StaffToken(name="hub-team", token=SecretStr(WRITER), scopes=["events:write"]),
              StaffToken(name="facility", token=SecretStr(READER), scopes=["reports:read"])]
    proc = start_api_process(tmp_path, broker, tokens)
    yield proc
    proc.child.stop()


def chunks(total: int) -> Iterator[bytes]:
    """A JSON-looking body of `total` bytes, made chunk by chunk as it is sent."""
    yield b'{"name": "'
    sent = 10
    while sent < total:
        n = min(CHUNK, total - sent)
        sent += n
        yield b"x" * n


class Answer:
    def __init__(self, status: int, body: bytes, headers: dict[str, str], sent: int,
                 seconds: float) -> None:
        self.status, self.body, self.headers = status, body, headers
        self.sent, self.seconds = sent, seconds


def upload(port: int, headers: dict[str, str], body: Iterator[bytes], chunked: bool = True,
           timeout: float = 60.0) -> Answer:
    """POST /api/v1/events, sending the body while watching for an answer; stop at the answer."""
    start = time.monotonic()
    sock = socket.create_connection(("127.0.0.1", port))
    head = "".join(f"{k}: {v}\r\n" for k, v in {
        "Host": "127.0.0.1", "Content-Type": "application/json", **headers,
        **({"Transfer-Encoding": "chunked"} if chunked else {})}.items())
    pending = f"POST /api/v1/events HTTP/1.1\r\n{head}\r\n".encode()
    received = b""
    sent = 0
    sock.setblocking(False)
    try:
        while time.monotonic() - start < timeout:
            readable, writable, _ = select.select([sock], [sock] if pending else [], [], 1.0)
            if readable:
                data = sock.recv(65536)
                received += data
                if not data or _complete(received):
                    break
                continue
            if writable:
                n = sock.send(pending)
                pending = pending[n:]
                sent += n
                if not pending:
                    piece = next(body, None)
                    if piece is not None:
                        pending = b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece
                    elif chunked:
                        pending, chunked = b"0\r\n\r\n", False
    finally:
        sock.close()
    seconds = time.monotonic() - start
    assert received, f"no answer within {seconds:.1f} s after sending {sent} bytes"
    head_text, _, rest = received.partition(b"\r\n\r\n")
    lines = head_text.decode().split("\r\n")
    fields = {k.lower(): v.strip() for k, v in (ln.split(":", 1) for ln in lines[1:])}
    return Answer(int(lines[0].split()[1]), rest, fields, sent, seconds)


def _complete(data: bytes) -> bool:
    head, sep, rest = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.decode().split("\r\n")[1:]:
        k, _, v = line.partition(":")
        if k.lower() == "content-length":
            return len(rest) >= int(v)
    return True


def test_a_declared_length_over_the_limit_is_refused_before_any_byte_is_read(
        api_proc: ApiProcess) -> None:
    r = upload(api_proc.port, {"Authorization": f"Bearer {WRITER}",
                               "Content-Length": str(HUGE)}, iter(()), chunked=False)
    assert r.status == 413
    assert json.loads(r.body) == {"detail": f"request body larger than {LIMIT} bytes"}
    assert r.headers["connection"] == "close"
    assert r.seconds < 5


@pytest.mark.parametrize(("token", "status"), [(WRITER, 413), (None, 401), (READER, 403)])
def test_a_streamed_200_mb_body_is_answered_at_once_and_never_held(
        api_proc: ApiProcess, token: str | None, status: int) -> None:
    before = api_proc.memory_kb()
    auth = {"Authorization": f"Bearer {token}"} if token else {}
    r = upload(api_proc.port, auth, chunks(HUGE))
    after = api_proc.memory_kb()
    assert r.status == status, r.body
    # The connection ends with the answer: the server reads no more of the body.
    assert r.headers["connection"] == "close"
    assert r.seconds < 10, f"answered after {r.seconds:.1f} s"
    assert r.sent < HUGE // 4, f"the client got to send {r.sent} bytes first"
    grown_mb = (after["VmHWM"] - before["VmHWM"]) / 1024
    assert grown_mb < 20, f"the API's peak memory grew by {grown_mb:.0f} MB"
    # The server still answers: nothing was left stuck by the refusal.
    assert httpx.get(f"{api_proc.url}/api/v1/health").status_code == 200


@pytest.mark.parametrize(("size", "status"), [(LIMIT, 422), (LIMIT + 1, 413)])
def test_the_limit_is_exact_with_and_without_a_length(api_proc: ApiProcess, size: int,
                                                      status: int) -> None:
    body = b"[" + b" " * (size - 2) + b"]"  # valid JSON, not an event: 422 when read whole
    auth = {"Authorization": f"Bearer {WRITER}"}
    declared = httpx.post(f"{api_proc.url}/api/v1/events", content=body,
                          headers={**auth, "Content-Type": "application/json"})
    streamed = upload(api_proc.port, auth, iter([body[:1000], body[1000:]]))
    assert (declared.status_code, streamed.status) == (status, status)
