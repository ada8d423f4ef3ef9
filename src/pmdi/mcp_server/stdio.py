"""`pmdi mcp`: the MCP server over stdin/stdout for a local assistant, as one API key's organisation."""

from __future__ import annotations

from pmdi.app import check_migrated
from pmdi.config import Settings
from pmdi.core.db import unit_of_work
from pmdi.core.state import open_state
from pmdi.jobs.worker import EmbeddedWorker
from pmdi.mcp_server.caller import McpRuntime, key_context
from pmdi.mcp_server.server import build_server


async def serve_stdio(settings: Settings, api_key: str) -> None:
    """Until the client closes stdin. Refuses to start on an un-migrated database or a bad key (PmdiError);
    in the embedded mode it processes uploads itself, as `pmdi serve` does."""
    async with open_state(settings) as state:
        await check_migrated(state)
        async with unit_of_work(state.sessionmaker) as session:
            await key_context(session, api_key)
        worker = None
        if settings.worker.backend == "inprocess" and settings.worker.embedded:
            worker = EmbeddedWorker(state)
            worker.start()
        try:
            await build_server(McpRuntime(state, api_key)).run_stdio_async()
        finally:
            if worker is not None:
                await worker.stop()
