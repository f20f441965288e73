"""Configuration: one typed model; misspelt keys and placeholder secrets are refused by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from hubsense.settings import SettingsError, load_settings, require_credentials


def test_file_then_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    conf = tmp_path / "h.toml"
    conf.write_text(
        '[mqtt]\nport = 1999\n[collector.mqtt]\nusername = "c"\npassword = "s3cr3t-x"\n'
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


def test_allowed_hosts_are_matched_as_a_host_header_names_them(tmp_path: Path) -> None:
    conf = tmp_path / "h.toml"
    conf.write_text('[api]\nallowed_hosts = ["Hub.Example", "::1", "*.hub.example", "10.0.0.5"]\n')
    api = load_settings(conf).api
    assert api.allowed_hosts == ["hub.example", "[::1]", "*.hub.example", "10.0.0.5"]
    assert (api.access_log, api.max_body_bytes) == (False, 65536)
