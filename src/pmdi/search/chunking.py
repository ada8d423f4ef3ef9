"""Cuts an extracted document into search chunks along its block structure.

A chunk never spans two pages or two sections, so its page and heading context are exact; its text is a slice
of the canonical text (`start`/`end`), so a hit can be shown and cited in place. Tables are split by rows with
their header row repeated as context, because a row means nothing without its column names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_WORD = re.compile(r"\S+")


@dataclass
class Chunk:
    page: int
    start: int
    end: int
    context: str  # heading path ("Budget > Q3"), or a table's header row
    text: str

    @property
    def search_text(self) -> str:
        """What is indexed and embedded: the text with the context that gives it meaning."""
        return f"{self.context}\n{self.text}" if self.context else self.text


@dataclass
class _Open:
    page: int
    start: int
    end: int
    words: int


@dataclass
class _Chunker:
    text: str
    words_per_chunk: int
    chunks: list[Chunk] = field(default_factory=list)
    headings: list[tuple[int, str]] = field(default_factory=list)
    current: _Open | None = None

    def context(self) -> str:
        return " > ".join(title for _, title in self.headings)

    def flush(self) -> None:
        if self.current is not None:
            piece = self.text[self.current.start : self.current.end]
            self.chunks.append(
                Chunk(self.current.page, self.current.start, self.current.end, self.context(), piece)
            )
        self.current = None

    def heading(self, block: dict[str, Any]) -> None:
        self.flush()
        level = block.get("level") or 1
        self.headings = [(lvl, title) for lvl, title in self.headings if lvl < level]
        self.headings.append((level, " ".join(block["text"].split())[:200]))

    def span(self, page: int, start: int, end: int) -> None:
        """Adds text to the open chunk, or starts a new one when it would grow past the size or the page."""
        words = len(_WORD.findall(self.text, start, end))
        if words == 0:
            return
        open_ = self.current
        if open_ is not None and (open_.page != page or open_.words + words > self.words_per_chunk):
            self.flush()
            open_ = None
        if open_ is None:
            self.current = _Open(page, start, end, words)
        else:
            open_.end, open_.words = end, open_.words + words

    def long_span(self, page: int, start: int, end: int) -> None:
        """Cuts a block longer than a chunk at word boundaries."""
        matches = list(_WORD.finditer(self.text, start, end))
        for i in range(0, len(matches), self.words_per_chunk):
            window = matches[i : i + self.words_per_chunk]
            self.flush()
            self.span(page, window[0].start(), window[-1].end())

    def table(self, block: dict[str, Any]) -> None:
        self.flush()
        rows = _lines(self.text, block["start"], block["end"])
        if block.get("header") and len(rows) > 1:
            header_start, header_end = rows.pop(0)
            header = " ".join(self.text[header_start:header_end].split())
        else:
            header = ""
        saved = self.headings
        self.headings = [*saved, (99, header)] if header else saved
        for start, end in rows:
            self.span(block["page"], start, end)
        self.flush()
        self.headings = saved


def _lines(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans, cursor = [], start
    for line in text[start:end].split("\n"):
        if line.strip():
            spans.append((cursor, cursor + len(line)))
        cursor += len(line) + 1
    return spans


def chunk_document(text: str, blocks: list[dict[str, Any]], words_per_chunk: int) -> list[Chunk]:
    chunker = _Chunker(text, words_per_chunk)
    for block in blocks:
        if block["kind"] == "heading":
            chunker.heading(block)
        elif block["kind"] == "table":
            chunker.table(block)
        elif len(_WORD.findall(text, block["start"], block["end"])) > words_per_chunk:
            chunker.long_span(block["page"], block["start"], block["end"])
        else:
            chunker.span(block["page"], block["start"], block["end"])
    chunker.flush()
    return chunker.chunks
