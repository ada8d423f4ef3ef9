from __future__ import annotations

from typing import Annotated

from fastapi import Header

from pmdi.auth.secrets import constant_time_equals
from pmdi.core.deps import StateDep
from pmdi.observability.errors import MetricsDisabled, MetricsTokenRequired


async def authorize_scrape(state: StateDep, authorization: Annotated[str | None, Header()] = None) -> None:
    """Open unless `PMDI_METRICS__TOKEN` is set; then only a scraper presenting it as a bearer token."""
    settings = state.settings.metrics
    if not settings.enabled:
        raise MetricsDisabled()
    if settings.token is None:
        return
    scheme, _, presented = (authorization or "").partition(" ")
    expected = settings.token.get_secret_value()
    if scheme.lower() != "bearer" or not constant_time_equals(presented.strip(), expected):
        raise MetricsTokenRequired()
