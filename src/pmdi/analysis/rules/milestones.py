"""Milestones: rows of milestone/schedule tables, dated items under a "Milestones"/"Key dates" heading, and
dated events in prose ("go-live on 15 April", "Milestone: UAT complete by 30 May", "Phase 1 ends 3/4")."""

from __future__ import annotations

import re

from pmdi.analysis.rules.columns import TableColumns
from pmdi.analysis.rules.dates import DateContext, FoundDate, find_dates
from pmdi.analysis.rules.evidence import EvidenceMaker
from pmdi.analysis.rules.structure import Section, Structure, Unit, normalised, unique, visit
from pmdi.analysis.schemas import Milestone

_PREFIX = re.compile(
    r"^\**(?:milestones?|key date|deadline|target date)\**\s*[:\-\u2013\u2014]+\s*(?P<t>\S.*)$", re.I
)
_EVENT = re.compile(
    r"\b(?:go(?:es|ing)?[- ]?live|went live|launch(?:es|ed)?|cut-?over|code freeze|feature freeze|uat|"
    r"kick-?off|sign[- ]off|"
    r"handover|hand-off|delivery|release(?:d|s)?|rollout|roll-out|milestone|completion|"
    r"phase \d+ (?:ends|starts|complete)|sprint \d+ (?:ends|review)|beta|GA|general availability|pilot|"
    r"migration|decommission\w*|audit|upgrade|deployment|release train|training|workshop|"
    r"go[- ]no[- ]go|demo day|launch date|target date)\b",
    re.I,
)
# "The annual fire drill is scheduled for 29 January": any named event, when a date is set for it.
_SCHEDULED = re.compile(
    r"^\W*(?:the|our|a|an)?\s*(?P<name>[A-Za-z][\w'/&-]*(?: [\w'/&-]+){0,6}?)\s+"
    r"(?:is|are|will be|has been|have been|remains|stays)\s+(?:now\s+)?"
    r"(?:scheduled|planned|booked|targeted|slated|set|confirmed)\s+(?:for|on)\b",
    re.I,
)
_NOT_AN_EVENT = re.compile(
    r"^(?:it|this|that|which|we|they|he|she|there|next meeting|the next meeting|meeting|call|sync|session)$"
    r"|\b(?:meeting|call|sync|stand-?up|session)$",
    re.I,
)
_MAX_NAME_CHARS = 120
# "Can you confirm that the go-live date of 30 June still holds?" asks about a date already set.
_CONFIRMING = re.compile(r"^\W*(?:can|could|would) you (?:please )?confirm\b|^\W*please confirm\b", re.I)
_NEW_DATE = re.compile(r"\b(?:to|until|now|revised|new date|re-?planned for|forecast)\W*$", re.I)
_DATE_LEAD = re.compile(
    r"\s*(?:on|by|for|at|is|are|will be|to|:|-|\u2013|\u2014|due|scheduled for|planned for|target(?:ed)? for|"
    r"(?:moves?|moved|moving|slips?|slipped|shifts?|shifted)? ?from)\s*$",
    re.I,
)


def _name_without_date(text: str, date: FoundDate) -> str:
    head = text[: date.start]
    while (shorter := _DATE_LEAD.sub("", head)) != head:  # "UAT start is scheduled for" -> "UAT start"
        head = shorter
    tail = text[date.end :].strip(" .,;:)-\u2013\u2014")
    name = head if len(head) >= 4 or not tail else f"{head} {tail}".strip()
    name = re.sub(r"^[\s*\u2022\-\u2013(]+|[\s*,;:(\-\u2013]+$", "", name)
    return name[:_MAX_NAME_CHARS]


class MilestoneFinder:
    def __init__(self, structure: Structure, ctx: DateContext, evidence: EvidenceMaker) -> None:
        self.structure, self.ctx, self.evidence = structure, ctx, evidence

    def run(self) -> list[Milestone]:
        milestones = visit(self.structure, self._table, self._unit, headings=True)
        return unique(milestones, lambda milestone: (normalised(milestone.name), milestone.date))

    def _table(self, first: Unit) -> list[Milestone]:
        columns = TableColumns.of(first.header)
        name_index = columns.col("milestone")
        date_index = columns.col("date")
        if date_index is None:
            return []
        if name_index is None:
            if first.section is not Section.MILESTONES:
                return []
            name_index = next((i for i in range(len(first.header)) if i != date_index), None)
        rows = [u for u in self.structure.units if u.block is first.block and u.kind == "row"]
        found = []
        for row in rows:
            name = columns.get(row.row, name_index)
            dates = find_dates(columns.get(row.row, date_index), self.ctx, loose=True)
            if name:
                found.append(self._make(row, name, dates[0] if dates else None, 0.85))
        return found

    def _unit(self, unit: Unit) -> list[Milestone]:
        text = unit.text
        skipped = (Section.ACTIONS, Section.ATTENDEES, Section.RISKS, Section.DONE)
        question = text.endswith("?") and not _CONFIRMING.match(text)
        if len(text) > 400 or question or unit.section in skipped:
            return []  # a risk's or a task's date is not a milestone's
        dates = find_dates(text, self.ctx, loose=unit.section is Section.MILESTONES)
        if not dates:
            return []
        date = _current(text, dates)
        if unit.kind == "heading" and date.date == self.ctx.reference:
            return []  # "Steering committee, 3 March 2025": the document's own date, no milestone
        prefixed = _PREFIX.match(text)
        if prefixed:
            name = _name_without_date(prefixed["t"], _shift(date, prefixed.start("t")))
            return [self._make(unit, name, date, 0.8)]
        if unit.section is Section.MILESTONES and unit.kind != "heading":
            return [self._make(unit, _name_without_date(text, dates[0]), date, 0.75)]
        return self._prose(unit)

    def _prose(self, unit: Unit) -> list[Milestone]:
        """Dated events in clauses: "UAT start moves from 26 Aug to 16 Sep; go-live moves ... to 14 Oct"."""
        found = []
        for start, end in _clauses(unit.text):
            clause = unit.text[start:end]
            event = _EVENT.search(clause)
            scheduled = _SCHEDULED.match(clause)
            named = scheduled is not None and not _NOT_AN_EVENT.search(scheduled["name"])
            dates = [d for d in find_dates(clause, self.ctx) if not d.relative]
            if (event is None and not named) or not dates or _NOT_PLANNED.search(clause):
                continue  # "was launched on" in a report, "if X slips we miss the release": no milestone
            date = _current(clause, dates)
            name = _event_name(clause, event) if event is not None else scheduled["name"] if scheduled else ""
            milestone = self._make(unit, name[:1].upper() + name[1:], date, 0.5)
            milestone.evidence = self.evidence.make(unit.start + start, unit.start + end)
            found.append(milestone)
        return found

    def _make(self, unit: Unit, name: str, date: FoundDate | None, confidence: float) -> Milestone:
        return Milestone(
            name=name or unit.text[:_MAX_NAME_CHARS],
            date=date.date if date else None,
            evidence=self.evidence.make(unit.start, unit.end),
            confidence=confidence,
        )


# Reported past, conditions and risks date no plan.
_NOT_PLANNED = re.compile(
    r"\b(?:was|were) (?:released|launched|completed)\b|^\W*(?:in case|should)\b|"
    r"\b(?:risks?|concern|if|unless)\b",
    re.I,
)
_CLAUSE_END = re.compile(r";\s+|[.!?]\s+(?=[A-Z])|\s+[\u2013\u2014]\s+")
_NAME_STOP_WORDS = """
    the a an of to for on by at in is are was were will be been we we'll our their its it this that if and or
    but until before after from with miss missed moves moved remains remain stays planned scheduled set due
    agreed target targeted
"""
_NAME_STOP = frozenset(_NAME_STOP_WORDS.split())


def _clauses(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for match in _CLAUSE_END.finditer(text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return [(a, b) for a, b in spans if b > a]


def _event_name(clause: str, event: re.Match[str]) -> str:
    """The event's noun phrase: "the February release train (Feb 12)" -> "February release train"."""
    before = re.findall(r"[\w'-]+", clause[: event.start()])
    lead: list[str] = []
    for word in reversed(before[-3:]):
        if word.lower() in _NAME_STOP or re.fullmatch(r"\d+", word):
            break
        lead.insert(0, word)
    after = re.findall(r"[\w'-]+", clause[event.end() :])[:4]
    tail: list[str] = []
    for word in after:
        if word.lower() in {"of", "for"} and not tail:
            tail.append(word)
            continue
        if word.lower() in _NAME_STOP or re.fullmatch(r"\d+", word) or len(tail) >= 3:
            break
        tail.append(word)
    if tail and tail[-1].lower() in {"of", "for"}:
        tail.pop()
    name = " ".join([*lead, event.group(0), *tail])
    return name[:1].upper() + name[1:]


def _current(text: str, dates: list[FoundDate]) -> FoundDate:
    """Of "moves from 2 June to 16 June" the date now planned is the one after "to"."""
    for found in dates[1:]:
        if _NEW_DATE.search(text[max(0, found.start - 25) : found.start]):
            return found
    return dates[0]


def _shift(date: FoundDate, offset: int) -> FoundDate:
    return FoundDate(date.start - offset, date.end - offset, date.date, date.relative)


def find_milestones(structure: Structure, ctx: DateContext, evidence: EvidenceMaker) -> list[Milestone]:
    return MilestoneFinder(structure, ctx, evidence).run()
