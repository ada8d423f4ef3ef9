"""`pmdi extract`: the extraction stage on local files, isolated exactly as in the pipeline."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
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


def sandboxed(
    path: Path, settings: Settings, sandbox: Sandbox, work: Callable[..., dict[str, Any]], *extra: Any
) -> dict[str, Any]:
    """`work(path, media_type, options, *extra)` in the sandbox, as the pipeline runs it; any failure
    becomes the file's `error` object so that one bad file never hides the others' results."""
    try:
        if path.stat().st_size == 0:
            return {"file": str(path), "error": {"code": "empty", "detail": "The file is empty."}}
        media_type = sniff(path, path.name)
        options = options_from(settings.extraction, path.name)
        result = sandbox.run_blocking(work, (str(path.resolve()), media_type, options, *extra))
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


def run_paths(
    paths: list[Path],
    settings: Settings,
    work: Callable[..., dict[str, Any]],
    *extra: Any,
    timeout: float | None = None,
) -> list[dict[str, Any]]:
    """One result per file (folders expanded), in input order, two files at a time."""
    sandbox = Sandbox(timeout or settings.worker.task_timeout_seconds, settings.worker.task_memory_mb)
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(lambda p: sandboxed(p, settings, sandbox, work, *extra), expand(paths)))


def extract_paths(paths: list[Path], settings: Settings) -> list[dict[str, Any]]:
    return run_paths(paths, settings, extract_file, None)


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
