"""`pmdi analyze`: extraction then analysis of local files, isolated exactly as in the pipeline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pmdi.analysis.base import get_analyzer
from pmdi.config import AnalysisSettings, Settings
from pmdi.extraction.base import ExtractOptions, extract
from pmdi.extraction.cli import run_paths
from pmdi.extraction.language import detect_language


def analyze_file(
    path: str, media_type: str, options: ExtractOptions, settings: AnalysisSettings
) -> dict[str, Any]:
    """Runs in the sandbox subprocess: one file from bytes to the analysis contract."""
    document = extract(Path(path), media_type, options)
    document.metadata.language = document.metadata.language or detect_language(document.text)
    result = get_analyzer(settings).analyze(document, filename=Path(path).name)
    return result.model_dump(mode="json")


def analyze_paths(paths: list[Path], settings: Settings) -> list[dict[str, Any]]:
    """One result per file, in input order; files that fail carry an `error` object instead."""
    analysis = settings.analysis
    timeout = analysis.llm.document_timeout_seconds if analysis.analyzer == "llm" else None
    return run_paths(paths, settings, analyze_file, analysis, timeout=timeout)


def render(results: list[dict[str, Any]]) -> str:
    return json.dumps(results, ensure_ascii=False, indent=2)
