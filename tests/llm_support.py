"""A local server speaking the OpenAI chat-completions, Anthropic Messages and Bedrock Converse wire
protocols, driven by a scripted model, so the real SDKs are exercised end to end without a network."""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DOCUMENT = re.compile(r"<document>\n(.*)\n</document>", re.S)


@dataclass
class Reply:
    status: int = 200
    content: str = "{}"
    delay: float = 0.0


Model = Callable[[dict[str, Any]], Reply]


@dataclass
class FakeOpenAI:
    model: Model
    requests: list[dict[str, Any]] = field(default_factory=list)
    authorizations: list[str] = field(default_factory=list)
    url: str = ""


def document_of(request: dict[str, Any]) -> str:
    """The document part of the user message, as the analyzer delimited it (a string for OpenAI and
    Anthropic, text blocks for Bedrock)."""
    content = request["messages"][-1]["content"]
    text = content if isinstance(content, str) else "".join(block.get("text", "") for block in content)
    match = DOCUMENT.search(text)
    return match[1] if match else ""


def completion(content: str, model: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 1000, "completion_tokens": 100, "total_tokens": 1100},
    }


def message(content: str, model: str) -> dict[str, Any]:
    """Anthropic's Messages API answer: the JSON as the forced tool call's input, other text as text."""
    try:
        block: dict[str, Any] = {"type": "tool_use", "id": "toolu_1", "name": "record_analysis"}
        block["input"] = json.loads(content)
    except json.JSONDecodeError:
        block = {"type": "text", "text": content}
    return {
        "id": "msg_test",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [block],
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": {"input_tokens": 1000, "output_tokens": 100},
    }


def converse(content: str, model: str) -> dict[str, Any]:
    """Bedrock's Converse answer, with the JSON as the forced tool's input."""
    try:
        block: dict[str, Any] = {
            "toolUse": {"toolUseId": "t1", "name": "record_analysis", "input": json.loads(content)}
        }
    except json.JSONDecodeError:
        block = {"text": content}
    return {
        "output": {"message": {"role": "assistant", "content": [block]}},
        "stopReason": "tool_use",
        "usage": {"inputTokens": 1000, "outputTokens": 100, "totalTokens": 1100},
        "metrics": {"latencyMs": 1},
    }


def _handler(fake: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            fake.requests.append(request)
            fake.authorizations.append(self.headers.get("Authorization") or self.headers.get("x-api-key", ""))
            reply = fake.model(request)
            time.sleep(reply.delay)
            if self.path.endswith("/converse"):
                answer, model = converse, self.path.split("/")[2]
            else:
                answer, model = (message if self.path.endswith("/messages") else completion), request["model"]
            body = answer(reply.content, model) if reply.status == 200 else {"message": "scripted failure"}
            data = json.dumps(body).encode()
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client timed out
                self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            return None

    return Handler


@contextmanager
def fake_openai(model: Model) -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI(model)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/v1"  # Anthropic's SDK wants it without /v1
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


def reading_model(request: dict[str, Any]) -> Reply:
    """A well-behaved model: every "ACTION: <owner> to <task>" line of its part becomes an open item."""
    items = [
        {"text": m[2].strip().capitalize(), "owner": m[1], "quote": m[0]}
        for m in re.finditer(
            r"ACTION: (\w+(?: \w+)?) to ([^\n.]+?)(?= ACTION:|\n|\.|$)", document_of(request)
        )
    ]
    return Reply(content=json.dumps({"action_items": items, "summary_points": ["A part was read."]}))
