"""Markdown: front matter becomes metadata; headings, lists, task lists, pipe tables, code, quotes and raw
HTML become blocks; inline markup is stripped so the text reads as the rendered page does."""

from __future__ import annotations

import html
import re
from pathlib import Path

from pmdi.documents.sniff import MARKDOWN
from pmdi.extraction.base import ByMediaType, ExtractOptions, register
from pmdi.extraction.decoding import read_text
from pmdi.extraction.html import BLOCKS, DROPPED, html_chunks
from pmdi.extraction.model import BlockKind, ExtractedDocument, Metadata, TextBuilder
from pmdi.extraction.plain import Chunk, IndentLevels, emit, finish, first_title, indent_width, iso_date

MAX_FRONT_MATTER_LINES = 1000
MAX_HTML_BLOCK_LINES = 2000  # an unclosed HTML element ends at the next blank line after this search

_FRONT_MATTER_KEY = re.compile(r"^([A-Za-z_][\w-]*):[ \t]*(.*?)[ \t]*$")
_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})[ \t]*([^`\s]*)")
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
# "##Scope" without the space, as documents converted from Word have; one "#" stays text ("#123").
_TIGHT_ATX = re.compile(r"^ {0,3}(#{2,6})([^#\s].*?)(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(?:=+|-+)[ \t]*$")
_RULE = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_BULLET = re.compile(r"^(?P<indent>[ \t]*)(?:[-*+]|(?P<ordinal>\d{1,9}[.)]))[ \t]+(?P<text>\S.*)$")
_TASK = re.compile(r"^\[([ xX])\][ \t]+")
_TABLE_SEPARATOR = re.compile(r"^[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_QUOTE = re.compile(r"^ {0,3}>")
_QUOTE_MARKS = re.compile(r"^(?: {0,3}>[ \t]?)+")
_HTML_START = re.compile(r"^ {0,3}<([A-Za-z][A-Za-z0-9]*)[\s/>]|^ {0,3}<!--")
_LINK_DEFINITION = re.compile(r"^ {0,3}\[([^\]^][^\]]*)\]:[ \t]*\S")

# Every repeat below is bounded: unbounded spans let a line of "[[[[" or "__a __a" take minutes.
_TOKEN = re.compile(r"\x00(\d+)\x01")  # stands in for text that markup rules must not touch
_CODE_SPAN = re.compile(r"(?<!`)(`{1,8})(?!`)(.{1,2000}?)(?<!`)\1(?!`)", re.S)
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_AUTOLINK = re.compile(
    r"<((?:https?|ftp|mailto):[^\s<>]{1,2000}|[^\s<>@]{1,200}@[^\s<>@]{1,200}\.[^\s<>@]{1,50})>"
)
_BARE_URL = re.compile(r"\bhttps?://[^\s<>()\[\]]{0,2000}[^\s<>()\[\]*_~.,;:!?'\"]")  # not closing markup
_LINK_TEXT = r"\[((?:[^\[\]]|\[[^\[\]]{0,200}\]){0,500})\]"  # one level of brackets inside: [[x] y](z)
_IMAGE = re.compile(r"!\[([^\[\]]{0,500})\]\([^()]{0,2000}\)")
_LINK = re.compile(
    _LINK_TEXT + r"\(\s*(?:[^()\s]|\([^()\s]{0,200}\)){0,2000}(?:\s+(?:\"[^\"]{0,500}\"|'[^']{0,500}'))?\s*\)"
)
_REFERENCE_LINK = re.compile(r"!?\[([^\[\]]{1,500})\]\[[^\[\]]{0,500}\]")
_SHORTCUT_LINK = re.compile(r"\[([^\[\]]{1,500})\](?![(\[:])")
_ATTRIBUTE_LIST = re.compile(r"\{:[^}]{0,500}\}")  # kramdown's "{: .class}"
_LINE_BREAK_TAG = re.compile(r"<br\s*/?>", re.I)
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]{0,50}(?:\s[^<>]{0,2000})?/?>|<!--[^<>]{0,5000}?-->")
# Emphasis never spans its own marker, so each attempt stops at the next one; nesting ("**a *b* c**")
# unwraps from the inside out over repeated passes.
_EMPHASIS = [
    re.compile(r"(?<!\*)\*(?=[^\s*])([^*]{1,1000}?)(?<=[^\s*])\*(?!\*)"),
    re.compile(r"(?<!\w)_(?=[^\s_])([^_]{1,1000}?)(?<=[^\s_])_(?!\w)"),
    re.compile(r"\*\*(?=[^\s*])([^*]{1,1000}?)(?<=[^\s*])\*\*"),
    re.compile(r"(?<!\w)__(?=[^\s_])([^_]{1,1000}?)(?<=[^\s_])__(?!\w)"),
    re.compile(r"~~(?=[^\s~])([^~]{1,1000}?)(?<=[^\s~])~~"),
]
EMPHASIS_PASSES = 3
_STRUCK = re.compile(r"(?:\d{1,3}[.)]\s*)?~~[^~].*~~\W*", re.S)
_MARKUP = re.compile(r"[`\\<\[*_~&{]|://")  # text without any of these has no inline markup


@register
class MarkdownExtractor(ByMediaType):
    name = "markdown"
    media_types = frozenset({MARKDOWN})

    def extract(self, path: Path, media_type: str, options: ExtractOptions) -> ExtractedDocument:
        decoded = read_text(path, options)
        metadata = Metadata(truncated=decoded.truncated, warnings=decoded.warnings())
        lines = read_front_matter(decoded.text.split("\n"), metadata)
        chunks = markdown_chunks(lines, metadata.warnings)
        if metadata.title is None:
            metadata.title = first_title(chunks)
        builder = TextBuilder(max_chars=options.max_chars)
        builder.start_page()
        emit(builder, chunks)
        return finish(builder, metadata, options)


def read_front_matter(lines: list[str], metadata: Metadata) -> list[str]:
    """Take title, author and date from a leading "---" block; return the lines after it."""
    if not lines or lines[0].strip() != "---":
        return lines
    end = next(
        (i for i, line in enumerate(lines[1:MAX_FRONT_MATTER_LINES], 1) if line.strip() in ("---", "...")),
        None,
    )
    if end is None or not all(_is_yaml_line(line) for line in lines[1:end]):
        return lines  # an opening rule, not front matter
    for line in lines[1:end]:
        match = _FRONT_MATTER_KEY.match(line)
        value = match[2].strip("\"'") if match else ""
        if not match or not value or value[0] in "|>[{":
            continue  # indented continuations and multi-line values carry nothing we use
        key = match[1].lower()
        if key == "title":
            metadata.title = value
        elif key == "author":
            metadata.author = value
        elif key in ("date", "created"):
            metadata.created = iso_date(value) or metadata.created
    return lines[end + 1 :]


def _is_yaml_line(line: str) -> bool:
    return not line.strip() or line[0] in " \t-#" or _FRONT_MATTER_KEY.match(line) is not None


def markdown_chunks(lines: list[str], warnings: list[str]) -> list[Chunk]:
    labels = {m[1].strip().lower() for line in lines if (m := _LINK_DEFINITION.match(line))}
    return _MarkdownParser(labels, warnings).parse(lines)


class _MarkdownParser:
    """Line by line; `lines` gathers the open paragraph or list item (`item` holds its level and meta)."""

    def __init__(self, labels: set[str], warnings: list[str]) -> None:
        self.labels, self.warnings = labels, warnings
        self.chunks: list[Chunk] = []
        self.lines: list[str] = []
        self.hard_break = False
        self.item: tuple[int, dict[str, bool]] | None = None
        self.levels = IndentLevels()

    def parse(self, lines: list[str]) -> list[Chunk]:
        index = 0
        while index < len(lines):
            index = self._block(lines, index)
        self._flush()
        return self.chunks

    def _block(self, lines: list[str], index: int) -> int:
        line = lines[index]
        if fence := _FENCE.match(line):
            return self._fence(lines, index, fence[1], fence[2])
        if _QUOTE.match(line):
            return self._quote(lines, index)
        start = _HTML_START.match(line)
        if start and (start[1] is None or start[1].lower() in BLOCKS | DROPPED | {"pre"}):
            return self._html(lines, index, start[1])
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if "|" in line and "|" in following and _TABLE_SEPARATOR.match(following):
            return self._table(lines, index)
        self._line(line)
        return index + 1

    def _line(self, line: str) -> None:
        if not line.strip() or _LINK_DEFINITION.match(line):
            self._flush()
        elif _SETEXT.match(line) and self.lines and self.item is None:
            self._heading(1 if "=" in line else 2, " ".join(self.lines))
            self.lines = []
        elif _RULE.match(line):
            self._flush()
        elif atx := _ATX.match(line) or _TIGHT_ATX.match(line):
            self._flush()
            self._heading(len(atx[1]), atx[2] or "")
        elif bullet := _BULLET.match(line):
            self._flush()
            text, meta = bullet["text"], {}
            if task := _TASK.match(text):
                text, meta = text[task.end() :], {"checked": task[1] != " "}
            self.item = (self.levels.level(indent_width(bullet["indent"])), meta)
            self.lines = [bullet["ordinal"] or "", text]  # "3." stays: items get cited by number
        else:
            if not self.lines and indent_width(line) == 0:
                self.levels.reset()
            if self.lines and (self.hard_break or _FIELD_LINE.match(line.strip())):
                self.lines.append(_LINE_BREAK)
            self.lines.append(line.strip().removesuffix("\\"))
        self.hard_break = line.endswith(("  ", "\\"))

    def _heading(self, level: int, text: str) -> None:
        self.levels.reset()
        self.chunks.append(Chunk(BlockKind.HEADING, inline(text, self.labels), level=level))

    def _flush(self) -> None:
        # Hard breaks and "Field: value" lines stay separate lines: notes write one field per line and
        # "Project manager: Sofia Romero" must not run into "Overall status: Amber".
        joined = " ".join(part for part in self.lines if part)
        lines = joined.split(_LINE_BREAK)
        text = "\n".join(part for part in (inline(line, self.labels) for line in lines) if part)
        # A struck-through item or paragraph ("~~Book the venue~~") is one a later document marks done.
        struck = {"struck": True} if _STRUCK.fullmatch(joined.strip()) else {}
        if self.item is not None:
            level, meta = self.item
            self.chunks.append(Chunk(BlockKind.LIST_ITEM, text, level=level, meta={**meta, **struck}))
        elif text:
            self.chunks.append(Chunk(BlockKind.PARAGRAPH, text, meta=struck))
        self.lines, self.item = [], None

    def _fence(self, lines: list[str], index: int, marker: str, language: str) -> int:
        self._flush()
        indent = indent_width(lines[index])
        closing = re.compile(rf"^[ \t]*{re.escape(marker[0])}{{{len(marker)},}}[ \t]*$")
        end = next((i for i in range(index + 1, len(lines)) if closing.match(lines[i])), len(lines))
        body = [re.sub(rf"^ {{0,{indent}}}", "", line) for line in lines[index + 1 : end]]
        meta: dict[str, object] = {"code": True, **({"language": language} if language else {})}
        self.chunks.append(Chunk(BlockKind.PARAGRAPH, "\n".join(body), meta=meta))
        return end + 1

    def _quote(self, lines: list[str], index: int) -> int:
        self._flush()
        end = next((i for i in range(index, len(lines)) if not _QUOTE.match(lines[i])), len(lines))
        inner = [_QUOTE_MARKS.sub("", line) for line in lines[index:end]]
        for chunk in _MarkdownParser(self.labels, self.warnings).parse(inner):
            chunk.meta["quote"] = True
            self.chunks.append(chunk)
        return end

    def _html(self, lines: list[str], index: int, tag: str | None) -> int:
        self._flush()
        end = _html_block_end(lines, index, tag)
        if tag is not None:  # comments are dropped
            self.chunks.extend(html_chunks("\n".join(lines[index:end]), self.warnings)[1])
        return end

    def _table(self, lines: list[str], index: int) -> int:
        self._flush()
        end = next((i for i in range(index + 2, len(lines)) if "|" not in lines[i]), len(lines))
        rows = [self._cells(line) for line in [lines[index], *lines[index + 2 : end]]]
        self.chunks.append(Chunk(BlockKind.TABLE, "", rows=rows, header=True))
        return end

    def _cells(self, line: str) -> list[str]:
        row = line.strip()
        row = row[1:] if row.startswith("|") else row
        row = row[:-1] if row.endswith("|") and not row.endswith("\\|") else row
        return [inline(cell, self.labels) for cell in _CELL_SPLIT.split(row)]


def _html_block_end(lines: list[str], index: int, tag: str | None) -> int:
    """A comment runs to "-->"; an element to its matching close tag, else to the next blank line."""
    if tag is None:
        closing = next((i for i in range(index, len(lines)) if "-->" in lines[i]), len(lines) - 1)
        return closing + 1
    opener = re.compile(rf"<{tag}[\s/>]", re.I)
    closer = re.compile(rf"</{tag}\s*>", re.I)
    depth = 0
    for i in range(index, min(len(lines), index + MAX_HTML_BLOCK_LINES)):
        depth += len(opener.findall(lines[i])) - len(closer.findall(lines[i]))
        if depth <= 0:
            return i + 1
    return next((i for i in range(index + 1, len(lines)) if not lines[i].strip()), len(lines))


_LINE_BREAK = "\x02"  # a control character cannot occur in decoded text, which drops them
_FIELD_LINE = re.compile(r"^(?:\*\*|__)?[A-Z][\w&/() -]{0,40}(?::(?:\*\*|__)|(?:\*\*|__):|:)(?:\s|$)")


def inline(text: str, labels: set[str] | frozenset[str] = frozenset()) -> str:
    """Markdown inline markup → the text a reader sees: link and image text kept, URLs and markers gone."""
    if not _MARKUP.search(text):
        return " ".join(text.split())
    kept: list[str] = []

    def keep(value: str) -> str:
        kept.append(value)
        return f"\x00{len(kept) - 1}\x01"

    text = _CODE_SPAN.sub(lambda m: keep(m[2]), text)
    text = _ESCAPE.sub(lambda m: keep(m[1]), text)
    text = _AUTOLINK.sub(lambda m: keep(m[1].removeprefix("mailto:")), text)
    text = _IMAGE.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    text = _BARE_URL.sub(lambda m: keep(m[0]), text)
    text = _REFERENCE_LINK.sub(r"\1", text)
    text = _SHORTCUT_LINK.sub(lambda m: m[1] if m[1].strip().lower() in labels else m[0], text)
    text = _TAG.sub("", _LINE_BREAK_TAG.sub(" ", _ATTRIBUTE_LIST.sub("", text)))
    for _ in range(EMPHASIS_PASSES):
        before = text
        for pattern in _EMPHASIS:
            text = pattern.sub(r"\1", text)
        if text == before:
            break
    # Bold that CommonMark leaves unrendered ("**Decision: **text") was still meant as bold.
    text = text.replace("**", "")
    text = html.unescape(text)
    return " ".join(_TOKEN.sub(lambda m: kept[int(m[1])], text).split())
