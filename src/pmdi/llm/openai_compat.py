"""OpenAI and every server speaking its chat-completions protocol (Azure OpenAI, Ollama, vLLM, llama.cpp)."""

from __future__ import annotations

import os
import time
from typing import Any

from pmdi.config import ProviderSettings
from pmdi.llm.base import Completion
from pmdi.llm.errors import LLMUnavailable


class OpenAIProvider:
    name = "openai"

    def __init__(self, settings: ProviderSettings) -> None:
        import openai  # the SDK is an optional extra: `pip install pmdi[openai]`

        self._errors = (openai.APIError, openai.APIConnectionError, openai.APITimeoutError)
        self.settings = settings
        secret = settings.api_key.get_secret_value() if settings.api_key else None
        # The SDK's own variable works too; local servers (Ollama, vLLM) want any non-empty key.
        key = secret or os.environ.get("OPENAI_API_KEY") or "not-needed"
        self.client = openai.OpenAI(
            api_key=key,
            base_url=settings.base_url,
            timeout=settings.timeout_seconds,
            max_retries=settings.max_retries,
        )

    def complete(self, system: str, user: str, schema: dict[str, Any]) -> Completion:
        started = time.perf_counter()
        try:
            response = self.client.chat.completions.create(
                model=self.settings.model,
                messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],
                response_format={
                    "type": "json_schema",
                    "json_schema": {"name": "analysis", "schema": schema, "strict": False},
                },
                max_tokens=self.settings.max_output_tokens,
                temperature=0,
                stream=False,
            )
        except self._errors as exc:
            raise LLMUnavailable(f"{type(exc).__name__}: {exc}") from exc
        usage = response.usage
        text = (response.choices[0].message.content or "") if response.choices else ""
        return Completion(
            text=text,
            tokens_in=usage.prompt_tokens if usage else 0,
            tokens_out=usage.completion_tokens if usage else 0,
            seconds=time.perf_counter() - started,
        )
