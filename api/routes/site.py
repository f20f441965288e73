"""The floor plan the screen draws: site size, zone shapes and names, desk positions."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import LayoutDep, SettingsDep
from api.models import DeskPlan, SitePublic, ZonePlan

router = APIRouter(prefix="/site", tags=["site"])


@router.get("", summary="The site's floor plan and the screen's default language")
def get_site(layout: LayoutDep, settings: SettingsDep) -> SitePublic:
    """Publish the layout's public part only: no nodes, no inputs."""
    s = layout.site
    return SitePublic(
        id=s.id, name=s.name, width=s.width, height=s.height, language=settings.api.language,
        zones=[ZonePlan(id=z.id, name=z.name, kind=z.kind, capacity=z.capacity, shape=z.shape)
               for z in layout.zones],
        desks=[DeskPlan(id=d.id, zone=d.zone, position=d.position) for d in layout.desks],
    )
