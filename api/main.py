"""The hubsense API and visitor screen: wiring of routers, state and the MQTT feed."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import uvicorn
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline

from api.accesslog import AccessLog
from api.bodylimit import BodyLimit
from api.changes import Changes
from api.cooldown import Cooldown
from api.hosts import TrustedHosts, trusted_hosts
from api.live import LiveState
from api.models import Message
from api.nodeauth import NodeLogins
from api.ratelimit import RateLimit
from api.routes import (
    PREFIX,
    checks,
    console,
    desks,
    events,
    feedback,
    health,
    nodes,
    ota,
    reports,
    screen,
    site,
    stream,
    zones,
)
from api.routes.screen import STATIC
from api.sessions import Sessions, SignInLimit
from api.subscriber import StateSubscriber
from api.validation import document_validation_errors, invalid_request
from hubsense.accounts import Accounts
from hubsense.influx import InfluxError, InfluxV1
from hubsense.layout import Layout, LayoutError, load_layout
from hubsense.layouts import LayoutWatch
from hubsense.releases import ReleaseStore
from hubsense.settings import Settings
from hubsense.state import Thresholds
from reports.feedback import FeedbackCounts
from reports.hours import ReportRangeError
from reports.versions import load_versions

log = logging.getLogger(__name__)

HEALTH = f"{PREFIX}/health"


def create_app(settings: Settings, layout: Layout) -> FastAPI:
    """Build the app; its lifespan owns the MQTT subscriber that feeds the state."""
    live = LiveState(layout, Thresholds.of(settings.state))
    changes = Changes()
    live.on_change(changes.notify_threadsafe)
    # Built here, not in the lifespan: missing credentials fail before uvicorn starts.
    subscriber = StateSubscriber(settings, live)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        changes.bind(asyncio.get_running_loop())
        app.state.influx = InfluxV1(settings.influx)  # the report routes' one client
        app.state.feedback = FeedbackCounts(app.state.influx, layout.site.id)
        subscriber.start()
        ticker = asyncio.create_task(_tick(live))
        watch = (LayoutWatch(settings.layout, lambda lay: _use_layout(app, lay),
                             settings.layout_watch_s).start()
                 if settings.layout_watch_s else None)
        try:
            yield
        finally:
            if watch:
                watch.stop()
            ticker.cancel()
            subscriber.stop()
            app.state.influx.close()

    # Swagger UI from the fastapi-offline package, not a CDN: nothing is fetched at run time.
    app = FastAPIOffline(
        title="hubsense",
        summary="Live free zones, desks and noise of an innovation hub",
        version="1.0.0",
        lifespan=lifespan,
        openapi_url=f"{PREFIX}/openapi.json",
        docs_url=f"{PREFIX}/docs",
        redoc_url=None,
        static_url=f"{PREFIX}/docs/static",
        responses={429: {"model": Message,
                         "description": "too many requests from this client; see Retry-After"}},
    )
    app.state.settings = settings
    app.state.layout = layout
    # Read once, at start: a bad earlier layout fails here, naming its file, not as a 500.
    app.state.versions = load_versions(layout, settings)
    app.state.live = live
    app.state.changes = changes
    app.state.cooldown = Cooldown(settings.api.feedback_cooldown_s)
    app.state.accounts = Accounts(settings.console.users_file)
    app.state.sessions = Sessions(settings.console)
    app.state.signins = SignInLimit(settings.console)
    app.state.releases = ReleaseStore(settings.fleet.releases_dir)
    app.state.node_logins = NodeLogins(settings.fleet.node_logins)
    v1 = APIRouter(prefix=PREFIX)
    for module in (zones, desks, site, stream, nodes, ota, reports, events, checks, feedback,
                   health):
        v1.include_router(module.router)
    app.include_router(v1)
    app.include_router(screen.router)
    app.include_router(console.router)
    app.add_exception_handler(ReportRangeError, _bad_request)
    app.add_exception_handler(InfluxError, _influx_down)
    app.add_exception_handler(RequestValidationError, invalid_request)
    # Each add_middleware wraps the ones before it: the last added sees a request first.
    app.add_middleware(BodyLimit, max_bytes=settings.api.max_body_bytes)
    if settings.api.rate_limit_per_min:
        app.add_middleware(RateLimit, per_minute=settings.api.rate_limit_per_min,
                           exempt=(HEALTH,))  # liveness probes are never refused
    app.add_middleware(TrustedHosts, hosts=trusted_hosts(settings.api), exempt=(HEALTH,))
    if settings.api.cors_origins:  # outside the limits: a 429 or 413 carries CORS headers too
        app.add_middleware(CORSMiddleware, allow_origins=settings.api.cors_origins,
                           allow_methods=["GET"], allow_headers=["Authorization"],
                           expose_headers=["Retry-After"])
    if settings.api.access_log:  # outermost: every answer is logged, refusals too
        app.add_middleware(AccessLog)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    document_validation_errors(app)
    return app


def _use_layout(app: FastAPI, layout: Layout) -> None:
    """A new layout version, applied: the plan, the live state and the versions."""
    if layout.site.id != app.state.layout.site.id:
        log.error("layout for site %s ignored: this API serves site %s", layout.site.id,
                  app.state.layout.site.id)
        return
    try:
        versions = load_versions(layout, app.state.settings)
    except LayoutError as exc:
        log.error("layout version %d not used: %s", layout.version, exc)
        return
    app.state.versions = versions
    app.state.layout = layout
    app.state.live.use_layout(layout)


async def _bad_request(_request: Request, exc: Exception) -> JSONResponse:
    """A report range too large or a bad period: 400 with the message, never 500."""
    return JSONResponse({"detail": str(exc)}, status_code=400)


async def _influx_down(_request: Request, exc: Exception) -> JSONResponse:
    log.warning("InfluxDB: %s", exc)
    return JSONResponse({"detail": "InfluxDB did not answer; try again later"}, status_code=503)


# How often the API re-decides with the clock whether the collector is alive.
TICK_S = 2.0


async def _tick(live: LiveState) -> None:
    """Let time change what the screens show: a collector's heartbeat going old."""
    while True:
        await asyncio.sleep(TICK_S)
        live.tick()


class Server(uvicorn.Server):
    """uvicorn that ends the event streams first when asked to stop.

    Otherwise every open screen would hold the graceful shutdown until it times out.
    """

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        app = self.config.app
        if isinstance(app, FastAPI):
            app.state.changes.close()
        await super().shutdown(sockets)


def server(app: FastAPI, host: str, port: int, log_level: str = "info",
           tls: tuple[Path, Path] | None = None) -> Server:
    """Build the uvicorn server for `app` (used by `run` and the tests).

    `tls`: (certificate, key) to serve HTTPS itself, as the tests do for nodes'
    downloads; deployed, the proxy in front of it speaks HTTPS (docs/deploy.md)."""
    # Behind a reverse proxy every visitor would share the proxy's address and
    # rate limit; trust X-Forwarded-For only from the configured proxies.
    proxies = app.state.settings.api.trusted_proxies
    # uvicorn's access log would keep every client's address and query string: off, always
    # (api.access_log turns on api/accesslog.py instead).
    return Server(uvicorn.Config(app, host=host, port=port, log_level=log_level, ws="none",
                                 timeout_graceful_shutdown=3, proxy_headers=bool(proxies),
                                 forwarded_allow_ips=proxies or None, access_log=False,
                                 ssl_certfile=tls[0] if tls else None,
                                 ssl_keyfile=tls[1] if tls else None))


def run(settings: Settings, tls: tuple[Path, Path] | None = None) -> None:
    """Serve the API on settings.api.host:port until interrupted (HTTPS with `tls`)."""
    app = create_app(settings, load_layout(settings.layout))
    server(app, settings.api.host, settings.api.port, tls=tls).run()
