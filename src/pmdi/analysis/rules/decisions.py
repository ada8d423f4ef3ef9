"""Decisions: outcomes agreed, approved, resolved or consented; "Decision:" lines; motions carried; items in a
"Decisions" section; accepted ADRs. Pending ones ("decision required", "to be decided") are not decisions."""

from __future__ import annotations

import re

from pmdi.analysis.rules.columns import TableColumns
from pmdi.analysis.rules.evidence import EvidenceMaker
from pmdi.analysis.rules.people import HANDLE, NAME, People, is_group
from pmdi.analysis.rules.structure import Section, Structure, Unit, normalised, section_of, unique, visit
from pmdi.analysis.schemas import Decision
from pmdi.extraction.model import BlockKind

_PREFIX = re.compile(
    r"^\**(?:decisions?|decided|resolution|resolved|conclusion|outcome|agreed|agreement|consensus|"
    r"consented decision|final decision)(?:\s*#?\d{1,3})?\**\s*(?:\(\w+\))?\s*(?::|-|\u2013|\u2014)+\s*\**"
    r"(?P<t>\S.*)$",
    re.I,
)
_VERB = re.compile(
    r"\b(?:agreed|decided|approved|resolved that|resolved to|consented|ratified|signed off|sign-off given|"
    r"motion (?:(?:was|has been) )?(?:carried|passed|approved)|carried unanimously|unanimously|"
    r"consensus (?:was|is) (?:reached|to)|"
    r"no objections|we (?:will|'ll) go with|(?:we|they|team|committee|board|group|council) (?:chose|selected|"
    r"opted for|settled on)|accepted the|"
    r"green[- ]?lit|given the go-ahead|will proceed with|go ahead with|going ahead with|proceed with)\b",
    re.I,
)
_ADR_SECTIONS = {
    "context",
    "consequences",
    "decision outcome",
    "decision drivers",
    "context and problem statement",
}
_MOTION_RESULT = re.compile(r"^the motion (?:was |has been )?(?:carried|passed|approved)\b", re.I)
_MOTION = re.compile(r"\b(?:moved|proposed|motion)\b.*\bthat\b", re.I)
_PENDING = re.compile(
    r"\b(?:decisions? (?:is |are )?(?:required|needed|pending|outstanding)|pending (?:decision|approval)|"
    r"to be (?:decided|agreed|confirmed|approved)|tbd|tbc|need(?:s)? to (?:decide|agree|approve)|"
    r"(?:will|to) decide|not (?:yet )?(?:agreed|decided|approved|resolved)|awaiting|if approved|"
    r"for approval|seeking approval|requires? approval|to approve|not approved|no decision|"
    r"yet to be|undecided|open question|decision point|whether|unless|unsure|unclear|if decisions|"
    r"will be (?:decided|agreed|approved|confirmed)|nearly|almost|not yet)\b",
    re.I,
)
_NOT_OUTCOME = re.compile(r"\b(?:management approval to|approved (?:by|the) budget of)\b", re.I)
_ASSIGNMENT = re.compile(rf"^(?P<who>{HANDLE}|{NAME}|Everyone|All)\s+(?:to|will|shall|is going to)\s+[a-z]")
_UNDECIDED_STATUS = re.compile(r"^(proposed|pending|open|draft|under review|in review|tbd|deferred)\b", re.I)
_REJECTED_STATUS = re.compile(r"^(rejected|declined|not approved|refused)\b", re.I)
_ADR_STATUS = re.compile(r"^(?:status\s*:?\s*)?(accepted|approved|adopted|agreed)\b", re.I)
_MAX_DECISION_CHARS = 400


def _clean(text: str) -> str:
    text = re.sub(r"^[\s*\u2022\-\u2013]+|[\s*]+$", "", text)
    return text[:1].upper() + text[1:]


class DecisionFinder:
    def __init__(self, structure: Structure, people: People, evidence: EvidenceMaker) -> None:
        self.structure, self.people, self.evidence = structure, people, evidence
        self.adr = self._adr_status()
        self.consumed: set[int] = set()  # paragraphs already taken whole by a "Decision:" line

    def _adr_status(self) -> bool | None:
        """For an architecture decision record, whether it was accepted; None for any other document."""
        blocks = self.structure.document.blocks
        headings = {b.text.strip().lower() for b in blocks if b.kind is BlockKind.HEADING}
        if not headings & _ADR_SECTIONS:
            return None  # minutes and reports have "Status" sections too
        for index, block in enumerate(blocks):
            if block.kind is BlockKind.HEADING and block.text.strip().lower() == "status":
                following = blocks[index + 1 : index + 2]
                return bool(following and _ADR_STATUS.match(following[0].text.strip()))
            if block.kind is not BlockKind.HEADING and re.match(r"^\W*status\W*:", block.text, re.I):
                return bool(_ADR_STATUS.match(re.sub(r"^\W*status\W*:\W*", "", block.text, flags=re.I)))
        return None

    def _opens_section(self, unit: Unit) -> bool:
        blocks = self.structure.document.blocks
        index = blocks.index(unit.block)
        return unit.start == unit.block.start and index > 0 and blocks[index - 1].kind is BlockKind.HEADING

    def run(self) -> list[Decision]:
        decisions = visit(self.structure, self._table, self._one)
        return unique(decisions, lambda decision: normalised(decision.text))

    def _one(self, unit: Unit) -> list[Decision]:
        decision = None if id(unit.block) in self.consumed else self._unit(unit)
        return [] if decision is None else [decision]

    def _table(self, first: Unit) -> list[Decision]:
        columns = TableColumns.of(first.header)
        index = columns.col("decision")
        if index is None:
            return []
        rows = [u for u in self.structure.units if u.block is first.block and u.kind == "row"]
        found = []
        for row in rows:
            text = columns.get(row.row, index)
            status = columns.get(row.row, columns.col("status"))
            if not text or _PENDING.search(text) or _UNDECIDED_STATUS.match(status):
                continue
            # Turning a proposal down is a decision too: not to do it.
            text = f"Rejected: {text}" if _REJECTED_STATUS.match(status) else text
            found.append(self._make(row, (row.start, row.end), text, 0.85))
        return found

    def _unit(self, unit: Unit) -> Decision | None:
        text = unit.text
        if len(text) > _MAX_DECISION_CHARS * 2 or text.rstrip().endswith("?") or _PENDING.search(text):
            return None
        prefixed = _PREFIX.match(text)
        if self._assignment(prefixed["t"] if prefixed else text):
            return None  # "Mara to propose updates" under "Conclusion" is an action, not a decision
        if prefixed:
            return self._make(unit, self._whole_paragraph(unit), prefixed["t"] + self._rest(unit), 0.85)
        if self.adr is not None and section_of(unit.heading) is Section.DECISIONS:
            # An ADR's decision is the opening statement of its "Decision" section; the rest is rationale.
            return (
                self._make(unit, _span(unit), text, 0.8) if self.adr and self._opens_section(unit) else None
            )
        if unit.section is Section.DECISIONS and not text.endswith(":"):
            listed = unit.kind == "item" and (unit.block.level or 1) == 1
            if listed or _VERB.search(text):
                return self._make(unit, _span(unit), text, 0.75)
            return None
        if unit.section is Section.PENDING:
            return None
        if _MOTION_RESULT.match(text):
            return self._motion(unit)
        if _VERB.search(text) and not _NOT_OUTCOME.search(text):
            return self._make(unit, _span(unit), text, 0.6)
        return None

    def _motion(self, unit: Unit) -> Decision | None:
        """ "It was moved ... that X. The motion was carried.": the decision is the motion that carried."""
        index = self.structure.units.index(unit)
        before = self.structure.units[index - 1] if index > 0 else None
        if before is None or before.block is not unit.block or not _MOTION.search(before.text):
            return self._make(unit, _span(unit), unit.text, 0.6)
        return self._make(unit, (before.start, unit.end), f"{before.text} {unit.text}", 0.75)

    def _whole_paragraph(self, unit: Unit) -> tuple[int, int]:
        """ "Decision: X approved. The revised dates are accepted." is one decision, told in two sentences."""
        block = unit.block
        short = block.kind is BlockKind.PARAGRAPH and block.end - unit.start <= _MAX_DECISION_CHARS
        if short and unit.start >= block.start:
            self.consumed.add(id(block))
            return unit.start, block.end
        return _span(unit)

    def _rest(self, unit: Unit) -> str:
        _, end = self._whole_paragraph(unit)
        return self.structure.document.text[unit.end : end] if end > unit.end else ""

    def _assignment(self, text: str) -> bool:
        match = _ASSIGNMENT.match(text)
        if match is None:
            return False
        who = match["who"]
        return who.startswith("@") or is_group(who) or self.people.known(who) or who in self.people.speakers

    def _make(self, unit: Unit, span: tuple[int, int], text: str, confidence: float) -> Decision:
        return Decision(
            text=_clean(" ".join(text.split()))[:_MAX_DECISION_CHARS],
            evidence=self.evidence.make(*span),
            confidence=confidence,
        )


def _span(unit: Unit) -> tuple[int, int]:
    return unit.start, unit.end


def find_decisions(structure: Structure, people: People, evidence: EvidenceMaker) -> list[Decision]:
    return DecisionFinder(structure, people, evidence).run()
