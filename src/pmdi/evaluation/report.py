"""Rendering of an evaluation report: a readable table, per-document misses, or JSON."""

from __future__ import annotations

from typing import Any

from pmdi.evaluation.metrics import DocumentResult, Report


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def render_table(report: Report) -> str:
    failed = sum(document.error is not None for document in report.documents)
    lines = [f"Documents: {len(report.documents)} ({failed} failed)", ""]
    lines.append(f"{'kind':<14}{'gold':>6}{'pred':>6}{'tp':>6}{'precision':>11}{'recall':>8}{'f1':>8}")
    for kind, counts in report.kind_totals().items():
        gold, predicted = counts.tp + counts.fn, counts.tp + counts.fp
        lines.append(
            f"{kind:<14}{gold:>6}{predicted:>6}{counts.tp:>6}"
            f"{_fmt(counts.precision):>11}{_fmt(counts.recall):>8}{_fmt(counts.f1):>8}"
        )
    lines += ["", f"{'accuracy':<16}{'correct':>9}{'total':>7}{'value':>8}"]
    for name, accuracy in report.field_totals().items():
        lines.append(f"{name:<16}{accuracy.correct:>9}{accuracy.total:>7}{_fmt(accuracy.value):>8}")
    return "\n".join(lines)


def _document_misses(document: DocumentResult) -> list[str]:
    lines = [f"== {document.document_path}  [{document.label_path}]"]
    if document.error:
        lines.append(f"  ERROR {document.error}")
    for mismatch in document.mismatches:
        if not mismatch.item:
            lines.append(f"  {mismatch.field}: gold={mismatch.gold} predicted={mismatch.predicted}")
    for kind, result in document.kinds.items():
        lines += [f"  {kind} missed: {text}" for text in result.missed]
        lines += [f"  {kind} spurious: {text}" for text in result.spurious]
    for mismatch in document.mismatches:
        if mismatch.item:
            lines.append(
                f"  {mismatch.field}: gold={mismatch.gold} predicted={mismatch.predicted}  ({mismatch.item})"
            )
    return lines if len(lines) > 1 else []


def render_misses(report: Report) -> str:
    """Per document: failures, wrong document fields, false negatives, false positives, wrong item fields."""
    sections = ["\n".join(lines) for lines in map(_document_misses, report.documents) if lines]
    return "\n\n".join(sections) if sections else "No misses."


def _document_json(document: DocumentResult) -> dict[str, Any]:
    return {
        "document": document.document_path,
        "labels": document.label_path,
        "error": document.error,
        "missed": {kind: result.missed for kind, result in document.kinds.items()},
        "spurious": {kind: result.spurious for kind, result in document.kinds.items()},
        "mismatches": [vars(mismatch) for mismatch in document.mismatches],
    }


def to_json(report: Report, *, documents: bool) -> dict[str, Any]:
    kinds = {
        kind: {
            "tp": counts.tp,
            "fp": counts.fp,
            "fn": counts.fn,
            "precision": _round(counts.precision),
            "recall": _round(counts.recall),
            "f1": _round(counts.f1),
        }
        for kind, counts in report.kind_totals().items()
    }
    accuracy = {
        name: {"correct": value.correct, "total": value.total, "value": _round(value.value)}
        for name, value in report.field_totals().items()
    }
    body: dict[str, Any] = {"documents": len(report.documents), "kinds": kinds, "accuracy": accuracy}
    if documents:
        body["per_document"] = [_document_json(document) for document in report.documents]
    return body
