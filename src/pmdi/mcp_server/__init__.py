"""The MCP server: pmdi's documents, registers and answers as tools and resources for AI assistants.

One server definition (`server.build_server`), two transports: stdio for a local assistant (`pmdi mcp`) and
stateless Streamable HTTP mounted in the API process at `/mcp`. Every call acts as the organisation of an API
key and goes through the same service functions as the JSON API.
"""
