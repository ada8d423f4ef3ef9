"""Generative answers: a model answers from the retrieved chunks only, and each quote it cites must be found
in the chunk it names. Unverifiable answers, invalid output and unavailable providers fall back to the
extractive answer, never to an unchecked one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from pmdi.config import ProviderSettings
from pmdi.llm.base import get_provider
from pmdi.llm.errors import LLMOutputInvalid

VERSION = "answer-v1"
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "found": {"type": "boolean"},
        "answer": {"type": "string"},
        "citations": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"source": {"type": "integer"}, "quote": {"type": "string"}},
                "required": ["source", "quote"],
                "additionalProperties": False,
            },
        },
    },
    "required": ["found", "answer", "citations"],
    "additionalProperties": False,
}


class Cited(BaseModel):
    source: int
    quote: str = Field(max_length=2_000)


class Draft(BaseModel):
    found: bool
    answer: str = Field(max_length=4_000)
    citations: list[Cited] = Field(default_factory=list, max_length=20)


@dataclass(frozen=True)
class Written:
    draft: Draft
    usage: dict[str, Any]


@cache
def system_prompt() -> str:
    return (
        resources.files("pmdi.search").joinpath("prompts", f"{VERSION}.system.md").read_text(encoding="utf-8")
    )


def user_prompt(question: str, sources: list[str]) -> str:
    fenced = "\n".join(
        f'<source id="{n}">\n{_fence(text)}\n</source>' for n, text in enumerate(sources, start=1)
    )
    return f"Sources:\n{fenced}\n\nQuestion: {_fence(question)}"


def _fence(text: str) -> str:
    """A source can never close its own delimiter and pose as instructions after it."""
    return text.replace("</source", "</ source").replace("<source", "< source")


def write(settings: ProviderSettings, question: str, sources: list[str]) -> Written:
    """One call, blocking (run it in a thread). Raises `LLMError`."""
    completion = get_provider(settings).complete(system_prompt(), user_prompt(question, sources), SCHEMA)
    try:
        draft = Draft.model_validate_json(completion.text)
    except ValidationError as exc:
        raise LLMOutputInvalid("the answer did not match its schema") from exc
    cost = (
        completion.tokens_in * settings.usd_per_million_input_tokens
        + completion.tokens_out * settings.usd_per_million_output_tokens
    ) / 1_000_000
    usage = {
        "provider": settings.provider,
        "model": settings.model,
        "calls": 1,
        "tokens_in": completion.tokens_in,
        "tokens_out": completion.tokens_out,
        "cost_usd": round(cost, 6),
    }
    return Written(draft, usage)


def locate(quote: str, text: str) -> tuple[int, int] | None:
    """The quote's span in `text`: exactly, else ignoring case and spacing."""
    quote = quote.strip().strip("\"'“”")
    if not quote:
        return None
    exact = text.find(quote)
    if exact >= 0:
        return exact, exact + len(quote)
    pattern = r"\s+".join(re.escape(word) for word in quote.split())
    match = re.search(pattern, text, re.IGNORECASE)
    return (match.start(), match.end()) if match else None
