"""Evidence for every item: the page and the verbatim quote, always sliced from the document text so that
`text[start:end] == quote` holds by construction."""

from __future__ import annotations

import bisect

from pmdi.analysis.schemas import Evidence
from pmdi.extraction.model import ExtractedDocument

MAX_QUOTE_CHARS = 600


class EvidenceMaker:
    def __init__(self, document: ExtractedDocument) -> None:
        self.text = document.text
        self.pages = document.pages
        self._starts = [page.start for page in document.pages]

    def page_of(self, offset: int) -> int:
        if not self.pages:
            return 1
        index = max(0, bisect.bisect_right(self._starts, offset) - 1)
        return self.pages[index].number

    def make(self, start: int, end: int) -> Evidence:
        """The span trimmed of surrounding whitespace; a long span keeps its opening only."""
        start, end = max(0, start), min(len(self.text), end)
        while start < end and self.text[start].isspace():
            start += 1
        while end > start and self.text[end - 1].isspace():
            end -= 1
        if end - start > MAX_QUOTE_CHARS:
            cut = self.text.rfind(" ", start, start + MAX_QUOTE_CHARS)
            end = cut if cut > start else start + MAX_QUOTE_CHARS
        return Evidence(page=self.page_of(start), quote=self.text[start:end], start=start, end=end)
