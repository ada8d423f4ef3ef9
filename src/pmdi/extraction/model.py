"""The extraction result: one canonical text, split into pages and blocks that point into it by offset.

Every later stage cites evidence as (page, quote, start, end) with `text[start:end] == quote`, so offsets are
produced in one place only (`TextBuilder`) and never recomputed.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from typing import Any


class BlockKind(enum.StrEnum):
    HEADING = "heading"
    PARAGRAPH = "paragraph"
    LIST_ITEM = "list_item"
    TABLE = "table"
    EMAIL_HEADER = "email_header"


@dataclass
class Block:
    kind: BlockKind
    page: int
    start: int
    end: int
    text: str
    level: int | None = None  # heading level, list nesting
    rows: list[list[str]] | None = None  # tables: first row is the header when `header` is true
    header: bool = False
    meta: dict[str, Any] = field(default_factory=dict)  # e.g. {"sheet": "Risks"}, {"field": "from"}


@dataclass
class Page:
    number: int
    start: int
    end: int
    label: str | None = None  # slide title, sheet name
    ocr: bool = False
    ocr_confidence: float | None = None


@dataclass
class Attachment:
    filename: str
    media_type: str
    size_bytes: int
    extracted: bool = False
    text: str | None = None


@dataclass
class Metadata:
    title: str | None = None
    author: str | None = None
    created: str | None = None  # ISO 8601
    language: str | None = None
    page_count: int = 0
    ocr_used: bool = False
    ocr_confidence: float | None = None
    extractor: str = ""
    encrypted: bool = False
    truncated: bool = False
    warnings: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    email: dict[str, Any] = field(default_factory=dict)


@dataclass
class ExtractedDocument:
    text: str
    pages: list[Page]
    blocks: list[Block]
    metadata: Metadata

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ExtractedDocument:
        """The inverse of `to_dict`, for content stored by the extract stage."""
        meta = dict(data["metadata"])
        meta["attachments"] = [Attachment(**item) for item in meta.get("attachments", [])]
        blocks = [Block(**{**block, "kind": BlockKind(block["kind"])}) for block in data["blocks"]]
        return cls(
            text=data["text"],
            pages=[Page(**page) for page in data["pages"]],
            blocks=blocks,
            metadata=Metadata(**meta),
        )


class TextBuilder:
    """Appends blocks to the canonical text, recording exact offsets and page boundaries.

    Blocks are separated by a blank line; table rows by newlines and cells by " | ".
    """

    BLOCK_SEPARATOR = "\n\n"
    CELL_SEPARATOR = " | "

    def __init__(self, max_chars: int | None = None) -> None:
        self._parts: list[str] = []
        self._length = 0
        self.blocks: list[Block] = []
        self.pages: list[Page] = []
        self.max_chars = max_chars
        self.truncated = False

    def start_page(
        self, label: str | None = None, *, ocr: bool = False, confidence: float | None = None
    ) -> Page:
        self._close_page()
        page = Page(
            number=len(self.pages) + 1,
            start=self._length,
            end=self._length,
            label=label,
            ocr=ocr,
            ocr_confidence=confidence,
        )
        self.pages.append(page)
        return page

    def add(self, kind: BlockKind, text: str, **extra: Any) -> Block | None:
        text = text.strip()
        if not text or self.truncated:
            return None
        if not self.pages:
            self.start_page()
        if self._parts:
            at_page_start = self._at_page_start()
            self._append(self.BLOCK_SEPARATOR)
            if at_page_start:
                self.pages[-1].start = self._length
        if self.max_chars is not None and self._length + len(text) > self.max_chars:
            text = text[: max(0, self.max_chars - self._length)].rstrip()
            self.truncated = True
            if not text:
                return None
        start = self._length
        self._append(text)
        block = Block(
            kind=kind, page=self.pages[-1].number, start=start, end=self._length, text=text, **extra
        )
        self.blocks.append(block)
        return block

    def add_table(self, rows: list[list[str]], *, header: bool = True, **extra: Any) -> Block | None:
        cleaned = [[" ".join(str(cell).split()) for cell in row] for row in rows]
        cleaned = [row for row in cleaned if any(row)]
        if not cleaned:
            return None
        text = "\n".join(self.CELL_SEPARATOR.join(row) for row in cleaned)
        return self.add(BlockKind.TABLE, text, rows=cleaned, header=header, **extra)

    def _at_page_start(self) -> bool:
        return bool(self.pages) and self.pages[-1].start == self._length

    def _append(self, text: str) -> None:
        self._parts.append(text)
        self._length += len(text)

    def _close_page(self) -> None:
        if self.pages:
            self.pages[-1].end = self._length

    def build(self, metadata: Metadata) -> ExtractedDocument:
        self._close_page()
        if not self.pages:
            self.start_page()
            self._close_page()
        metadata.page_count = len(self.pages)
        metadata.truncated = metadata.truncated or self.truncated
        return ExtractedDocument(
            text="".join(self._parts), pages=self.pages, blocks=self.blocks, metadata=metadata
        )
