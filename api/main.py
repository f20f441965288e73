"""The hubsense API and visitor screen: wiring of routers, state and the MQTT feed."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.changes import Changes
from api.live import LiveState
from api.routes import screen, stream, zones
from api.routes.screen import STATIC
from api.subscriber import StateSubscriber
from hubsense.layout import Layout, load_layout
from hubsense.settings import Settings

log = logging.getLogger(__name__)


def create_app(settings: Settings, layout: Layout) -> FastAPI:
    """Build the app; its lifespan owns the MQTT subscriber that feeds the state."""
    live = LiveState(layout)
    changes = Changes()
    live.on_change(changes.notify_threadsafe)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        changes.bind(asyncio.get_running_loop())
        subscriber = StateSubscriber(settings, live)
        subscriber.start()
        try:
            yield
        finally:
            subscriber.stop()

    app = FastAPI(
        title="hubsense",
        summary="Live free zones, desks and noise of an innovation hub",
        version="1.0.0",
        lifespan=lifespan,
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.layout = layout
    app.state.live = live
    app.state.changes = changes
    for module in (zones, stream, screen):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


def run(settings: Settings) -> None:
    """Serve the API on settings.api.host:port until interrupted."""
    layout = load_layout(settings.layout)
    app = create_app(settings, layout)
    # Open event streams would otherwise hold a shutdown for ever.
    uvicorn.run(app, host=settings.api.host, port=settings.api.port,
                timeout_graceful_shutdown=2, ws="none", log_level="info")
