"""The document as the rules read it: units (list items, sentences, table rows, headings) with absolute
offsets, each tagged with the section it sits in ("Action items", "Decisions", "Attendees"...).

Sections come from headings and from label lines ("Action Items:-", "**Decisions**"), because Markdown
notes use bold labels as often as headings and plain text has no headings at all.
"""

from __future__ import annotations

import enum
import itertools
import re
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

import nupunkt

from pmdi.analysis.rules.columns import TableColumns
from pmdi.extraction.model import Block, BlockKind, ExtractedDocument


class Section(enum.StrEnum):
    NONE = "none"
    ACTIONS = "actions"
    DECISIONS = "decisions"
    PENDING = "pending"  # open questions, decisions still to be made
    RISKS = "risks"
    ATTENDEES = "attendees"
    LEGEND = "legend"
    MILESTONES = "milestones"
    DONE = "done"
    AGENDA = "agenda"
    STATUS = "status"
    OTHER = "other"  # a labelled section of no interest ("Notes:"), which ends the one before it


# Order matters: the first pattern that matches a heading decides ("Completed actions" is DONE).
_SECTION_PATTERNS: list[tuple[Section, re.Pattern[str]]] = [
    (
        Section.PENDING,
        re.compile(
            r"\b(open (questions|issues|decisions)|decisions? (required|needed|pending|to be made)|"
            r"pending decisions?|parking lot|questions)\b"
        ),
    ),
    (
        Section.DONE,
        re.compile(
            r"\b(completed|accomplish\w*|achievements?|done|closed|finished|what went well|went well|"
            r"highlights|wins)\b"
        ),
    ),
    (
        Section.ACTIONS,
        re.compile(
            r"\b(action[- ]?items?|action points?|actions?|ais|next steps?|to-?dos?|follow[- ]?ups?|"
            r"planned next|^next (week|sprint|period|month)$|plans? for next|"
            r"open items|tasks|assignments|action register|action log|next actions)\b"
        ),
    ),
    (Section.DONE, re.compile(r"\b(progress|last (week|sprint|period)|this (week|sprint|period))\b")),
    (
        Section.DECISIONS,
        re.compile(
            r"\b(decisions?|decision log|resolutions?|resolved|agreements?|agreed|conclusions?|"
            r"outcomes?|consented|motions?|votes?)\b"
        ),
    ),
    (
        Section.RISKS,
        re.compile(r"\b(risks?|raid|risk register|issues and risks|risks and issues|concerns|threats)\b"),
    ),
    (
        Section.ATTENDEES,
        re.compile(
            r"\b(attendees|attendance|present|participants|attending|apologies|absent|absences|regrets|"
            r"invitees|members|in attendance|roll call|who)\b"
        ),
    ),
    (Section.MILESTONES, re.compile(r"\b(milestones?|key dates|timeline|schedule|release plan|roadmap)\b")),
    (Section.LEGEND, re.compile(r"\b(legend|initials|key|abbreviations)\b")),
    (Section.AGENDA, re.compile(r"\b(agenda|topics|discussion items)\b")),
    (Section.STATUS, re.compile(r"^(status|current status|overall status)$")),
]
_LABEL_END = re.compile(r"\s*(?::-?|-|\u2013|\u2014|:\s*-)\s*$")
_LABEL = re.compile(r"^([A-Z][\w&/()' -]{1,60}?)\s*(?::-?|:\s*-)\s*$")
# A plain-text label merged with the line after it: "Decisions Agreed to move go-live..." or "Date: 3/4".
_INLINE_LABEL = re.compile(
    r"^(?P<label>(?>(?i:action items?|actions?|action points|next steps|decisions?|risks?|issues|milestones|"
    r"attendees|participants|present|key dates|open questions|to-?do)))"
    r"(?:(?P<colon>\s*:-?\s+)(?=[A-Za-z@\[\d])|\s*(?:-|\u2013)?\s+(?=[A-Z@\[\d]))"
)
_FIELD_LINE = re.compile(r"\n(?=[A-Z][\w&/() -]{0,40}:\s)")
_FIELD_SPLIT = re.compile(
    r"(?<=\S)\s+(?=(?:(?i:date|time|location|attendees|present|participants|apologies|absent|chair|"
    r"facilitator|note[- ]?taker|scribe|agenda|legend|prepared by|author)|Action items?|Actions?|Decisions?|"
    r"Risks?|Next steps|Key|Project|Status|Subject)\s*:)"
)
_MAX_LABEL_PARAGRAPH = 200
_FORWARDED = re.compile(
    r"^\s*(?:-{2,}\s*(?:original message|forwarded message)\s*-{2,}|from:\s.{1,200}\b(?:sent|date):\s)",
    re.I | re.S,
)
_MAX_TITLE_ROWS = 4


def section_of(heading: str) -> Section | None:
    text = " ".join(re.sub(r"[*_#`:]+", " ", heading).lower().split())
    if not text:
        return None
    for section, pattern in _SECTION_PATTERNS:
        if pattern.search(text):
            return section
    return None


def label_section(text: str) -> Section | None:
    """A paragraph that is only a label ("Action Items:-", "Decisions", "Notes:") names a section."""
    stripped = _LABEL_END.sub("", text).strip()
    if not stripped or len(stripped) > 60 or stripped.endswith((".", "?", "!")):
        return None
    has_colon = bool(_LABEL.match(text.strip()))
    found = section_of(stripped)
    if found is not None and (has_colon or len(stripped.split()) <= 5):
        return found
    return Section.OTHER if has_colon and len(stripped.split()) <= 4 else None


@dataclass(frozen=True)
class Unit:
    """One citable piece of a block: `text == document.text[start:end]`."""

    block: Block
    start: int
    end: int
    text: str
    section: Section
    kind: str  # "item", "sentence", "row", "heading"
    row: tuple[str, ...] = ()
    header: tuple[str, ...] = ()
    heading: str = ""  # the nearest heading above, for context
    quoted: bool = False  # an earlier message quoted in an email: never a source of new items


@dataclass
class Structure:
    document: ExtractedDocument
    units: list[Unit] = field(default_factory=list)
    block_sections: list[Section] = field(default_factory=list)


T = TypeVar("T")


def visit(
    structure: Structure,
    on_table: Callable[[Unit], Iterable[T]],
    on_unit: Callable[[Unit], Iterable[T]],
    *,
    headings: bool = False,
) -> list[T]:
    """What the finders collect over the document: each table once, as a whole, from its first row; every
    other unit on its own. Quoted email text never counts; headings and labels only when asked for."""
    found: list[T] = []
    tables: set[int] = set()
    for unit in structure.units:
        if unit.quoted or (not headings and unit.kind in ("heading", "label")):
            continue
        if unit.kind != "row":
            found.extend(on_unit(unit))
        elif id(unit.block) not in tables:
            tables.add(id(unit.block))
            found.extend(on_table(unit))
    return found


def unique(items: Iterable[T], key: Callable[[T], Hashable]) -> list[T]:
    """The first of each group of items with the same key, in order; items with an empty key are dropped."""
    seen: set[Hashable] = set()
    kept: list[T] = []
    for item in items:
        value = key(item)
        if value and value not in seen:
            seen.add(value)
            kept.append(item)
    return kept


def normalised(text: str) -> str:
    return " ".join(text.lower().split())


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentence offsets within `text`, trimmed; "Label: value" fields run together by plain text split too,
    and a line that opens with any "Label:" starts a new unit ("Council: A, B\nMissing attendees: C")."""
    spans: list[tuple[int, int]] = []
    lines = [0] + [m.start() + 1 for m in _FIELD_LINE.finditer(text)] + [len(text)]
    for line_start, line_end in itertools.pairwise(lines):
        segment = text[line_start:line_end]
        for start, end in nupunkt.sent_spans(segment):
            piece = segment[start:end]
            cuts = [start] + [start + m.end() for m in _FIELD_SPLIT.finditer(piece)] + [end]
            for a, b in itertools.pairwise(cuts):
                spans.extend(_trim(text, line_start + a, line_start + b))
    return spans


def _trim(text: str, start: int, end: int) -> list[tuple[int, int]]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return [(start, end)] if end > start else []


def header_row(rows: list[list[str]], has_header: bool) -> int:
    """The header's index: spreadsheets often open with a title row or two above the real header."""
    for index, row in enumerate(rows[: _MAX_TITLE_ROWS + 1]):
        if TableColumns.of(row).is_register():
            return index
    return 0 if has_header and rows else -1


def build(document: ExtractedDocument) -> Structure:
    return _Builder(document).run()


class _Builder:
    def __init__(self, document: ExtractedDocument) -> None:
        self.document = document
        self.structure = Structure(document)
        self.headings: list[tuple[int, Section | None, str]] = []  # (level, section, text)
        self.label: Section | None = None
        self.label_seen_list = False
        self.labels: set[int] = set()
        self.quoting = False  # label paragraphs, which name a section and hold no item

    def run(self) -> Structure:
        for block in self.document.blocks:
            # Outlook quotes the earlier message under a "From: ... Sent: ..." block, without ">" marks.
            is_mail = bool(self.document.metadata.email)
            self.quoting = self.quoting or (is_mail and bool(_FORWARDED.match(block.text)))
            section = self._section_for(block)
            self.structure.block_sections.append(section)
            self._units(block, section)
        return self.structure

    def _heading_section(self) -> Section:
        for _, section, _ in reversed(self.headings):
            if section is not None:
                return section
        return Section.NONE

    def _section_for(self, block: Block) -> Section:
        if block.kind is BlockKind.HEADING:
            level = block.level or 1
            while self.headings and self.headings[-1][0] >= level:
                self.headings.pop()
            # The title ("Data Platform - Decision Log") names the document, not a section of it.
            is_title = block is self.document.blocks[0]
            self.headings.append((level, None if is_title else section_of(block.text), block.text))
            self.label = None
            return self._heading_section()
        if block.kind is BlockKind.PARAGRAPH and len(block.text) <= _MAX_LABEL_PARAGRAPH:
            found = label_section(block.text)
            if found is not None:
                self.label, self.label_seen_list = found, False
                self.labels.add(id(block))
                return found
        if self.label is not None:
            if block.kind is BlockKind.PARAGRAPH and (self.label_seen_list or len(block.text) > 300):
                self.label = None
            else:
                self.label_seen_list = self.label_seen_list or block.kind is BlockKind.LIST_ITEM
                return self.label
        return self._heading_section()

    def _nearest_heading(self) -> str:
        return self.headings[-1][2] if self.headings else ""

    def _add(
        self,
        block: Block,
        span: tuple[int, int],
        section: Section,
        kind: str,
        row: tuple[str, ...] = (),
        header: tuple[str, ...] = (),
    ) -> None:
        start, end = span
        text = self.document.text[start:end]
        heading = self._nearest_heading()
        quoted = self.quoting or bool(block.meta.get("quoted"))
        self.structure.units.append(
            Unit(block, start, end, text, section, kind, row, header, heading, quoted)
        )

    def _units(self, block: Block, section: Section) -> None:
        if block.kind is BlockKind.HEADING or block.kind is BlockKind.EMAIL_HEADER:
            self._add(block, (block.start, block.end), section, "heading")
        elif id(block) in self.labels and not block.text.rstrip().endswith(":"):
            self._add(block, (block.start, block.end), section, "label")
        elif block.kind is BlockKind.TABLE:
            self._rows(block, section)
        elif block.kind is BlockKind.LIST_ITEM:
            self._add(block, (block.start, block.end), section, "item")
        else:
            self._sentences(block, section)

    def _sentences(self, block: Block, section: Section) -> None:
        offset = 0
        inline = _INLINE_LABEL.match(block.text)
        if inline is not None:
            section = section_of(inline["label"]) or section
            offset = 0 if inline["colon"] else inline.end()  # "Decision: X" stays whole for the item rules
        for start, end in sentence_spans(block.text[offset:]):
            span = (block.start + offset + start, block.start + offset + end)
            self._add(block, span, section, "sentence")

    def _rows(self, block: Block, section: Section) -> None:
        rows = block.rows or []
        lines = block.text.split("\n")
        if len(lines) != len(rows):
            self._add(block, (block.start, block.end), section, "item")
            return
        first = header_row(rows, block.header)
        header = tuple(rows[first]) if first >= 0 else ()
        position = block.start
        for index, (line, row) in enumerate(zip(lines, rows, strict=True)):
            if index > first:
                self._add(block, (position, position + len(line)), section, "row", tuple(row), header)
            position += len(line) + 1
