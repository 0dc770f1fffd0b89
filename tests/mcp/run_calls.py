"""An independent MCP client for tagstation's tests: the official Python MCP SDK.

Usage:
  run_calls.py stdio COMMAND [ARG...]     start the server and speak MCP on its stdio
  run_calls.py http URL [TOKEN]           speak MCP over streamable HTTP (Bearer TOKEN)

Reads a JSON list of calls on standard input, each {"tool": NAME, "arguments": {...}}.
Connects, initializes, lists the tools, makes the calls in order, and prints one JSON
object on standard output: {"tools": [{"name", "readOnlyHint", "destructiveHint"}...],
"results": [{"isError", "structured", "text"}...]}.
"""

import asyncio
import json
import sys

from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client


def dump(model):
    return model.model_dump(by_alias=True, mode="json", exclude_none=True)


async def session_calls(read, write, calls):
    async with ClientSession(read, write) as session:
        await session.initialize()
        listed = dump(await session.list_tools())
        tools = []
        for t in listed.get("tools", []):
            ann = t.get("annotations") or {}
            tools.append(
                {
                    "name": t["name"],
                    "readOnlyHint": ann.get("readOnlyHint"),
                    "destructiveHint": ann.get("destructiveHint"),
                    "description": t.get("description", ""),
                }
            )
        results = []
        for call in calls:
            r = dump(await session.call_tool(call["tool"], call.get("arguments") or {}))
            text = "".join(c.get("text", "") for c in r.get("content", []))
            results.append(
                {
                    "isError": bool(r.get("isError", False)),
                    "structured": r.get("structuredContent"),
                    "text": text,
                }
            )
        return {"tools": tools, "results": results}


async def main():
    mode = sys.argv[1]
    calls = json.load(sys.stdin)
    if mode == "stdio":
        params = StdioServerParameters(command=sys.argv[2], args=sys.argv[3:])
        async with stdio_client(params) as (read, write):
            out = await session_calls(read, write, calls)
    elif mode == "http":
        url = sys.argv[2]
        headers = {}
        if len(sys.argv) > 3:
            headers["Authorization"] = "Bearer " + sys.argv[3]
        async with create_mcp_http_client(headers=headers) as client:
            async with streamable_http_client(url, http_client=client) as streams:
                out = await session_calls(streams[0], streams[1], calls)
    else:
        raise SystemExit("usage: run_calls.py stdio CMD... | http URL [TOKEN]")
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


asyncio.run(main())
