"""Anthropic's Messages API. Structured output through a forced tool call whose input schema is ours."""

from __future__ import annotations

import json
import time
from typing import Any

from pmdi.config import ProviderSettings
from pmdi.llm.base import Completion
from pmdi.llm.errors import LLMUnavailable

TOOL = "record_analysis"


class AnthropicProvider:
    name = "anthropic"

    def __init__(self, settings: ProviderSettings) -> None:
        import anthropic  # the SDK is an optional extra: `pip install pmdi[anthropic]`

        self._errors = (anthropic.APIError, anthropic.APIConnectionError, anthropic.APITimeoutError)
        self.settings = settings
        self.client = anthropic.Anthropic(
            api_key=settings.api_key.get_secret_value() if settings.api_key else None,
            base_url=settings.base_url,
            timeout=settings.timeout_seconds,
            max_retries=settings.max_retries,
        )

    def complete(self, system: str, user: str, schema: dict[str, Any]) -> Completion:
        started = time.perf_counter()
        tool: Any = {"name": TOOL, "description": "Record the analysis of this part.", "input_schema": schema}
        try:
            response = self.client.messages.create(
                model=self.settings.model,
                max_tokens=self.settings.max_output_tokens,
                system=system,
                messages=[{"role": "user", "content": user}],
                tools=[tool],
                tool_choice={"type": "tool", "name": TOOL},
                stream=False,
            )
        except self._errors as exc:
            raise LLMUnavailable(f"{type(exc).__name__}: {exc}") from exc
        return Completion(
            text=_answer(response.content),
            tokens_in=response.usage.input_tokens,
            tokens_out=response.usage.output_tokens,
            seconds=time.perf_counter() - started,
        )


def _answer(blocks: list[Any]) -> str:
    """The forced tool call's input as JSON; plain text when the model answered in text instead (the
    analyzer's validation then asks for a repair)."""
    for block in blocks:
        if getattr(block, "type", None) == "tool_use":
            return json.dumps(block.input)
    return "".join(getattr(block, "text", "") for block in blocks)
