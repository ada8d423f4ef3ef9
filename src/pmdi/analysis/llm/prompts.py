"""Prompts are versioned files inside the package; the version is recorded with every analysis."""

from __future__ import annotations

from functools import cache
from importlib import resources

VERSION = "analyze-v1"


@cache
def prompt(name: str) -> str:
    return resources.files("pmdi.analysis.llm").joinpath("prompts", f"{name}.md").read_text(encoding="utf-8")


def fence(text: str) -> str:
    """The document can never close its own delimiter and pose as instructions after it."""
    return text.replace("</document>", "</ document>").replace("<document>", "< document>")
