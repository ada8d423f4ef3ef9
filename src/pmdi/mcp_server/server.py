"""The one MCP server definition both transports serve."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from mcp.server.mcpserver import MCPServer

from pmdi import __version__
from pmdi.mcp_server.caller import McpRuntime, remember_request
from pmdi.mcp_server.resources import register_resources
from pmdi.mcp_server.tools import register_tools

INSTRUCTIONS = (
    "pmdi holds an organisation's project documents (minutes, status reports, plans, risk registers, SOWs, "
    "change requests, emails) with what was extracted from them. Use search_documents or ask to find what "
    "the documents say (answers cite document, page and quote); list_action_items and list_risks for the "
    "registers tracked across documents; get_document_analysis for one document. Projects can be named by "
    "id or exact name; the pmdi://projects resource lists them."
)


def build_server(runtime: McpRuntime) -> MCPServer[McpRuntime]:
    @asynccontextmanager
    async def lifespan(_server: MCPServer[McpRuntime]) -> AsyncIterator[McpRuntime]:
        yield runtime

    # The SDK configures a still unconfigured root logger at this level: WARNING leaves pmdi's logging as
    # quiet as it is without an MCP server.
    server: MCPServer[McpRuntime] = MCPServer(
        "pmdi",
        title="PM Document Intelligence",
        instructions=INSTRUCTIONS,
        version=__version__,
        lifespan=lifespan,
        log_level="WARNING",
        middleware=[remember_request],
    )
    register_tools(server)
    register_resources(server)
    return server
