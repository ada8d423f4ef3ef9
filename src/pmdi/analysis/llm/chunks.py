"""The whole document in model-sized parts: cut at block boundaries where possible, with overlap so an item
that straddles a cut is seen whole at least once. Never "the first N characters"."""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from pmdi.extraction.model import ExtractedDocument


@dataclass(frozen=True)
class Chunk:
    start: int
    end: int
    text: str


def split(document: ExtractedDocument, size: int, overlap: int) -> list[Chunk]:
    text = document.text
    if not text.strip():
        return []
    cuts = sorted({b.start for b in document.blocks} | {b.end for b in document.blocks})
    found: list[Chunk] = []
    start = 0
    while start < len(text):
        end = len(text) if start + size >= len(text) else _cut(text, cuts, start + size // 2, start + size)
        found.append(Chunk(start, end, text[start:end]))
        if end >= len(text):
            break
        start = max(start + 1, _cut(text, cuts, end - overlap, end, after=True))
    return found


def _cut(text: str, cuts: list[int], low: int, high: int, *, after: bool = False) -> int:
    """A boundary in [low, high]: a block boundary, else a line break, else a space, else `high`.
    With `after`, the earliest such boundary (where the overlap starts), otherwise the latest."""
    index = bisect.bisect_left(cuts, low)
    inside = [c for c in cuts[index : bisect.bisect_right(cuts, high)] if low <= c <= high]
    if inside:
        return inside[0] if after else inside[-1]
    for separator in ("\n", " "):
        position = text.find(separator, low, high) if after else text.rfind(separator, low, high)
        if position >= 0:
            return position + 1
    return high
