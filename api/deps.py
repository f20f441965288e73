"""Dependencies the routes share: the live state, the layout and the settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.changes import Changes
from api.live import LiveState
from hubsense.layout import Layout
from hubsense.settings import Settings


def get_live(request: Request) -> LiveState:
    live: LiveState = request.app.state.live
    return live


def get_changes(request: Request) -> Changes:
    changes: Changes = request.app.state.changes
    return changes


def get_layout(request: Request) -> Layout:
    layout: Layout = request.app.state.layout
    return layout


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


LiveDep = Annotated[LiveState, Depends(get_live)]
ChangesDep = Annotated[Changes, Depends(get_changes)]
LayoutDep = Annotated[Layout, Depends(get_layout)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
