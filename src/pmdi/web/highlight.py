"""Splitting a document's pages into plain and marked runs, so evidence can be highlighted without any HTML
ever being built from document text (the template escapes every run)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Span:
    key: str
    start: int
    end: int


@dataclass
class Run:
    text: str
    marked: bool = False
    anchor: str | None = None  # the element id of a span's first mark


@dataclass
class PageView:
    number: int
    label: str | None
    runs: list[Run] = field(default_factory=list)


@dataclass
class Highlighted:
    pages: list[PageView]
    anchors: dict[str, str]  # span key → element id to link to


def _kept(spans: Sequence[Span], length: int) -> tuple[list[Span], dict[str, str]]:
    """Overlapping evidence (two items quoting one line) shares the first span's mark."""
    kept: list[Span] = []
    anchors: dict[str, str] = {}
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if not 0 <= span.start < span.end <= length:
            continue
        covering = next((k for k in reversed(kept) if k.start <= span.start < k.end), None)
        if covering is not None:
            anchors[span.key] = anchors[covering.key]
            continue
        kept.append(span)
        anchors[span.key] = span.key
    return kept, anchors


def highlight(text: str, pages: Sequence[dict[str, Any]], spans: Sequence[Span]) -> Highlighted:
    kept, anchors = _kept(spans, len(text))
    views = []
    for page in pages or [{"number": 1, "start": 0, "end": len(text)}]:
        start, end = int(page["start"]), int(page["end"])
        view = PageView(int(page["number"]), page.get("label"))
        cursor = start
        for span in kept:
            if span.end <= start or span.start >= end:
                continue
            lo, hi = max(span.start, start), min(span.end, end)
            if lo > cursor:
                view.runs.append(Run(text[cursor:lo]))
            view.runs.append(Run(text[lo:hi], True, span.key if lo == span.start else None))
            cursor = hi
        if cursor < end:
            view.runs.append(Run(text[cursor:end]))
        views.append(view)
    return Highlighted(views, anchors)


def marked_runs(text: str, ranges: Sequence[tuple[int, int]]) -> list[Run]:
    """A search snippet with its matched terms marked."""
    runs, cursor = [], 0
    for start, end in sorted(ranges):
        if start < cursor or not 0 <= start < end <= len(text):
            continue
        if start > cursor:
            runs.append(Run(text[cursor:start]))
        runs.append(Run(text[start:end], True))
        cursor = end
    if cursor < len(text):
        runs.append(Run(text[cursor:]))
    return runs
