"""Plain text: form feeds split pages, blank lines split paragraphs, bullets become list items.

Also the pieces the Markdown, HTML and mail extractors share: `Chunk` (a block before it has offsets),
`emit` (chunks → builder) and `IndentLevels` (list nesting from indentation).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pmdi.documents.sniff import PLAIN
from pmdi.extraction.base import ByMediaType, ExtractOptions, register
from pmdi.extraction.decoding import read_text
from pmdi.extraction.model import BlockKind, ExtractedDocument, Metadata, TextBuilder

BULLET = re.compile(
    r"^(?P<indent>[ \t]*)(?:[-*•·‣◦▪\u2013]|(?P<ordinal>(?:\d{1,3}|[A-Za-z])[.)]))[ \t]+(?P<text>\S.*)$"
)
UNDERLINE = re.compile(r"^[ \t]*(?:=+|-+)[ \t]*$")
RULE = re.compile(r"^[ \t]*(?:[-*_=~#][ \t]*){3,}$")  # a separator line, not content
MAX_HEADING_CHARS = 80
MIN_CAPS_HEADING_LETTERS = 4
MAX_TITLE_WORDS = 6
_CLAUSE_ENDS = (".", ",", ";", ":", "!", "?")


@dataclass
class Chunk:
    kind: BlockKind
    text: str
    level: int | None = None
    rows: list[list[str]] | None = None
    header: bool = False
    meta: dict[str, Any] = field(default_factory=dict)


class IndentLevels:
    """List nesting depth (1 = top) from indentation, whatever width the author indents by."""

    def __init__(self) -> None:
        self._indents: list[int] = []

    def level(self, indent: int) -> int:
        while self._indents and self._indents[-1] > indent:
            self._indents.pop()
        if not self._indents or self._indents[-1] < indent:
            self._indents.append(indent)
        return len(self._indents)

    def reset(self) -> None:
        self._indents.clear()


def indent_width(text: str) -> int:
    return len(text.expandtabs(4)) - len(text.expandtabs(4).lstrip())


def emit(builder: TextBuilder, chunks: Iterable[Chunk], **meta: Any) -> None:
    for chunk in chunks:
        extra = {**chunk.meta, **meta}
        if chunk.kind is BlockKind.TABLE and chunk.rows is not None:
            builder.add_table(chunk.rows, header=chunk.header, meta=extra)
        else:
            builder.add(chunk.kind, chunk.text, level=chunk.level, meta=extra)


def finish(builder: TextBuilder, metadata: Metadata, options: ExtractOptions) -> ExtractedDocument:
    if builder.truncated:
        metadata.warnings.append(f"The text was cut at {options.max_chars:,} characters.")
    if not builder.blocks:
        metadata.warnings.append("The file contains no text.")
    return builder.build(metadata)


def first_title(chunks: list[Chunk]) -> str | None:
    """The first top-level heading, else a heading the document opens with."""
    top = next((c.text for c in chunks if c.kind is BlockKind.HEADING and c.level == 1), None)
    return top or next((c.text for c in chunks[:1] if c.kind is BlockKind.HEADING), None)


def iso_date(value: str) -> str | None:
    """A date or timestamp from document metadata in ISO 8601, or None when it is not one."""
    text = value.strip().strip("\"'")
    try:
        if len(text) == len("2024-01-31"):
            return date.fromisoformat(text).isoformat()
        return datetime.fromisoformat(text).isoformat()
    except ValueError:
        return None


@register
class PlainTextExtractor(ByMediaType):
    name = "text"
    media_types = frozenset({PLAIN})

    def extract(self, path: Path, media_type: str, options: ExtractOptions) -> ExtractedDocument:
        decoded = read_text(path, options)
        metadata = Metadata(truncated=decoded.truncated, warnings=decoded.warnings())
        builder = TextBuilder(max_chars=options.max_chars)
        pages = decoded.text.split("\f")
        if len(pages) > 1 and not pages[-1].strip():
            pages.pop()  # a closing form feed ends the last page rather than starting an empty one
        if len(pages) > options.max_pages:
            metadata.truncated = True
            metadata.warnings.append(f"Only the first {options.max_pages} of {len(pages)} pages were read.")
        for page in pages[: options.max_pages]:
            builder.start_page()
            emit(builder, plain_chunks(page))
        first = builder.blocks[0] if builder.blocks else None
        metadata.title = first.text if first is not None and first.kind is BlockKind.HEADING else None
        return finish(builder, metadata, options)


def plain_chunks(text: str) -> list[Chunk]:
    return _PlainParser().parse(text.split("\n"))


class _PlainParser:
    """Line by line; `lines` gathers the open paragraph or list item, whose wrapped lines join with spaces."""

    def __init__(self) -> None:
        self.chunks: list[Chunk] = []
        self.lines: list[str] = []
        self.item_level: int | None = None  # set while the open block is a list item
        self.levels = IndentLevels()

    def parse(self, lines: list[str]) -> list[Chunk]:
        for line in lines:
            self._line(line)
        self._flush()
        return self.chunks

    def _line(self, line: str) -> None:
        if not line.strip():
            self._flush()
        elif UNDERLINE.match(line) and self._single_short_line():
            level = 1 if "=" in line else 2
            self.chunks.append(Chunk(BlockKind.HEADING, self.lines[0], level=level))
            self.lines = []
            self.levels.reset()
        elif RULE.match(line):
            self._flush()
        elif bullet := BULLET.match(line):
            self._flush()
            self.item_level = self.levels.level(indent_width(bullet["indent"]))
            self.lines = [bullet["ordinal"] or "", bullet["text"]]  # "3." stays: items get cited by number
        else:
            if self.item_level is None and len(self.lines) == 1 and _is_caps_heading(self.lines[0]):
                self._flush()  # "WEEKLY STATUS REPORT" straight above its first line is still a title
            if indent_width(line) == 0 and self._numbered_title():
                # "2. Programme status" with its text on the next, unindented line: a section heading.
                self.chunks.append(Chunk(BlockKind.HEADING, " ".join(self.lines).strip(), level=2))
                self.lines, self.item_level = [], None
            if not self.lines and indent_width(line) == 0:
                self.levels.reset()
            self.lines.append(line.strip())

    def _numbered_title(self) -> bool:
        if self.item_level is None or len(self.lines) != 2 or not self.lines[0]:
            return False
        title = self.lines[1]
        return (
            len(title.split()) <= MAX_TITLE_WORDS and title[:1].isupper() and not title.endswith(_CLAUSE_ENDS)
        )

    def _single_short_line(self) -> bool:
        return self.item_level is None and len(self.lines) == 1 and len(self.lines[0]) <= MAX_HEADING_CHARS

    def _flush(self) -> None:
        text = " ".join(part for part in self.lines if part)
        if self.item_level is not None:
            self.chunks.append(Chunk(BlockKind.LIST_ITEM, text, level=self.item_level))
        elif text and len(self.lines) == 1 and _is_caps_heading(text):
            self.chunks.append(Chunk(BlockKind.HEADING, text, level=1))
            self.levels.reset()
        elif text:
            self.chunks.append(Chunk(BlockKind.PARAGRAPH, text))
        self.lines, self.item_level = [], None


def _is_caps_heading(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    return (
        len(text) <= MAX_HEADING_CHARS
        and len(letters) >= MIN_CAPS_HEADING_LETTERS
        and text.isupper()
        and not text.endswith((".", ",", ";"))
    )
