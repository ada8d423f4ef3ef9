"""The extractor protocol, the options every extractor honours, and the registry that picks the best one."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pmdi.extraction.errors import UnsupportedFormat
from pmdi.extraction.model import ExtractedDocument


@dataclass(frozen=True)
class ExtractOptions:
    filename: str = ""
    max_pages: int = 500
    max_chars: int = 5_000_000
    max_image_pixels: int = 60_000_000
    max_unzipped_bytes: int = 256 * 1024 * 1024
    max_compression_ratio: int = 200
    ocr_provider: str = "tesseract"  # a key of pmdi.extraction.ocr.OCR_PROVIDERS, or "none"
    ocr_language: str = "eng"
    ocr_dpi: int = 300
    # A page whose text layer has fewer characters than this is OCRed (when it has an image).
    min_text_chars_per_page: int = 20


class Extractor(Protocol):
    name: str
    media_types: frozenset[str]

    def score(self, path: Path, media_type: str) -> float:
        """0 when this extractor cannot handle the file; higher wins."""
        ...

    def extract(self, path: Path, media_type: str, options: ExtractOptions) -> ExtractedDocument: ...


_FACTORIES: list[Callable[[], Extractor]] = []


class ByMediaType:
    """Each extractor handles exactly the media types it lists."""

    media_types: frozenset[str]

    def score(self, path: Path, media_type: str) -> float:
        return 1.0 if media_type in self.media_types else 0.0


def register(factory: Callable[[], Extractor]) -> Callable[[], Extractor]:
    _FACTORIES.append(factory)
    return factory


def best_extractor(path: Path, media_type: str) -> Extractor:
    _load_builtin()
    candidates = [factory() for factory in _FACTORIES]
    scored = [(e.score(path, media_type), e) for e in candidates if media_type in e.media_types]
    scored = [(score, e) for score, e in scored if score > 0]
    if not scored:
        raise UnsupportedFormat(f"No extractor handles {media_type}.")
    return max(scored, key=lambda pair: pair[0])[1]


def extract(path: Path, media_type: str, options: ExtractOptions) -> ExtractedDocument:
    """Synchronous and CPU-bound: call it through `pmdi.extraction.sandbox`, never on the event loop."""
    extractor = best_extractor(path, media_type)
    document = extractor.extract(path, media_type, options)
    document.metadata.extractor = extractor.name
    return document


def _load_builtin() -> None:
    # Imported here, not at the top, because the extractor modules import this one to register.
    importlib.import_module("pmdi.extraction.builtin")
