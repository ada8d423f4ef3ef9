"""HTML: the visible text in document order as headings, paragraphs, list items, tables, code and quotes.

The tree is walked with an explicit stack, so no nesting depth can exhaust Python's recursion limit.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

from selectolax.lexbor import LexborHTMLParser, LexborNode

from pmdi.documents.sniff import HTML
from pmdi.extraction.base import ByMediaType, ExtractOptions, register
from pmdi.extraction.decoding import INVISIBLE, read_text
from pmdi.extraction.model import BlockKind, ExtractedDocument, Metadata, TextBuilder
from pmdi.extraction.plain import Chunk, emit, finish, first_title, iso_date, plain_chunks

# Navigation and asides repeat on every page of a site; forms are kept because some sites wrap
# the whole page in one.
DROPPED = frozenset(
    {"head", "script", "style", "noscript", "template", "svg", "nav", "aside", "iframe", "object"}
    | {"embed", "canvas", "select", "button", "input", "textarea", "img"}
)
BLOCKS = frozenset(
    {"address", "article", "blockquote", "body", "caption", "center", "dd", "details", "dialog", "div"}
    | {"dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "header", "hgroup", "hr"}
    | {"html", "legend", "li", "main", "menu", "ol", "p", "section", "summary", "table", "tbody"}
    | {"td", "tfoot", "th", "thead", "tr", "ul", "h1", "h2", "h3", "h4", "h5", "h6"}
)
HEADINGS = {f"h{level}": level for level in range(1, 7)}
LISTS = frozenset({"ul", "ol", "menu"})
AUTHOR_NAMES = frozenset({"author", "dc.creator", "dcterms.creator"})
DATE_NAMES = frozenset({"date", "dc.date", "dcterms.created", "article:published_time", "created"})
# lexbor's parse time grows with the square of the depth of nested containers (20,000 divs: 1 s).
MAX_CONTAINER_DEPTH = 4000
_CONTAINER_TAG = re.compile(r"<(/?)(?:div|section|article|blockquote|ul|ol|dl|table|center|details)\b", re.I)
_DECLARED_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.I)
_FLAT_BREAK = re.compile(r"<(?:br|/?(?:p|div|li|h[1-6]|tr|table|section|article|blockquote))\b[^>]*>", re.I)
_SPACES = re.compile(r"\s+")
_PARAGRAPH_BREAK = re.compile(r" *\n(?: *\n)+ *")  # two <br> in a row end a paragraph


@dataclass
class HtmlInfo:
    title: str | None = None
    author: str | None = None
    created: str | None = None


@register
class HtmlExtractor(ByMediaType):
    name = "html"
    media_types = frozenset({HTML})

    def extract(self, path: Path, media_type: str, options: ExtractOptions) -> ExtractedDocument:
        with path.open("rb") as handle:
            declared = _DECLARED_CHARSET.search(handle.read(1024))
        decoded = read_text(path, options, declared[1].decode("ascii") if declared else None)
        metadata = Metadata(truncated=decoded.truncated, warnings=decoded.warnings())
        info, chunks = html_chunks(decoded.text, metadata.warnings)
        metadata.title, metadata.author, metadata.created = info.title, info.author, info.created
        builder = TextBuilder(max_chars=options.max_chars)
        builder.start_page()
        emit(builder, chunks)
        return finish(builder, metadata, options)


def html_chunks(markup: str, warnings: list[str]) -> tuple[HtmlInfo, list[Chunk]]:
    """Blocks of an HTML document or fragment, and its title, author and date."""
    if _container_depth(markup) > MAX_CONTAINER_DEPTH:
        warnings.append("The HTML nests too deeply to read its structure; only its text was kept.")
        return HtmlInfo(), _flattened(markup)
    tree = LexborHTMLParser(markup)
    walker = _Walker()
    if tree.root is not None:
        walker.walk(tree.root)
    info = _info(tree)
    if info.title is None:
        info.title = first_title(walker.chunks)
    return info, walker.chunks


def _container_depth(markup: str) -> int:
    depth = deepest = 0
    for match in _CONTAINER_TAG.finditer(markup):
        depth = max(0, depth - 1) if match[1] else depth + 1
        deepest = max(deepest, depth)
    return deepest


def _flattened(markup: str) -> list[Chunk]:
    markup = re.sub(r"<(script|style)\b.*?</\1\s*>", " ", markup, flags=re.I | re.S)
    markup = _FLAT_BREAK.sub("\n\n", markup)
    return plain_chunks(html.unescape(re.sub(r"<[^>]*>", " ", markup)))


def _info(tree: LexborHTMLParser) -> HtmlInfo:
    info = HtmlInfo()
    title = tree.css_first("title")
    if title is not None:
        info.title = _SPACES.sub(" ", title.text()).strip() or None
    for meta in tree.css("meta"):
        key = (meta.attrs.sget("name") or meta.attrs.sget("property")).lower()
        content = _SPACES.sub(" ", meta.attrs.sget("content")).strip()
        if key in AUTHOR_NAMES and content and info.author is None:
            info.author = content
        elif key in DATE_NAMES and info.created is None:
            info.created = iso_date(content)
    return info


class _Walker:
    """Inline text gathers in `buffer` until a block element starts or ends; the innermost heading, list
    item or quote around it decides what kind of block it becomes."""

    def __init__(self) -> None:
        self.chunks: list[Chunk] = []
        self.buffer: list[str] = []
        self.contexts: list[tuple[BlockKind, int | None]] = []
        self.list_depth = 0
        self.quote_depth = 0

    def walk(self, root: LexborNode) -> None:
        stack: list[tuple[LexborNode, bool]] = [(root, True)]
        while stack:
            node, entering = stack.pop()
            tag = node.tag or ""
            if not entering:
                self._leave(tag)
            elif tag == "-text":
                self.buffer.append(_SPACES.sub(" ", (node.text_content or "").translate(INVISIBLE)))
            elif tag == "br":
                self.buffer.append("\n")
            elif (tag.startswith("-") and tag != "-document") or tag in DROPPED:
                continue
            elif tag == "pre" or (tag == "table" and not _is_layout_table(node)):
                self._flush()
                self.chunks.append(_pre(node) if tag == "pre" else _table(node))
            else:
                if tag in BLOCKS:
                    self._enter(tag)
                    stack.append((node, False))
                stack.extend((child, True) for child in reversed(list(node.iter(include_text=True))))

    def _enter(self, tag: str) -> None:
        self._flush()
        if tag in HEADINGS:
            self.contexts.append((BlockKind.HEADING, HEADINGS[tag]))
        elif tag == "li":
            self.contexts.append((BlockKind.LIST_ITEM, max(1, self.list_depth)))
        elif tag in LISTS:
            self.list_depth += 1
        elif tag == "blockquote":
            self.quote_depth += 1

    def _leave(self, tag: str) -> None:
        self._flush()
        if tag in HEADINGS or tag == "li":
            self.contexts.pop()
        elif tag in LISTS:
            self.list_depth -= 1
        elif tag == "blockquote":
            self.quote_depth -= 1

    def _flush(self) -> None:
        text = "".join(self.buffer).strip()
        self.buffer = []
        if not text:
            return
        kind, level = self.contexts[-1] if self.contexts else (BlockKind.PARAGRAPH, None)
        meta = {"quote": True} if self.quote_depth else {}
        pieces = [text] if kind is BlockKind.HEADING else _PARAGRAPH_BREAK.split(text)
        for piece in pieces:
            piece = _SPACES.sub(" ", piece).strip()
            if piece:
                self.chunks.append(Chunk(kind, piece, level=level, meta=dict(meta)))


def _pre(node: LexborNode) -> Chunk:
    return Chunk(BlockKind.PARAGRAPH, node.text().translate(INVISIBLE).rstrip(), meta={"code": True})


def _is_layout_table(table: LexborNode) -> bool:
    """Tables that only position content (nested tables, a single column) are read as ordinary blocks."""
    if len(table.css("table")) > 1:
        return True
    return all(len(_cells(row)) <= 1 for row in table.css("tr"))


def _table(table: LexborNode) -> Chunk:
    rows = [[_inline_text(cell) for cell in _cells(row)] for row in table.css("tr")]
    first = table.css_first("tr")
    header = table.css_first("thead") is not None or (
        first is not None and all(cell.tag == "th" for cell in _cells(first))
    )
    return Chunk(BlockKind.TABLE, "", rows=rows, header=header)


def _cells(row: LexborNode) -> list[LexborNode]:
    return [cell for cell in row.iter() if cell.tag in ("td", "th")]


def _inline_text(node: LexborNode) -> str:
    parts = []
    for item in node.traverse(include_text=True):
        if item.tag == "-text" and (item.parent is None or item.parent.tag not in DROPPED):
            parts.append(item.text_content or "")
        elif item.tag in BLOCKS or item.tag == "br":
            parts.append(" ")
    return _SPACES.sub(" ", "".join(parts).translate(INVISIBLE)).strip()
