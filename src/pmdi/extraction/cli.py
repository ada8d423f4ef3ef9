"""`pmdi extract`: the extraction stage on local files, isolated exactly as in the pipeline."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from pmdi.config import Settings
from pmdi.core.errors import PmdiError
from pmdi.core.processes import Sandbox, SandboxCrashed, SandboxTimeout
from pmdi.documents.sniff import sniff
from pmdi.extraction.stage import extract_file, options_from
from pmdi.jobs.errors import StageError


def error_code(exc: Exception) -> str:
    if isinstance(exc, SandboxTimeout):
        return "timeout"
    if isinstance(exc, SandboxCrashed):
        return "crashed"
    if isinstance(exc, PmdiError):
        return exc.code
    code: str = getattr(exc, "code", "extraction_failed")
    return code


def extract_one(path: Path, settings: Settings, sandbox: Sandbox) -> dict[str, Any]:
    try:
        if path.stat().st_size == 0:
            return {"file": str(path), "error": {"code": "empty", "detail": "The file is empty."}}
        media_type = sniff(path, path.name)
        options = options_from(settings.extraction, path.name)
        result = sandbox.run_blocking(extract_file, (str(path.resolve()), media_type, options, None))
    except (PmdiError, StageError, OSError) as exc:
        detail = exc.detail if isinstance(exc, PmdiError) else str(exc)
        return {"file": str(path), "error": {"code": error_code(exc), "detail": detail}}
    return {"file": str(path), "media_type": media_type, **result}


def expand(paths: list[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
        else:
            yield path


def extract_paths(paths: list[Path], settings: Settings) -> list[dict[str, Any]]:
    sandbox = Sandbox(settings.worker.task_timeout_seconds, settings.worker.task_memory_mb)
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(lambda p: extract_one(p, settings, sandbox), expand(paths)))


def render(results: list[dict[str, Any]], output_format: str) -> str:
    if output_format == "json":
        return json.dumps(results, ensure_ascii=False, indent=2)
    sections = []
    for item in results:
        body = (
            item["text"]
            if "error" not in item
            else f"ERROR {item['error']['code']}: {item['error']['detail']}"
        )
        sections.append(f"==> {item['file']} <==\n{body}")
    return "\n\n".join(sections)
