"""AWS Bedrock through boto3's `bedrock-runtime` Converse API; structured output through a forced tool.
Credentials come from the usual AWS chain (environment, profile, instance role)."""

from __future__ import annotations

import json
import time
from typing import Any

from pmdi.config import ProviderSettings
from pmdi.llm.base import Completion
from pmdi.llm.errors import LLMUnavailable

TOOL = "record_analysis"


class BedrockProvider:
    name = "bedrock"

    def __init__(self, settings: ProviderSettings) -> None:
        import boto3  # the SDK is an optional extra: `pip install pmdi[bedrock]`
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError, ClientError

        self._errors = (BotoCoreError, ClientError)
        self.settings = settings
        config = Config(
            connect_timeout=settings.timeout_seconds,
            read_timeout=settings.timeout_seconds,
            retries={"total_max_attempts": settings.max_retries + 1, "mode": "standard"},
        )
        self.client = boto3.client(
            "bedrock-runtime",
            region_name=settings.region or "us-east-1",
            endpoint_url=settings.base_url,
            config=config,
        )

    def complete(self, system: str, user: str, schema: dict[str, Any]) -> Completion:
        started = time.perf_counter()
        try:
            response = self.client.converse(
                modelId=self.settings.model,
                system=[{"text": system}],
                messages=[{"role": "user", "content": [{"text": user}]}],
                inferenceConfig={"maxTokens": self.settings.max_output_tokens, "temperature": 0},
                toolConfig={
                    "tools": [{"toolSpec": {"name": TOOL, "inputSchema": {"json": schema}}}],
                    "toolChoice": {"tool": {"name": TOOL}},
                },
            )
        except self._errors as exc:
            raise LLMUnavailable(f"{type(exc).__name__}: {exc}") from exc
        usage = response.get("usage", {})
        return Completion(
            text=_answer(response.get("output", {}).get("message", {}).get("content", [])),
            tokens_in=int(usage.get("inputTokens", 0)),
            tokens_out=int(usage.get("outputTokens", 0)),
            seconds=time.perf_counter() - started,
        )


def _answer(blocks: list[dict[str, Any]]) -> str:
    for block in blocks:
        if "toolUse" in block:
            return json.dumps(block["toolUse"].get("input", {}))
    return "".join(block.get("text", "") for block in blocks)
