"""Child processes that are started, awaited until ready, and never left behind."""

from __future__ import annotations

import contextlib
import ctypes
import os
import random
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from deploy.firmware import FirmwareError, find_tool


class StackError(RuntimeError):
    """The stack cannot start; the message says what to do."""


_handed_out: set[int] = set()


def ephemeral_ports() -> tuple[int, int]:
    """The range the kernel draws outgoing connections' local ports from."""
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on now, which no client socket will take before we do.

    Why not bind(0): it hands out an ephemeral port, the pool every outgoing
    connection draws from, so between our close and the server's bind a test's
    own HTTP or MQTT client could be given that very port (CI saw Mosquitto die
    so). Ports below the ephemeral range are never given to clients, and a port
    handed out once in this process is not handed out again.
    """
    low, _ = ephemeral_ports()
    floor = min(20000, max(1024, low // 2))
    for _ in range(500):
        port = random.randrange(floor, low)
        if port not in _handed_out and not port_taken(host, port):
            _handed_out.add(port)
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def port_taken(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return True
    return False


def require_free(host: str, port: int, what: str) -> None:
    if port_taken(host, port):
        raise StackError(f"{what}: port {host}:{port} is already in use; "
                         f"stop what uses it or choose another port")


def venv_tool(name: str, package: str) -> str:
    """A command installed beside this Python (a venv's bin/), else on PATH."""
    try:
        return find_tool(name, package)
    except FirmwareError as exc:
        raise StackError(str(exc)) from None


def wait_until(check: Callable[[], bool], timeout: float, what: str,
               alive: Callable[[], bool] | None = None) -> None:
    """Poll `check` until true; fail early if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        if alive is not None and not alive():
            raise StackError(f"{what} exited during start-up")
        time.sleep(0.05)
    raise StackError(f"{what} was not ready within {timeout:.0f} s")


def tcp_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _die_with_parent() -> None:
    """Ask Linux to SIGTERM this child if the runner dies, even by SIGKILL."""
    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


class Child:
    """One supervised child process with its output in a log file."""

    def __init__(self, name: str, argv: Sequence[str], log: Path,
                 env: dict[str, str] | None = None, cwd: Path | None = None,
                 die_with_parent: bool = False) -> None:
        self.name = name
        self.die_with_parent = die_with_parent
        self.argv = list(argv)
        self.log = log
        self.env = env
        self.cwd = cwd
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Child:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as out:
            # Own session: a Ctrl-C aimed at the runner does not race our shutdown.
            self.proc = subprocess.Popen(
                self.argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env={**os.environ, **(self.env or {})}, cwd=self.cwd, start_new_session=True,
                preexec_fn=_die_with_parent if self.die_with_parent else None,
            )
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def signal(self, sig: int) -> None:
        if self.alive():
            assert self.proc is not None
            # It may exit between the two: then only a zombie (or nothing) is left.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, sig)

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM, then SIGKILL after `timeout`; returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.signal(signal.SIGKILL)
                self.proc.wait(5)
        return self.proc.returncode

    def kill(self) -> None:
        """SIGKILL, as a crash or power loss would."""
        if self.proc is not None and self.proc.poll() is None:
            self.signal(signal.SIGKILL)
            self.proc.wait(5)

    def tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""


class Server:
    """A third-party server (Mosquitto, InfluxDB) run from its Debian package."""

    name = ""
    child: Child | None = None

    def _launch(self, exe: str, package: str, args: list[str], log: Path,
                ready: Callable[[], bool], timeout: float) -> None:
        path = shutil.which(Path(exe).name) or exe
        if not Path(path).exists():
            raise StackError(f"{Path(exe).name} not found: apt-get install -y {package}")
        self.child = Child(self.name, [path, *args], log)
        self.child.start()
        try:
            wait_until(ready, timeout, self.name, self.child.alive)
        except StackError as exc:
            raise StackError(f"{exc}; the end of {log}:\n{self.child.tail(15)}") from None

    def stop(self) -> None:
        if self.child:
            self.child.stop()

    def kill(self) -> None:
        """SIGKILL, as a crash or power loss would."""
        if self.child:
            self.child.kill()
