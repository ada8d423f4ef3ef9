"""Questions about the extracted items ("open action items for Maria", "high risks in project X", "decisions
since May 1", "what is overdue") are answered by filtering those items, not by retrieving text.

A question counts as structured only when nothing is left of it once the item kind and the recognised
qualifiers are taken out; "what risks did the vendor raise about the SLA" keeps words and goes to retrieval.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from pmdi.analysis.rules.dates import DateContext, find_dates
from pmdi.search.text import STOPWORDS, words

_KINDS = (
    ("action_items", re.compile(r"\b(?:action items?|actions?|tasks?|to-?dos?|follow[- ]?ups?)\b", re.I)),
    ("risks", re.compile(r"\brisks?\b", re.I)),
    ("decisions", re.compile(r"\b(?:decisions?|decided)\b", re.I)),
    ("milestones", re.compile(r"\b(?:milestones?|deadlines?)\b", re.I)),
)
_OVERDUE = re.compile(r"\b(?:overdue|past due|late)\b", re.I)
_STATUS = re.compile(
    r"\b(?P<open>open|outstanding|pending|unfinished)\b|\b(?P<done>done|completed?|closed|finished)\b", re.I
)
_SEVERITY = re.compile(
    r"\b(?P<level>high|critical|medium|moderate|low)(?:[- ]severity|[- ]priority)?\b", re.I
)
_NAME = r"(?P<owner>[^\W\d_][\w'.-]*(?:\s+[A-Z][\w'.-]+){0,2})"
_OWNER = re.compile(rf"\b(?i:for|assigned to|owned by|owner|by)\s+{_NAME}|\b(?P<possessive>[A-Z][\w-]+)'s\b")
_PROJECT = re.compile(
    r"\bin (?:the )?project\s+(?P<a>.+?)(?=\s+(?:since|after|before|until|from|for|owned|assigned)\b|[?.!]*$)"
    r"|\bin (?:the )?(?P<b>.+?)\s+project\b",
    re.I,
)
# The asker's own items: owners mapped to members (registers' owner directory) say whose they are.
_MINE = re.compile(r"\b(?:assigned to me|owned by me|for me|my|mine)\b", re.I)
_WHEN = re.compile(r"\b(?P<word>since|after|from|before|until|by)\s+(?P<rest>.{3,40})", re.I)
_FILLER = STOPWORDS | {"items", "item", "everything", "anything", "there", "currently", "still", "all", "any"}
_LEVELS = {"critical": "high", "high": "high", "medium": "medium", "moderate": "medium", "low": "low"}


@dataclass
class StructuredQuery:
    kind: str
    status: str | None = None
    severity: str | None = None
    owner: str | None = None
    project: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    overdue: bool = False
    mine: bool = False
    leftover: list[str] = field(default_factory=list)


def parse(question: str, today: dt.date) -> StructuredQuery | None:
    rest = question.strip()
    query = _kind(rest)
    if query is None:
        return None
    rest, query.project = _take(_PROJECT, rest, lambda m: (m["a"] or m["b"]).strip())
    rest, query = _dates(rest, query, today)
    rest, mine = _take(_MINE, rest, lambda m: m[0])
    query.mine = mine is not None
    rest, query.owner = _take(_OWNER, rest, lambda m: m["owner"] or m["possessive"])
    if query.owner is not None and query.owner.split()[0].casefold() in STOPWORDS:
        return None
    rest, status = _take(_STATUS, rest, lambda m: "open" if m["open"] else "done")
    rest, level = _take(_SEVERITY, rest, lambda m: _LEVELS[m["level"].lower()])
    query.status, query.severity = status or query.status, level
    for _, pattern in _KINDS:
        rest = pattern.sub(" ", rest)
    rest = _OVERDUE.sub(" ", rest)
    query.leftover = [w for w in words(rest) if w not in _FILLER]
    return None if query.leftover else query


def _kind(question: str) -> StructuredQuery | None:
    kinds = [name for name, pattern in _KINDS if pattern.search(question)]
    overdue = bool(_OVERDUE.search(question))
    if overdue and (not kinds or kinds == ["action_items"]):
        return StructuredQuery(kind="action_items", status="open", overdue=True)
    if len(kinds) != 1:
        return None
    return StructuredQuery(kind=kinds[0])


def _take(
    pattern: re.Pattern[str], text: str, value: Callable[[re.Match[str]], str]
) -> tuple[str, str | None]:
    """The text without the pattern's first match, and the value read from that match."""
    match = pattern.search(text)
    if match is None:
        return text, None
    return text[: match.start()] + " " + text[match.end() :], value(match)


def _dates(text: str, query: StructuredQuery, today: dt.date) -> tuple[str, StructuredQuery]:
    for match in list(_WHEN.finditer(text))[::-1]:
        found = find_dates(match["rest"], DateContext(reference=today))
        if not found or found[0].start != 0:
            continue
        day = found[0].date
        if match["word"].lower() in {"since", "after", "from"}:
            if day > today and not re.search(r"\d{4}", match["rest"][: found[0].end]):
                day = day.replace(year=day.year - 1)
            query = replace(query, since=day)
        else:
            query = replace(query, until=day)
        end = match.start("rest") + found[0].end
        text = text[: match.start()] + " " + text[end:]
    return text, query
