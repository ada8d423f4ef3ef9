"""The language-model provider protocol and registry. SDKs are imported only by the provider chosen."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Protocol

from pmdi.config import ProviderSettings
from pmdi.llm.errors import SDKMissing, UnknownProvider


@dataclass(frozen=True)
class Completion:
    text: str
    tokens_in: int
    tokens_out: int
    seconds: float


class LLMProvider(Protocol):
    name: str

    def complete(self, system: str, user: str, schema: dict[str, Any]) -> Completion:
        """One non-streaming call asking for JSON matching `schema`. Synchronous: it runs in the worker's
        subprocess. Raises `LLMUnavailable` once the SDK's retries are spent."""
        ...


# name -> "module:attribute" of a factory taking `ProviderSettings`.
_PROVIDERS: dict[str, str] = {
    "openai": "pmdi.llm.openai_compat:OpenAIProvider",
    "anthropic": "pmdi.llm.anthropic_provider:AnthropicProvider",
    "bedrock": "pmdi.llm.bedrock_provider:BedrockProvider",
}


def get_provider(settings: ProviderSettings) -> LLMProvider:
    target = _PROVIDERS.get(settings.provider)
    if target is None:
        raise UnknownProvider(
            f"No LLM provider named {settings.provider!r}; choose one of {sorted(_PROVIDERS)}."
        )
    module, _, attribute = target.partition(":")
    try:
        provider: LLMProvider = getattr(importlib.import_module(module), attribute)(settings)
    except ImportError as exc:  # the SDKs are optional extras
        raise SDKMissing(
            f"The {settings.provider} SDK is not installed: pip install 'pmdi[{settings.provider}]'."
        ) from exc
    return provider
