"""Run the analyzer over every labelled document of a dev set and score it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from pmdi.analysis.cli import analyze_paths
from pmdi.analysis.schemas import Analysis
from pmdi.config import Settings
from pmdi.evaluation.gold import GoldCase, load_cases
from pmdi.evaluation.metrics import DocumentResult, Report, score_document

# `analyze_paths` itself, or a stand-in returning the same list of contract dicts (tests, cached runs).
Analyze = Callable[[list[Path], Settings], list[dict[str, Any]]]


def _display(path: Path) -> str:
    """Paths relative to the working directory when possible: shorter and stable across checkouts."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _prediction(raw: dict[str, Any]) -> tuple[Analysis | None, str | None]:
    if "error" in raw:
        error = raw["error"]
        return None, f"{error.get('code')}: {error.get('detail')}"
    try:
        return Analysis.model_validate({k: v for k, v in raw.items() if k != "file"}), None
    except ValidationError as exc:
        return None, f"output does not follow the analysis contract: {exc}"


def score(cases: list[GoldCase], results: list[dict[str, Any]]) -> Report:
    """Pair analyzer results (in the order of `cases`) with their gold labels."""
    if len(results) != len(cases):
        raise ValueError(f"{len(cases)} labelled documents but {len(results)} analysis results")
    documents = []
    for case, raw in zip(cases, results, strict=True):
        predicted, error = _prediction(raw)
        result = DocumentResult(_display(case.label_path), _display(case.document_path), error)
        documents.append(score_document(result, case.gold, predicted))
    return Report(documents)


def evaluate(gold_dir: Path, settings: Settings, analyze: Analyze = analyze_paths) -> Report:
    """Find every `*.gold.json` under `gold_dir`, analyse the documents they label, score the results."""
    cases = load_cases(gold_dir)
    return score(cases, analyze([case.document_path for case in cases], settings))
