"""`pmdi analyze`: extraction then analysis of local files, isolated exactly as in the pipeline."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from pmdi.analysis.base import get_analyzer
from pmdi.config import Settings
from pmdi.core.errors import PmdiError
from pmdi.core.processes import Sandbox
from pmdi.documents.sniff import sniff
from pmdi.extraction.base import ExtractOptions, extract
from pmdi.extraction.cli import error_code, expand
from pmdi.extraction.language import detect_language
from pmdi.extraction.stage import options_from
from pmdi.jobs.errors import StageError


def analyze_file(path: str, media_type: str, options: ExtractOptions, analyzer: str) -> dict[str, Any]:
    """Runs in the sandbox subprocess: one file from bytes to the analysis contract."""
    document = extract(Path(path), media_type, options)
    document.metadata.language = document.metadata.language or detect_language(document.text)
    result = get_analyzer(analyzer).analyze(document, filename=Path(path).name)
    return result.model_dump(mode="json")


def analyze_one(path: Path, settings: Settings, sandbox: Sandbox) -> dict[str, Any]:
    try:
        if path.stat().st_size == 0:
            return {"file": str(path), "error": {"code": "empty", "detail": "The file is empty."}}
        media_type = sniff(path, path.name)
        options = options_from(settings.extraction, path.name)
        args = (str(path.resolve()), media_type, options, settings.analysis.analyzer)
        result = sandbox.run_blocking(analyze_file, args)
    except (PmdiError, StageError, OSError) as exc:
        detail = exc.detail if isinstance(exc, PmdiError) else str(exc)
        return {"file": str(path), "error": {"code": error_code(exc), "detail": detail}}
    return {"file": str(path), **result}


def analyze_paths(paths: list[Path], settings: Settings) -> list[dict[str, Any]]:
    """One result per file, in input order; files that fail carry an `error` object instead."""
    sandbox = Sandbox(settings.worker.task_timeout_seconds, settings.worker.task_memory_mb)
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(lambda p: analyze_one(p, settings, sandbox), expand(paths)))


def render(results: list[dict[str, Any]]) -> str:
    return json.dumps(results, ensure_ascii=False, indent=2)
