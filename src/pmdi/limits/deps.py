from __future__ import annotations

from starlette.requests import HTTPConnection

from pmdi.auth.deps import has_credentials
from pmdi.core.deps import StateDep, client_ip
from pmdi.limits.service import limit_address


async def limit_anonymous(connection: HTTPConnection, state: StateDep) -> None:
    """On the whole API: requests without credentials count against their address. Requests with
    credentials are counted per user once authenticated, or per address when that fails (auth.deps)."""
    if connection.scope["type"] == "http" and not has_credentials(connection):
        await limit_address(state, client_ip(connection))
