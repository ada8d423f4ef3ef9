"""Grounding: a model's quote is located in the extracted text (exactly, then ignoring case and spacing),
near the part it came from first. An item whose quote is nowhere in the document is not evidence-backed."""

from __future__ import annotations

import re

_QUOTE_MARKS = "\"'\u201c\u201d\u2018\u2019`"
# Instructions aimed at a model, written into a document: items read from such sentences are not trusted.
_INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b[^.\n]{0,60}\b(?:instructions?|prompts?|rules|above|previous)\b|"
    r"\byou are now\b|\bsystem prompt\b|\bnew instructions\b|\bas an ai\b",
    re.I,
)
_MIN_QUOTE_CHARS = 4


def locate(text: str, quote: str, near: tuple[int, int]) -> tuple[int, int] | None:
    pieces = [p.strip(" " + _QUOTE_MARKS) for p in re.split(r"\.\.\.|\u2026", quote)]
    piece = max(pieces, key=len, default="")
    if len(piece) < _MIN_QUOTE_CHARS:
        return None
    for low, high in (near, (0, len(text))):
        position = text.find(piece, low, high)
        if position >= 0:
            return position, position + len(piece)
    pattern = re.compile(r"\s+".join(re.escape(word) for word in piece.split()), re.I)
    for low, high in (near, (0, len(text))):
        match = pattern.search(text, low, high)
        if match:
            return match.start(), match.end()
    return None


def instruction_spans(text: str) -> list[tuple[int, int]]:
    """The lines of the document that talk to a model ("ignore previous instructions and ...")."""
    spans = []
    for match in _INSTRUCTION.finditer(text):
        start = text.rfind("\n", 0, match.start()) + 1
        end = text.find("\n", match.end())
        spans.append((start, len(text) if end < 0 else end))
    return spans
