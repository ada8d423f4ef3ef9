"""Document type from content: title and headings weigh most, then structure (attendee lists, registers,
email headers) and vocabulary; a document that scores low for every PM type is `other`."""

from __future__ import annotations

import re
from collections import Counter

from pmdi.analysis.rules.columns import TableColumns
from pmdi.analysis.rules.structure import Section, Structure, header_row
from pmdi.analysis.schemas import DocumentType
from pmdi.extraction.model import Block, BlockKind

T = DocumentType
_TITLE_WORDS: dict[DocumentType, re.Pattern[str]] = {
    T.MEETING_NOTES: re.compile(
        r"\b((?<!\d )minutes|meeting|notes|sync(?=\s*(?:$|[-\u2013:|,(]|\d|meeting|notes|call))|sync[- ]?up|"
        r"stand-?up|retro(spective)?|telco|teleconference|call|workshop|memo|"
        r"huddle|1:1|one-on-one|check-?in|debrief)\b"
    ),
    T.STATUS_REPORT: re.compile(
        r"\b(status|progress|weekly update|monthly update|weekly report|monthly report|"
        r"sprint \d+ (summary|review)|sprint (summary|review|report)|quarterly|annual (report|review)|"
        r"project review|health ?check|dashboard|flash report|highlight report|update|"
        r"20\d\d[ -]?(q[1-4]|h[12])|(q[1-4]|h[12])[ -]?20\d\d)\b"
    ),
    T.RISK_REGISTER: re.compile(
        r"\b(risk register|risk log|raid( log)?|risks? (and|&) issues|issue log|risks)\b"
    ),
    T.PROJECT_PLAN: re.compile(
        r"\b(plan|roadmap|charter|schedule|timeline|work breakdown|wbs|implementation|rollout|project goals?|"
        r"backlog|strategy|proposal|initiation|pid|kick-?off)\b"
    ),
    T.STATEMENT_OF_WORK: re.compile(
        r"\b(statement of work|sow|performance work statement|pws|rfq|rfp|request for (quotation|proposal)|"
        r"contract|scope of work|statement of objectives|terms of reference|engagement letter)\b"
    ),
    T.CHANGE_REQUEST: re.compile(
        r"\b(change request|cr[- #]?\d+|change control|change order|variation request)\b"
    ),
    T.DECISION_LOG: re.compile(
        r"\b(decision log|decision register|decisions log|adr|architecture decision|decision record)\b"
    ),
}
_BODY_WORDS: dict[DocumentType, re.Pattern[str]] = {
    T.MEETING_NOTES: re.compile(
        r"\b(attendees|agenda|(?<!\d )minutes|action items?|apologies|present|next meeting)\b"
    ),
    T.STATUS_REPORT: re.compile(
        r"\b(overall status|rag|on track|off track|at risk|accomplishments|completed this|planned next|"
        r"% complete|percent complete|reporting period|this week|next week|blocked|progress|"
        r"current status|highlights|key achievements)\b"
    ),
    T.RISK_REGISTER: re.compile(
        r"\b(likelihood|probability|impact|mitigation|risk owner|severity|risk score)\b"
    ),
    T.PROJECT_PLAN: re.compile(
        r"\b(milestones?|phases?|timeline|work packages?|deliverables?|dependencies|resources|gantt|"
        r"critical path|baseline|scope|objectives|rollout|roadmap)\b"
    ),
    T.STATEMENT_OF_WORK: re.compile(
        r"\b(contractor shall|the contractor|period of performance|deliverables?|acceptance criteria|"
        r"payment|invoice|government|vendor shall|place of performance|clin|pricing|terms and conditions|"
        r"offeror|quot(e|ation)|evaluation criteria)\b"
    ),
    T.CHANGE_REQUEST: re.compile(
        r"\b(change request|requested change|reason for change|justification|impact (analysis|assessment)|"
        r"change control board|ccb|approval of change|cost impact|schedule impact)\b"
    ),
    T.DECISION_LOG: re.compile(
        r"\b(decision|decided|rationale|consequences|alternatives considered|status: accepted)\b"
    ),
}
_MIN_SCORE = 3.0
_NAMED_REPORT = re.compile(r"\b(?:status|progress|weekly|monthly|highlight) report\b")


def _title_text(structure: Structure, filename: str) -> str:
    """The title, the first heading or opening line, and the file name: what a reader sees first."""
    document = structure.document
    first = next((b for b in document.blocks[:3] if b.kind is not BlockKind.EMAIL_HEADER), None)
    short = first is not None and first.kind is not BlockKind.TABLE and len(first.text) < 150
    opening = first.text if first is not None and short else ""
    name = re.sub(r"[_\-.]+", " ", filename.rsplit(".", 1)[0])
    return " ".join([document.metadata.title or "", opening, name]).lower()


def _is_adr(structure: Structure) -> bool:
    """An architecture decision record: Status, Context, Decision and Consequences headings."""
    headings = {b.text.strip().lower() for b in structure.document.blocks if b.kind is BlockKind.HEADING}
    return len(headings & {"status", "context", "decision", "consequences", "decision outcome"}) >= 3


def _mostly_untyped_tables(structure: Structure) -> bool:
    """A spreadsheet-like document whose tables are no register of ours (a tracker, a pricing form)."""
    tables = _tables(structure)
    share = sum(len(b.text) for b in tables) / max(1, len(structure.document.text))
    return share >= 0.8 and not any(_columns(b).is_register() for b in tables)


def _tables(structure: Structure) -> list[Block]:
    return [b for b in structure.document.blocks if b.kind is BlockKind.TABLE and b.rows]


def _columns(table: Block) -> TableColumns:
    rows = table.rows or []
    index = header_row(rows, table.header)
    return TableColumns.of(rows[index] if index >= 0 else [])


def _structure_votes(structure: Structure, scores: dict[DocumentType, float]) -> None:
    sections = Counter(structure.block_sections)
    if sections[Section.ATTENDEES]:
        scores[T.MEETING_NOTES] += 3
    if sections[Section.ACTIONS]:
        scores[T.MEETING_NOTES] += 1.5
    if sections[Section.AGENDA]:
        scores[T.MEETING_NOTES] += 1.5
    if sections[Section.MILESTONES]:
        scores[T.PROJECT_PLAN] += 1.5
    if sections[Section.DECISIONS] and not sections[Section.ATTENDEES]:
        scores[T.DECISION_LOG] += 1
    risk_rows = sum(len(b.rows or []) for b in _tables(structure) if _columns(b).is_risk_table())
    if risk_rows >= 3:
        # A register is mostly its table; a status report with a risk table is still a status report.
        table_chars = sum(len(b.text) for b in structure.document.blocks if b.kind is BlockKind.TABLE)
        share = table_chars / max(1, len(structure.document.text))
        scores[T.RISK_REGISTER] += (3 + min(4, risk_rows / 3)) * (1.0 if share > 0.5 else 0.4)
    decision_tables = sum(1 for b in _tables(structure) if _columns(b).col("decision") is not None)
    scores[T.DECISION_LOG] += 4 * decision_tables


def classify(structure: Structure, filename: str = "", actions: int = 0) -> DocumentType:
    document = structure.document
    if document.metadata.email or any(b.kind is BlockKind.EMAIL_HEADER for b in document.blocks[:6]):
        return T.EMAIL
    if _is_adr(structure):
        return T.DECISION_LOG
    if _mostly_untyped_tables(structure):
        return T.OTHER
    scores: dict[DocumentType, float] = dict.fromkeys(DocumentType, 0.0)
    title = _title_text(structure, filename)
    for kind, pattern in _TITLE_WORDS.items():
        if pattern.search(title):
            scores[kind] += 4
    if _NAMED_REPORT.search(title):
        scores[T.STATUS_REPORT] += 3  # a title that says "status report" outweighs plan-like vocabulary
    body = document.text[:30_000].lower()
    for kind, pattern in _BODY_WORDS.items():
        distinct = len({m.group(0) for m in pattern.finditer(body)})
        scores[kind] += (
            min(3.0, float(distinct)) if distinct >= 2 else 0.5 * distinct
        )  # one word proves little
    _structure_votes(structure, scores)
    if actions >= 2:
        scores[T.MEETING_NOTES] += 1.0
    kind = max(scores, key=lambda k: scores[k])
    return kind if scores[kind] >= _MIN_SCORE else T.OTHER
