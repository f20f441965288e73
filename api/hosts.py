"""Which Host headers the API answers: the screen's QR code is built from the host.

Starlette's TrustedHostMiddleware refuses (400) any other Host, so a forged
header never reaches a link, the QR code or a cache. The health probe is left
out of the check: it answers a constant and links nowhere, and a container or
cluster probe may come with whatever Host its runtime picks.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from hubsense.settings import ApiSettings


def trusted_hosts(api: ApiSettings) -> list[str]:
    """api.allowed_hosts and the host of api.public_url, as a Host header names them."""
    hosts = list(api.allowed_hosts)
    public = urlsplit(api.public_url).hostname if api.public_url else None
    if public:
        hosts.append(f"[{public}]" if ":" in public else public)
    return hosts


class TrustedHosts:
    """TrustedHostMiddleware for every path but those in `exempt`."""

    def __init__(self, app: ASGIApp, hosts: list[str], exempt: tuple[str, ...] = ()) -> None:
        self.app = app
        self.checked = TrustedHostMiddleware(app, allowed_hosts=hosts, www_redirect=False)
        self.exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] in self.exempt:
            await self.app(scope, receive, send)
        else:
            await self.checked(scope, receive, send)
