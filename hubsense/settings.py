"""The one typed configuration of a hubsense deployment, loaded in one place.

Sources, later ones winning: defaults, a TOML file (`--config` or
HUBSENSE_CONFIG), then environment variables such as HUBSENSE_MQTT__PORT.
Unknown or misspelt keys are an error that names the key.
"""

from __future__ import annotations

import ipaddress
import os
import re
from datetime import date
from pathlib import Path
from typing import Any, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from hubsense.layout import ZoneKind
from hubsense.passwords import MIN_TOKEN, check_secret


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


def is_loopback(host: str) -> bool:
    """True for a host that cannot be reached from the network (plain text is fine there)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class MqttSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(default=1883, ge=1, le=65535)
    keepalive_s: int = Field(default=30, ge=5, le=600)
    tls: bool = Field(default=False, description="connect with TLS (required off loopback)")
    ca_file: Path | None = Field(default=None, description="the site CA that signed the "
                                 "broker's certificate (`hubsense tls init`); default: the "
                                 "system's CAs")

    @model_validator(mode="after")
    def _tls_off_loopback(self) -> Self:
        # Passwords cross the network in every CONNECT: never in clear text.
        if not self.tls and not is_loopback(self.host):
            raise ValueError(f"MQTT to {self.host} without TLS: set mqtt.tls = true and "
                             f"mqtt.port to the broker's TLS port (8883); plain MQTT is "
                             f"for loopback only")
        if self.ca_file is not None and not self.tls:
            raise ValueError("mqtt.ca_file is set but mqtt.tls is not")
        return self


class InfluxSettings(_Section):
    url: str = "http://127.0.0.1:8086"
    database: str = Field(default="hubsense", pattern=r"^[A-Za-z0-9_-]{1,64}$")
    username: str | None = None
    password: SecretStr | None = None
    timeout_s: float = Field(default=10.0, gt=0)
    raw_retention_days: int | None = Field(
        default=None, ge=7, le=36500, description="how long raw observations are kept "
        "(none: as InfluxDB keeps them, forever by default); rollups are kept for good")

    @field_validator("password")
    @classmethod
    def _strong(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None:
            check_secret(v.get_secret_value())
        return v


class Credentials(_Section):
    """MQTT login of one service instance; weak or placeholder passwords are refused.

    The broker makes the login the client id (deploy/broker.py): two running
    instances need two logins.
    """

    username: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    password: SecretStr

    @field_validator("password")
    @classmethod
    def _strong(cls, v: SecretStr) -> SecretStr:
        check_secret(v.get_secret_value())
        return v


class CollectorSettings(_Section):
    mqtt: Credentials | None = None
    state_mqtt: Credentials | None = Field(
        default=None, description="in a share group, the live-state owner's second login, "
                                  "for its view of the whole stream (collector/sharing.py)")
    batch_size: int = Field(default=5000, ge=1, le=100_000)
    flush_interval_s: float = Field(default=0.2, gt=0, le=60)
    evaluate_interval_s: float = Field(default=1.0, gt=0, le=60)
    heartbeat_s: float = Field(default=30.0, ge=1, le=300,
                               description="the collector's own heartbeat, on MQTT and in "
                                           "InfluxDB: without it for state.stale_factor beats, "
                                           "it counts as down")
    spool_dir: Path = Path(".hubsense/spool")
    spool_max_mb: int = Field(default=512, ge=1)
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    metrics_host: str = Field(default="127.0.0.1", description="where /metrics listens; in "
                              "docker-compose every interface of the collector's container")
    # Several collectors share node traffic through `$share/<group>/…`; see
    # collector/sharing.py for who owns live state then.
    share_group: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{1,64}$")
    live_state: bool = Field(default=True, description="own live state, visits, node status "
                             "and discovery: exactly one collector of a share group")
    ha_discovery: bool = Field(default=True, description="Home Assistant MQTT discovery")
    ha_prefix: str = Field(default="homeassistant", pattern=r"^[A-Za-z0-9_-]{1,64}$")

    @model_validator(mode="after")
    def _state_login(self) -> Self:
        if self.share_group and self.live_state and self.state_mqtt is None:
            raise ValueError("the live-state owner of a share group needs collector.state_mqtt, "
                             "a second login for its whole-stream connection")
        if (self.state_mqtt is not None and self.mqtt is not None
                and self.state_mqtt.username == self.mqtt.username):
            raise ValueError("collector.state_mqtt must be another login than collector.mqtt: "
                             "the broker allows one connection per login")
        return self


class BrokerSettings(_Section):
    """Logins the broker has besides the services' own (`hubsense broker render`)."""

    homeassistant: Credentials | None = Field(
        default=None, description="Home Assistant's read-only login: discovery, live state "
                                  "and the collector's status")


class FleetSettings(_Section):
    """Node provisioning and updates (`hubsense node …`, `hubsense ota …`, docs/deploy.md).

    The files it names hold a site's node secrets: keep them where only the
    operator reads them (deploy/secrets/ in docker-compose)."""

    mqtt: Credentials | None = Field(
        default=None, description="the fleet login: offers updates to nodes and clears a "
                                  "removed node's retained topics (docs/security.md)")
    node_logins: Path = Field(default=Path("deploy/secrets/nodes.passwd"),
                              description="node logins, hashed: the broker and the API "
                                          "check nodes against them")
    node_keys: Path = Field(default=Path("deploy/secrets/node-keys.json"),
                            description="each node's update key; read by the fleet commands "
                                        "only, never by a service")
    wifi_file: Path = Field(default=Path("deploy/secrets/wifi.json"),
                            description="the site's Wi-Fi for nodes: {\"ssid\", \"password\"}")
    tls_dir: Path = Field(default=Path("deploy/secrets/tls"),
                          description="the site CA's directory (nodes get its ca.der)")
    bundles_dir: Path = Field(default=Path("deploy/secrets/bundles"),
                              description="flashable bundles, one directory per node")
    releases_dir: Path = Field(default=Path(".hubsense/releases"),
                               description="update releases; the API serves them to nodes")
    broker_host: str | None = Field(default=None, description="the broker as nodes reach "
                                    "it (default mqtt.host)")
    broker_port: int | None = Field(default=None, ge=1, le=65535,
                                    description="default: mqtt.port")
    server_name: str | None = Field(default=None, description="the name nodes check on the "
                                    "broker's certificate (default: broker_host)")
    api_url: str | None = Field(default=None, pattern=r"^https?://[^/?#@]+$",
                                description="where nodes download updates (the API, e.g. "
                                            "https://hub.example.org); none: no updates")
    ntp: str | None = Field(default=None, description="the NTP server nodes use "
                            "(default pool.ntp.org)")
    rollback_s: int = Field(default=120, ge=10, le=3600,
                            description="a new firmware not online by then rolls back")
    arch: str = Field(default="xtensawin", description="mpy-cross -march of the boards "
                      "(xtensawin: ESP32)")
    broker_dir: Path | None = Field(
        default=None, description="a broker on this host whose password file hubsense "
                                  "rewrites and reloads (SIGHUP) itself: the local stack's; "
                                  "without it, node commands print the docker-compose steps")


class StaffToken(_Section):
    """A bearer token for the staff API and what it may read."""

    name: str = Field(min_length=1, max_length=64, description="who holds it, for the logs")
    token: SecretStr
    # nodes:read: node health; reports:read: reports and the event list;
    # events:write: register and delete events; checks:write: record headcounts.
    scopes: list[Literal["nodes:read", "reports:read", "events:write", "checks:write"]] = Field(
        min_length=1)

    @field_validator("token")
    @classmethod
    def _strong(cls, v: SecretStr) -> SecretStr:
        check_secret(v.get_secret_value(), MIN_TOKEN)
        return v


class ApiSettings(_Section):
    mqtt: Credentials | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    language: str = Field(default="en", pattern=r"^(en|sv)$")
    public_url: str | None = Field(default=None, pattern=r"^https?://[^/?#:@]",
                                   description="what the screen's QR code opens; "
                                               "default: the address the screen was loaded from")
    cors_origins: list[str] = []
    rate_limit_per_min: int = Field(default=600, ge=0, le=1_000_000,
                                    description="requests per client on public routes; 0: off")
    trusted_proxies: list[str] = Field(
        default=[], description="addresses (or CIDR networks) of reverse proxies whose "
                                "X-Forwarded-For names the client; none: the peer address")
    tokens: list[StaffToken] = []
    max_body_bytes: int = Field(default=64 * 1024, ge=1024, le=64 * 1024 * 1024,
                                description="larger request bodies are refused (413) while "
                                            "they are read")
    allowed_hosts: list[str] = Field(
        default=["localhost", "127.0.0.1", "[::1]"],
        description="Host headers the API answers (400 otherwise); the host of public_url is "
                    "always allowed; '*.example.org' matches its subdomains")
    access_log: bool = Field(default=False, description="log method, path without query, "
                                                        "status and duration; never the client")
    feedback_cooldown_s: int = Field(default=600, ge=0, le=86_400,
                                     description="a client's feedback on a zone counts once per "
                                                 "this many seconds; 0: no cooldown")

    @field_validator("allowed_hosts")
    @classmethod
    def _host_names(cls, v: list[str]) -> list[str]:
        out = []
        for host in v:
            name = host.strip().lower()
            if re.fullmatch(r"\[?[0-9a-f.]*(:[0-9a-f.]*){2,}\]?", name):
                name = f"[{name.strip('[]')}]"  # an IPv6 literal, bracketed as in a Host header
            elif name == "*":  # any Host would be trusted into the QR code again
                raise ValueError("'*' trusts every Host header; list the names instead")
            elif not re.fullmatch(r"(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?"
                                  r"(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*", name):
                raise ValueError(f"{host!r} is not a host name (no scheme, port or path)")
            out.append(name)
        return out


class ConsoleSettings(_Section):
    """The staff console at /staff: its accounts, sessions and sign-in limits."""

    users_file: Path = Field(default=Path(".hubsense/staff-users.json"),
                             description="staff accounts (`hubsense user add`), owner-only")
    idle_timeout_s: int = Field(default=1800, ge=60, le=86_400,
                                description="a session unused this long is signed out")
    session_max_h: float = Field(default=12.0, gt=0, le=24 * 30,
                                 description="a session ends this long after sign-in, used or not")
    secure_cookie: Literal["auto", "always", "never"] = Field(
        default="auto", description="Secure session cookie: auto when the request came over "
                                    "HTTPS (behind a proxy in api.trusted_proxies: its "
                                    "X-Forwarded-Proto)")
    max_failures: int = Field(default=5, ge=1, le=1000,
                              description="failed sign-ins per username, and per client, "
                                          "before further tries wait")
    failure_window_s: int = Field(default=900, ge=10, le=86_400,
                                  description="how long a failed sign-in counts")
    max_sessions: int = Field(default=1000, ge=1, le=100_000,
                              description="sessions held at once; the idlest goes first")
    typical_weeks: int = Field(default=4, ge=1, le=26,
                               description="same weekdays a typical day is the mean of")
    low_heap_bytes: int = Field(default=20_000, ge=0, le=10_000_000,
                                description="a node with less free heap is an alert")


class StateSettings(_Section):
    filling: float = Field(default=0.6, gt=0, le=1)
    lively_db: float = Field(default=55.0, ge=0, le=140)
    loud_db: float = Field(default=70.0, ge=0, le=140)
    stale_factor: float = Field(default=2.5, ge=1, le=20)


_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# LAeq a zone of each kind should stay at or under in opening hours, dB(A), from what
# the kind is for: focus work in quiet zones and at desks (open-plan guidance puts
# concentration at 40-45 dB(A) of background), talk in meeting areas and the lounge,
# lively conversation in buzz zones (state.lively_db is 55) short of shouting, and an
# entrance that only has to stay bearable.
NOISE_TARGETS: dict[ZoneKind, int] = {
    ZoneKind.QUIET_ZONE: 45, ZoneKind.DESK_AREA: 50, ZoneKind.MEETING_AREA: 60,
    ZoneKind.LOUNGE: 60, ZoneKind.BUZZ_ZONE: 65, ZoneKind.ENTRANCE: 70}
_OPEN_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


class ReportSettings(_Section):
    """The calendar reports count in, and the thresholds that flag a zone."""

    timezone: str | None = Field(default=None, description="default: the layout's site timezone")
    # Weekday -> "HH:MM-HH:MM" in local time; a weekday not listed is closed.
    opening_hours: dict[str, str] = {d: "08:00-18:00" for d in _WEEKDAYS[:5]}
    holidays: list[date] = []
    underused_below: float = Field(default=0.15, ge=0, le=1,
                                   description="mean occupancy / capacity in opening hours")
    overused_above: float = Field(default=0.85, ge=0, le=2,
                                  description="mean occupancy / capacity in opening hours")
    min_known_share: float = Field(default=0.5, ge=0, le=1,
                                   description="below this share of known time: no flag")
    max_range_days: int = Field(default=400, ge=1, le=3700)
    rollup_lookback_h: int = Field(default=48, ge=1, le=24 * 31,
                                   description="hours re-rolled for late data")
    earlier_layouts: list[Path] = Field(
        default=[], description="earlier versions of the layout, each with its version and "
                                "effective_from: rollups use the one in force, compare sets two "
                                "side by side")
    noise_targets: dict[ZoneKind, int] = Field(
        default=NOISE_TARGETS, description="per zone kind, the LAeq in dB(A) (whole dB) a zone "
                                           "should stay at or under in opening hours; kinds "
                                           "not given keep their default")
    accuracy_tolerance: int = Field(default=1, ge=0, le=1000,
                                    description="a sensor figure within this many people of a "
                                                "headcount counts as right")

    @field_validator("noise_targets")
    @classmethod
    def _targets(cls, v: dict[ZoneKind, int]) -> dict[ZoneKind, int]:
        for kind, db in v.items():
            if not 20 <= db <= 120:
                raise ValueError(f"{kind}: {db} dB(A) is not a target between 20 and 120")
        return {**NOISE_TARGETS, **v}

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                ZoneInfo(v)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {v!r}") from None
        return v

    @field_validator("opening_hours")
    @classmethod
    def _hours(cls, v: dict[str, str]) -> dict[str, str]:
        for day, span in v.items():
            if day not in _WEEKDAYS:
                raise ValueError(f"{day!r} is not one of {', '.join(_WEEKDAYS)}")
            m = _OPEN_RE.match(span)
            if not m or (m[1], m[2]) >= (m[3], m[4]):
                raise ValueError(f"{day}: {span!r} is not an opening span like '08:00-17:30'")
        return v


_config_file: str | None = None  # set only while load_settings() builds a Settings


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="HUBSENSE_", env_nested_delimiter="__", extra="forbid",
    )

    layout: Path = Path("config/layout.yaml")
    layout_watch_s: float = Field(default=2.0, ge=0, le=3600,
                                  description="how often the services look for a changed "
                                              "layout file (0: never; restart to take one)")
    mqtt: MqttSettings = MqttSettings()
    influx: InfluxSettings = InfluxSettings()
    state: StateSettings = StateSettings()
    collector: CollectorSettings = CollectorSettings()
    broker: BrokerSettings = BrokerSettings()
    api: ApiSettings = ApiSettings()
    fleet: FleetSettings = FleetSettings()
    report: ReportSettings = ReportSettings()
    console: ConsoleSettings = ConsoleSettings()

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = _config_file or os.environ.get("HUBSENSE_CONFIG")
        if path:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)


class SettingsError(ValueError):
    """Configuration that cannot be used; the message names the key."""


def load_settings(path: str | Path | None = None, **overrides: Any) -> Settings:
    """Load settings from defaults, the TOML file and the environment."""
    global _config_file
    if path is None:
        path = os.environ.get("HUBSENSE_CONFIG")
    if path is not None and not Path(path).is_file():
        raise SettingsError(f"{path}: no such config file")
    _config_file = str(path) if path is not None else None
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        where = _config_file or "environment"
        lines = [
            f"{where}: {'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        ]
        raise SettingsError("\n".join(lines)) from None
    finally:
        _config_file = None


def require_credentials(creds: Credentials | None, section: str) -> Credentials:
    """Return a service's MQTT login, or say which keys are missing."""
    if creds is None:
        raise SettingsError(
            f"{section}.mqtt.username and {section}.mqtt.password must be set "
            f"(config file or HUBSENSE_{section.upper()}__MQTT__PASSWORD)"
        )
    return creds
