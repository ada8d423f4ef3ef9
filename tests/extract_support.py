"""What every extraction test checks and needs: offsets that quote exactly, and extractors by media type."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pmdi.extraction.base import ExtractOptions, best_extractor
from pmdi.extraction.model import Block, BlockKind, ExtractedDocument


def check_offsets(doc: ExtractedDocument) -> None:
    """Pages are numbered 1..n, and every block's text is exactly the text at its offsets, inside its page."""
    assert [page.number for page in doc.pages] == list(range(1, len(doc.pages) + 1))
    assert doc.metadata.page_count == len(doc.pages)
    for block in doc.blocks:
        assert doc.text[block.start : block.end] == block.text
        page = doc.pages[block.page - 1]
        assert page.start <= block.start <= block.end <= page.end


def extract(path: Path, media_type: str, **options: Any) -> ExtractedDocument:
    extractor = best_extractor(path, media_type)
    assert extractor.score(path, media_type) > 0
    doc = extractor.extract(path, media_type, ExtractOptions(**options))
    check_offsets(doc)
    return doc


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def kinds(doc: ExtractedDocument, kind: BlockKind) -> list[Block]:
    return [block for block in doc.blocks if block.kind is kind]
