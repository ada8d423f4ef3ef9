"""Text formats: plain text, Markdown and HTML, and the decoding they share.

Each format lives in its own module; importing this one registers all three extractors, and it is where
other extractors (mail) take the decoding and block helpers from.
"""

from __future__ import annotations

from pmdi.extraction.decoding import Decoded, decode_bytes, read_text
from pmdi.extraction.html import HtmlExtractor, HtmlInfo, html_chunks
from pmdi.extraction.markdown import MarkdownExtractor, inline, markdown_chunks
from pmdi.extraction.plain import Chunk, PlainTextExtractor, emit, finish, plain_chunks

__all__ = [
    "Chunk",
    "Decoded",
    "HtmlExtractor",
    "HtmlInfo",
    "MarkdownExtractor",
    "PlainTextExtractor",
    "decode_bytes",
    "emit",
    "finish",
    "html_chunks",
    "inline",
    "markdown_chunks",
    "plain_chunks",
    "read_text",
]
