"""A small client for InfluxDB's v1 HTTP API: line protocol writes, InfluxQL queries.

Why our own: `influxdb-client` speaks only /api/v2, which the InfluxDB 1.x
that runs here does not have, and the v1 `influxdb` package is archived. The
v1 API (`/write`, `/query`) is served by InfluxDB 1.x, 2.x and 3.x alike.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from hubsense.settings import InfluxSettings

_MEAS_ESC = str.maketrans({",": r"\,", " ": r"\ ", "\n": r"\n"})
_TAG_ESC = str.maketrans({",": r"\,", " ": r"\ ", "=": r"\=", "\n": r"\n"})
_STR_ESC = str.maketrans({'"': r"\"", "\\": r"\\"})

FieldValue = bool | int | float | str
_DROPPED = re.compile(r"dropped=(\d+)")


@dataclass(frozen=True, slots=True)
class Point:
    measurement: str
    tags: Mapping[str, str]
    fields: Mapping[str, FieldValue]
    time_ms: int

    def line(self) -> str:
        """Render as one line of line protocol (ms precision)."""
        tags = "".join(
            f",{k.translate(_TAG_ESC)}={v.translate(_TAG_ESC)}"
            for k, v in sorted(self.tags.items()) if v != ""
        )
        fields = ",".join(f"{k.translate(_TAG_ESC)}={_field(v)}" for k, v in self.fields.items())
        return f"{self.measurement.translate(_MEAS_ESC)}{tags} {fields} {self.time_ms}"


def _field(v: FieldValue) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return f"{v}i"
    if isinstance(v, float):
        return repr(v)
    return '"' + v.translate(_STR_ESC) + '"'


class InfluxError(Exception):
    """A failed request; `retryable` says whether trying again can help."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable

    @property
    def missing(self) -> bool:
        """The database or retention policy does not exist (yet): nothing written so far."""
        text = str(self)
        return "database not found" in text or "retention policy not found" in text

    @property
    def partial(self) -> bool:
        """A write of which the valid points were kept; `refused` says how many were not."""
        return "partial write" in str(self)

    @property
    def refused(self) -> int:
        """Points of a partial write that InfluxDB did not keep (unparseable, or dropped)."""
        text = str(self)
        m = _DROPPED.search(text)
        return text.count("unable to parse '") + (int(m[1]) if m else 0)


@dataclass
class Series:
    name: str
    columns: list[str]
    values: list[list[Any]]
    tags: dict[str, str] = field(default_factory=dict)

    def rows(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, v, strict=True)) for v in self.values]


class InfluxV1:
    """Talks to one database over the v1 HTTP API."""

    def __init__(self, cfg: InfluxSettings) -> None:
        self.cfg = cfg
        auth = None
        if cfg.username and cfg.password:
            auth = (cfg.username, cfg.password.get_secret_value())
        self._http = httpx.Client(base_url=cfg.url, auth=auth, timeout=cfg.timeout_s)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> InfluxV1:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def ping(self) -> bool:
        try:
            return self._http.get("/ping").status_code == 204
        except httpx.HTTPError:
            return False

    def create_database(self) -> None:
        # CREATE DATABASE is idempotent; the name is validated by settings.
        self._post_query(f'CREATE DATABASE "{self.cfg.database}"', db=None)

    def write_lines(self, body: bytes | str, rp: str | None = None,
                    precision: str = "ms") -> None:
        """Write line protocol (ms precision unless said), into retention policy `rp`."""
        params = {"db": self.cfg.database, "precision": precision}
        if rp is not None:
            params["rp"] = rp
        try:
            r = self._http.post("/write", params=params, content=body)
        except httpx.HTTPError as exc:
            raise InfluxError(f"cannot write to {self.cfg.url}: {_why(exc)}",
                              retryable=True) from exc
        if r.status_code == 204:
            return
        # 4xx: the points are bad (a retry sends the same bad points); 5xx: server trouble.
        raise InfluxError(f"write answered {r.status_code}: {r.text.strip()[:300]}",
                          retryable=r.status_code >= 500 or r.status_code == 429)

    def write(self, points: Iterable[Point], rp: str | None = None) -> None:
        body = "\n".join(p.line() for p in points)
        if body:
            self.write_lines(body, rp)

    def query(self, q: str, params: Mapping[str, Any] | None = None,
              epoch: str = "ms") -> list[Series]:
        """Run one InfluxQL SELECT/SHOW with bound parameters ($name in q)."""
        args: dict[str, str] = {"db": self.cfg.database, "q": q, "epoch": epoch}
        if params:
            args["params"] = json.dumps(dict(params))
        try:
            r = self._http.get("/query", params=args)
        except httpx.HTTPError as exc:
            raise InfluxError(f"cannot query {self.cfg.url}: {_why(exc)}",
                              retryable=True) from exc
        return _series(r)

    def execute(self, q: str) -> list[Series]:
        """Run a statement that changes the database (CREATE, DROP, DELETE) by POST."""
        return self._post_query(q, db=self.cfg.database)

    def _post_query(self, q: str, db: str | None) -> list[Series]:
        data = {"q": q} if db is None else {"q": q, "db": db}
        try:
            r = self._http.post("/query", data=data)
        except httpx.HTTPError as exc:
            raise InfluxError(f"cannot query {self.cfg.url}: {_why(exc)}",
                              retryable=True) from exc
        return _series(r)


def _why(exc: httpx.HTTPError) -> str:
    """What went wrong, in words: `ConnectError('[Errno 111] Connection refused')` →
    "connection refused (ConnectError)"."""
    text = str(exc).split("] ", 1)[-1] or type(exc).__name__
    return f"{text.lower()} ({type(exc).__name__})"


def _series(r: httpx.Response) -> list[Series]:
    try:
        body = r.json()
    except ValueError:
        raise InfluxError(f"query answered {r.status_code}: {r.text[:300]}",
                          retryable=r.status_code >= 500) from None
    if "error" in body:
        raise InfluxError(f"query error: {body['error']}", retryable=False)
    out: list[Series] = []
    for result in body.get("results", []):
        if "error" in result:
            raise InfluxError(f"query error: {result['error']}", retryable=False)
        for s in result.get("series", []):
            # SHOW statements answer series without a name, and empty ones without values.
            out.append(Series(s.get("name", ""), s.get("columns", []), s.get("values") or [],
                              s.get("tags") or {}))
    return out
