"""Configuration: one typed model; misspelt keys and placeholder secrets are refused by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from hubsense.passwords import new_secret
from hubsense.settings import SettingsError, load_settings, require_credentials


def test_file_then_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    conf = tmp_path / "h.toml"
    conf.write_text(
        f'[mqtt]\nport = 1999\n[collector.mqtt]\nusername = "c"\npassword = "{new_secret()}"\n'
    )
    s = load_settings(conf)
    assert s.mqtt.port == 1999
    assert require_credentials(s.collector.mqtt, "collector").username == "c"
    monkeypatch.setenv("HUBSENSE_MQTT__PORT", "2001")
    assert load_settings(conf).mqtt.port == 2001


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("[mqtt]\nprot = 1\n", "mqtt.prot"),
        ("[mqtt]\nport = 70000\n", "mqtt.port"),
        ('[api.mqtt]\nusername = "api"\npassword = "changeme"\n', "api.mqtt.password"),
        ("colour = 1\n", "colour"),
        ('[api]\nallowed_hosts = ["https://hub.example"]\n', "api.allowed_hosts"),
        ('[api]\nallowed_hosts = ["hub.example:8000"]\n', "api.allowed_hosts"),
        ('[api]\nallowed_hosts = ["*"]\n', "api.allowed_hosts: Value error, '*' trusts every"),
        ('[api]\npublic_url = "http:///screen"\n', "api.public_url"),
        ("[api]\nmax_body_bytes = 10\n", "api.max_body_bytes"),
    ],
)
def test_bad_key_is_named(tmp_path: Path, text: str, named: str) -> None:
    conf = tmp_path / "h.toml"
    conf.write_text(text)
    with pytest.raises(SettingsError) as err:
        load_settings(conf)
    assert named in str(err.value) and str(conf) in str(err.value)


def test_missing_credentials_say_which_keys(tmp_path: Path) -> None:
    conf = tmp_path / "h.toml"
    conf.write_text("")
    with pytest.raises(SettingsError, match=r"api\.mqtt\.username"):
        require_credentials(load_settings(conf).api.mqtt, "api")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="no such config file"):
        load_settings(tmp_path / "nope.toml")


# Weak secrets an attacker tries first, or that a careless set-up leaves behind.
WEAK = ["x", "admin", "12345678", "${COLLECTOR_MQTT_PASSWORD}", "$API_MQTT_PASSWORD",
        " " * 24, "a" * 24, "changeme-changeme-changeme", "password1234567890",
        "<your-token-here-123456789>"]
# Every setting that holds a secret, as a TOML snippet with {} for the value.
SECRETS = {
    "collector.mqtt.password": '[collector.mqtt]\nusername = "c"\npassword = "{}"\n',
    "api.mqtt.password": '[api.mqtt]\nusername = "api"\npassword = "{}"\n',
    "broker.homeassistant.password":
        '[broker.homeassistant]\nusername = "ha"\npassword = "{}"\n',
    "influx.password": '[influx]\nusername = "hubsense"\npassword = "{}"\n',
    "api.tokens.0.token": '[[api.tokens]]\nname = "t"\nscopes = ["nodes:read"]\ntoken = "{}"\n',
}


@pytest.mark.parametrize("key", sorted(SECRETS))
@pytest.mark.parametrize("weak", WEAK)
def test_weak_secrets_are_refused_by_name(tmp_path: Path, key: str, weak: str) -> None:
    conf = tmp_path / "h.toml"
    conf.write_text(SECRETS[key].format(weak))
    with pytest.raises(SettingsError) as err:
        load_settings(conf)
    assert key in str(err.value)
    if len(weak.strip()) > 3:
        assert weak not in str(err.value), "the error must not repeat the secret"


@pytest.mark.parametrize("key", sorted(SECRETS))
def test_generated_secrets_pass(tmp_path: Path, key: str) -> None:
    conf = tmp_path / "h.toml"
    conf.write_text(SECRETS[key].format(new_secret()))
    load_settings(conf)


@pytest.mark.parametrize("host", ["192.168.1.10", "mosquitto", "hub.example.org"])
def test_plain_mqtt_is_refused_off_loopback(tmp_path: Path, host: str) -> None:
    conf = tmp_path / "h.toml"
    conf.write_text(f'[mqtt]\nhost = "{host}"\nport = 1883\n')
    with pytest.raises(SettingsError, match="without TLS"):
        load_settings(conf)
    conf.write_text(f'[mqtt]\nhost = "{host}"\nport = 8883\ntls = true\n')
    assert load_settings(conf).mqtt.tls


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_plain_mqtt_is_fine_on_loopback(tmp_path: Path, host: str) -> None:
    conf = tmp_path / "h.toml"
    conf.write_text(f'[mqtt]\nhost = "{host}"\n')
    assert not load_settings(conf).mqtt.tls


def test_allowed_hosts_are_matched_as_a_host_header_names_them(tmp_path: Path) -> None:
    conf = tmp_path / "h.toml"
    conf.write_text('[api]\nallowed_hosts = ["Hub.Example", "::1", "*.hub.example", "10.0.0.5"]\n')
    api = load_settings(conf).api
    assert api.allowed_hosts == ["hub.example", "[::1]", "*.hub.example", "10.0.0.5"]
    assert (api.access_log, api.max_body_bytes) == (False, 65536)
