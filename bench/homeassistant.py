"""A real Home Assistant for hubsense's checks, run from a venv of its own.

Home Assistant is not a hubsense dependency and cannot share its venv (it pins
its own versions of half of PyPI): make one outside the repository as
docs/home-assistant.md says. `hass` runs with `--skip-pip` (nothing is
downloaded at run time; `missing_requirements()` names what its integrations
still need), bound to loopback. It is onboarded and given its MQTT config
entry over its REST API (`/api/onboarding/users`, `/auth/token`,
`/api/config/config_entries/flow`), the steps a person takes in the UI.
"""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path
from typing import Any

import httpx

from devstack.processes import Child, StackError, free_port, wait_until

# Walk the manifests of what `hass` sets up without being asked (its bootstrap
# sets), what our configuration.yaml and config entry add, and their
# dependencies; print each
# requirement that is not installed. Runs inside the Home Assistant venv.
_MISSING = textwrap.dedent("""
    import json, sys
    from importlib import metadata
    from pathlib import Path
    from packaging.requirements import Requirement
    import homeassistant.bootstrap as b
    import homeassistant.components as c
    root = Path(c.__file__).parent
    todo = [*sys.argv[1:]]
    for name in ("CORE_INTEGRATIONS", "DEFAULT_INTEGRATIONS"):
        todo += sorted(getattr(b, name, ()))
    seen = set()
    while todo:
        domain = todo.pop()
        manifest = root / domain / "manifest.json"
        if domain in seen or not manifest.exists():
            continue
        seen.add(domain)
        m = json.loads(manifest.read_text())
        todo += m.get("dependencies", [])
        for spec in m.get("requirements", []):
            req = Requirement(spec)
            try:
                ok = req.specifier.contains(metadata.version(req.name), prereleases=True)
            except metadata.PackageNotFoundError:
                ok = False
            if not ok:
                print(spec)
""")

_CONFIG = """\
# Written by bench/homeassistant.py for one check run.
homeassistant:
  name: hubsense check
  latitude: 56.05
  longitude: 12.69
  elevation: 0
  unit_system: metric
  currency: SEK
  country: SE
  time_zone: Europe/Stockholm
http:
  server_host: 127.0.0.1
  server_port: {port}
logger:
  default: warning
  logs:
    homeassistant.components.mqtt: info
"""


def missing_requirements(venv: Path,
                         domains: tuple[str, ...] = ("mqtt", "http", "logger")) -> list[str]:
    """What the Home Assistant in `venv` needs installed to set up `domains` offline."""
    python = venv / "bin" / "python"
    if not python.exists():
        raise StackError(f"no Python in {venv}: make the venv first (bench/homeassistant.py)")
    run = subprocess.run([str(python), "-c", _MISSING, *domains], capture_output=True,
                         text=True, timeout=120, check=False)
    if run.returncode != 0:
        raise StackError(f"cannot read Home Assistant in {venv}: {run.stderr.strip()[-400:]}")
    return run.stdout.split()


class HomeAssistant:
    """`hass` on loopback with its config in `workdir`; `start()`, `onboard()`, then use."""

    def __init__(self, venv: Path, workdir: Path, port: int | None = None) -> None:
        self.venv = venv
        self.config_dir = workdir / "config"
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.child: Child | None = None
        self.token: str | None = None
        self.http = httpx.Client(base_url=self.url, timeout=30)

    def version(self) -> str:
        run = subprocess.run([str(self.venv / "bin" / "hass"), "--version"],
                             capture_output=True, text=True, timeout=120, check=False)
        return run.stdout.strip() or run.stderr.strip()

    def start(self, timeout: float = 300) -> HomeAssistant:
        """Start `hass` and wait until its HTTP API answers (first start: minutes)."""
        missing = missing_requirements(self.venv)
        if missing:
            pip = self.venv / "bin" / "pip"
            raise StackError("Home Assistant's integrations need packages its venv lacks: "
                             f"{pip} install " + " ".join(f"'{m}'" for m in missing))
        self.config_dir.mkdir(parents=True, exist_ok=True)
        (self.config_dir / "configuration.yaml").write_text(_CONFIG.format(port=self.port))
        self.child = Child("hass", [str(self.venv / "bin" / "hass"), "-c", str(self.config_dir),
                                    "--skip-pip"], self.config_dir / "hass.out",
                           die_with_parent=True).start()
        try:
            wait_until(self._answers, timeout, "Home Assistant", self.child.alive)
        except StackError as exc:
            raise StackError(f"{exc}; the end of its output:\n{self.child.tail(20)}") from exc
        return self

    def _answers(self) -> bool:
        try:
            return self.http.get("/api/onboarding").status_code == 200
        except httpx.TransportError:
            return False

    def onboard(self) -> None:
        """Create the owner, as the first screen of the UI does, and log in as them."""
        client_id = f"{self.url}/"
        r = self.http.post("/api/onboarding/users", json={
            "client_id": client_id, "name": "Check", "username": "check",
            "password": "hubsense-check-owner", "language": "en"})
        r.raise_for_status()
        r = self.http.post("/auth/token", data={
            "grant_type": "authorization_code", "code": r.json()["auth_code"],
            "client_id": client_id})
        r.raise_for_status()
        self.token = r.json()["access_token"]
        self.http.headers["Authorization"] = f"Bearer {self.token}"

    def add_mqtt(self, host: str, port: int, username: str, password: str,
                 ca_file: Path) -> str:
        """Add the MQTT integration over TLS, verifying the broker with `ca_file`.

        The UI's steps: broker and login; "advanced options" (shown with the
        user's advanced mode on); CA verification "custom"; the site CA uploaded.
        """
        flow = self._ok(self.http.post("/api/config/config_entries/flow", json={
            "handler": "mqtt", "show_advanced_options": True}))
        path = f"/api/config/config_entries/flow/{flow['flow_id']}"
        login = {"broker": host, "port": port, "username": username, "password": password}
        self._ok(self.http.post(path, json={**login, "advanced_options": True}))
        tls = {**login, "set_ca_cert": "custom", "tls_insecure": False}
        self._ok(self.http.post(path, json=tls))  # asks for the CA file
        upload = self._ok(self.http.post(
            "/api/file_upload", files={"file": ("ca.crt", ca_file.read_bytes())}))
        done = self._ok(self.http.post(path, json={**tls, "certificate": upload["file_id"]}))
        if done.get("type") != "create_entry":
            raise StackError(f"Home Assistant did not take the MQTT settings: {done}")
        entry_id: str = done["result"]["entry_id"]
        return entry_id

    def reload(self, entry_id: str) -> None:
        """Reload a config entry (its entities subscribe again and get the retained state)."""
        self._ok(self.http.post(f"/api/config/config_entries/entry/{entry_id}/reload"))

    def states(self) -> dict[str, dict[str, Any]]:
        """Every entity's state object, by entity id."""
        return {s["entity_id"]: s for s in self._ok(self.http.get("/api/states"))}

    def render(self, template: str) -> str:
        """Render a template in Home Assistant (POST /api/template)."""
        r = self.http.post("/api/template", json={"template": template})
        r.raise_for_status()
        return r.text

    def call(self, domain: str, service: str, data: dict[str, Any]) -> None:
        self._ok(self.http.post(f"/api/services/{domain}/{service}", json=data))

    def log(self) -> str:
        path = self.config_dir / "home-assistant.log"
        return path.read_text(errors="replace") if path.exists() else ""

    @staticmethod
    def _ok(r: httpx.Response) -> Any:
        if r.status_code >= 400:
            raise StackError(f"Home Assistant answered {r.status_code} to {r.request.method} "
                             f"{r.request.url.path}: {r.text[:400]}")
        return r.json()

    def stop(self) -> None:
        self.http.close()
        if self.child:
            self.child.stop(timeout=30)
