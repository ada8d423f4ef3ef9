"""The analyzer protocol and registry: offline rules by default; LLM providers plug in by name."""

from __future__ import annotations

import importlib
from typing import Protocol

from pmdi.analysis.errors import UnknownAnalyzer
from pmdi.analysis.schemas import Analysis
from pmdi.config import AnalysisSettings
from pmdi.extraction.model import ExtractedDocument

# name -> "module:attribute" of a factory taking `AnalysisSettings`, imported only when chosen (heavy SDKs
# stay unloaded).
_ANALYZERS: dict[str, str] = {
    "rules": "pmdi.analysis.rules.analyzer:create",
    "llm": "pmdi.analysis.llm.analyzer:LLMAnalyzer",
}


class Analyzer(Protocol):
    name: str

    def analyze(self, document: ExtractedDocument, *, filename: str = "") -> Analysis:
        """CPU-bound and synchronous: run it in the worker's subprocess, never on the event loop."""
        ...


def get_analyzer(settings: AnalysisSettings) -> Analyzer:
    target = _ANALYZERS.get(settings.analyzer)
    if target is None:
        raise UnknownAnalyzer(f"No analyzer named {settings.analyzer!r}; choose one of {sorted(_ANALYZERS)}.")
    module, _, attribute = target.partition(":")
    factory = getattr(importlib.import_module(module), attribute)
    analyzer: Analyzer = factory(settings)
    return analyzer
