"""Open action items: from "Action items" sections, inline markers (ACTION:, AI:, TODO, unchecked boxes),
action tables and, through `commitments`, prose.

Not actions: completed work, placeholders ("ACTION: none"), questions, notes under an action.
"""

from __future__ import annotations

import datetime as dt
import math
import re

from pmdi.analysis.rules.columns import TableColumns
from pmdi.analysis.rules.commitments import CommitmentReader, FoundTask
from pmdi.analysis.rules.dates import DateContext, find_dates
from pmdi.analysis.rules.evidence import EvidenceMaker
from pmdi.analysis.rules.people import People, is_group
from pmdi.analysis.rules.structure import Section, Structure, Unit, visit
from pmdi.analysis.rules.tasks import Task, first_owner, parse_task, starts_with_verb
from pmdi.analysis.schemas import ActionItem
from pmdi.extraction.model import BlockKind

_MARKER = re.compile(
    r"(?:^|(?<=[.;!?]\s)|(?<=^\[ \]\s))\**(?P<marker>(?i:action items?|action points?|actions?|ai|a\.i\.|ap|"
    r"todo|to-do|follow[- ]?ups?|next steps?))\**(?:\s*#?\d{1,3})?(?:\s+(?P<who>[A-Z]{2,3}|ALL|All)\b)?"
    r"\s*(?:\((?P<who2>[^)]{1,30})\))?\s*(?::+|;:|\s--|\s-|\u2013|\u2014|\*\*:)\**\s*(?P<rest>.*)$"
)
_DONE = re.compile(
    r"\bDONE\b|^(?:done|completed?|closed|finished|resolved|\u2713|\u2714|\u2705)\b|"
    r"\b(?:done|completed|complete|closed|finished|resolved)\s*[.)!]*$|\((?:done|completed|closed)\)|"
    r"\b(?:already|has been|have been|was|were)\s+(?:\w+ed|done|sent|made|written|taken|set up)\b",
    re.I,
)
_PAST = re.compile(
    r"^\s*(?:has |have )?(?:already |just )?(?:sent|sent out|shared|completed|finished|updated|delivered|"
    r"fixed|merged|created|submitted|published|posted|presented|reviewed|approved|closed|wrote|made|did|gave|"
    r"took|met|"
    r"launched|released|opened|filed|added|moved|deployed|circulated|emailed|confirmed|resolved|"
    r"[a-z]+ed)\b(?! to\b)",
    re.I,
)
_PLACEHOLDER = re.compile(
    r"^(?:none\.?|n/?a|tbd|\[?your name\]?|[a-z]|insert here\.?|\.\.\.|-+)\s*[-\u2013:]?\s*$|^none\b", re.I
)
_LABEL_PREFIX = re.compile(r"^[^:]{1,40}:\s*")
# "ACTION: Revisit next week", "Punt for two weeks": agenda carry-overs, not tasks, when nobody owns them.
_DEFERRAL = re.compile(
    r"^(?:bump(?:ed)?|revisit(?:ed)?|punt(?:ed)?|defer(?:red)?|postpone[ds]?|carr(?:y|ied) over|as noted|"
    r"see above|discuss(?:ed)? (?:during|at|in|next)|no action|nothing)\b",
    re.I,
)
_NONE_FIRST = re.compile(r"^(?:none|n/a|nothing)\s*[.;:]\s*", re.I)
_FOLLOWING = re.compile(r"\s*\b(?:the )?following\b.*$", re.I)
_RECURRING = re.compile(
    r"\b(?:daily|weekly|monthly|every (?:day|week|sprint|month|meeting)|each (?:day|week|sprint|month)|"
    r"on an ongoing basis|as usual)\b",
    re.I,
)
_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "to",
        "of",
        "for",
        "and",
        "or",
        "in",
        "on",
        "at",
        "by",
        "with",
        "from",
        "this",
        "that",
        "it",
        "be",
        "will",
    ]
)
_DUPLICATE = 0.7
_MAX_ACTION_CHARS = 400


class ActionFinder:
    def __init__(
        self, structure: Structure, people: People, ctx: DateContext, evidence: EvidenceMaker
    ) -> None:
        self.structure, self.people, self.ctx, self.evidence = structure, people, ctx, evidence
        self.prose = CommitmentReader(structure, people, ctx)
        self.blocks = {id(block): index for index, block in enumerate(structure.document.blocks)}
        self.taken: set[int] = set()  # list items already folded into an introducing action

    def run(self) -> list[ActionItem]:
        return self._items(visit(self.structure, self._table, self._untaken))

    def _untaken(self, unit: Unit) -> list[FoundTask]:
        return [] if id(unit.block) in self.taken else self._unit(unit)

    def _unit(self, unit: Unit) -> list[FoundTask]:
        text = unit.text
        skip = unit.section in (Section.ATTENDEES, Section.LEGEND) or unit.block.meta.get("checked") is True
        if len(text) > _MAX_ACTION_CHARS * 2 or skip:
            return []
        marker = _MARKER.search(text)
        if marker is not None:
            return self._marked(unit, marker)
        if unit.section is Section.ACTIONS:
            return self._in_section(unit)
        if unit.block.meta.get("checked") is False or text.startswith("[ ]"):
            return self._checkbox(unit)
        if unit.section is Section.DONE:
            return []
        return self.prose.find(unit)

    def _marked(self, unit: Unit, marker: re.Match[str]) -> list[FoundTask]:
        rest = _NONE_FIRST.sub("", marker["rest"].strip())  # "ACTION: none. Michael to continue ..."
        if not rest or _PLACEHOLDER.match(rest) or _DONE.search(rest):
            return []
        who = marker["who"] or marker["who2"]
        if who and who.lower() != "all" and not re.search(r"\d", who):
            rest = f"{who}: {rest}"  # "ACTION BW: ...", "TODO (Lukas): ..."
        task = parse_task(rest, self.people, self.ctx)
        if task.owner is None and task.owner_written is None:
            if _DEFERRAL.match(task.text):
                return []
            named = self.prose.find(unit)  # "ACTION: those interested should attend. Sara to merge PR."
            task.owner = named[0].task.owner if named else None
        return self._introduced(unit, task) or ([FoundTask(unit, task, 0.9)] if task.text else [])

    def _introduced(self, unit: Unit, task: Task) -> list[FoundTask]:
        """ "X will release the following:" + a list is one task over the items; "X will:" + a list of
        tasks is one task per item, each X's."""
        if not unit.text.rstrip().endswith(":") or unit.kind == "row":
            return []
        items = self._following_items(unit)
        if not items:
            return []
        self.taken.update(id(item.block) for item in items)
        verb = _FOLLOWING.sub("", task.text)
        if verb and verb != task.text:
            objects = ", ".join(item.text.rstrip(" .;") for item in items)
            combined = Task(
                f"{verb} {objects}", task.owner, task.owner_written, task.due, task.priority, None
            )
            return [FoundTask(unit, combined, 0.85, (unit.start, items[-1].end))]
        found = []
        for item in items:
            sub = parse_task(item.text, self.people, self.ctx)
            sub.owner = sub.owner or task.owner
            if sub.text and not sub.checked:
                found.append(FoundTask(item, sub, 0.8))
        return found

    def _following_items(self, unit: Unit) -> list[Unit]:
        blocks = self.structure.document.blocks
        index = self.blocks[id(unit.block)] + 1
        following = []
        while index < len(blocks) and blocks[index].kind is BlockKind.LIST_ITEM:
            following.append(blocks[index])
            index += 1
        wanted = {id(block) for block in following}
        return [u for u in self.structure.units if id(u.block) in wanted and not u.quoted]

    def _in_section(self, unit: Unit) -> list[FoundTask]:
        text = unit.text
        if _PLACEHOLDER.match(text) or text.endswith("?") or _DONE.search(text):
            return []
        if _PAST.match(_LABEL_PREFIX.sub("", text, count=1)) and not starts_with_verb(text):
            return []  # "OCM short staffed: got approval to hire" reports, it asks nothing
        if unit.kind == "sentence" and not self._task_like(text):
            return self.prose.find(unit)  # prose under an "Action items" heading still needs an owner
        task = parse_task(text, self.people, self.ctx)
        introduced = self._introduced(unit, task)
        if introduced or not task.text or task.checked:
            return introduced
        if (
            task.owner_written is None
            and (unit.block.level or 1) > 1
            and unit.block.kind is BlockKind.LIST_ITEM
        ):
            return []  # a note under the action above it
        if task.due is None and _RECURRING.search(text):
            return []  # "Everyone to update their tickets daily" is a standing duty, not a task
        owner_first = bool(task.owner_written) and text.startswith(task.owner_written or "")
        if owner_first and _PAST.match(text[len(task.owner_written or "") :]):
            return []  # "Tom updated the plan": reported work
        return [FoundTask(unit, task, 0.8)]

    def _checkbox(self, unit: Unit) -> list[FoundTask]:
        """An open box outside an action list is a task only when it reads as one (not a checklist line)."""
        closed = unit.section in (Section.STATUS, Section.DONE, Section.DECISIONS)
        if closed or not self._task_like(unit.text):
            return self.prose.find(unit)
        task = parse_task(unit.text, self.people, self.ctx)
        return [FoundTask(unit, task, 0.75)] if task.text and not task.checked else []

    def _task_like(self, text: str) -> bool:
        if starts_with_verb(text):
            return True
        task = parse_task(text, self.people, self.ctx)
        return task.owner_written is not None and (task.owner is not None or is_group(task.owner_written))

    def _table(self, first: Unit) -> list[FoundTask]:
        columns = TableColumns.of(first.header)
        if columns.col("task") is None or columns.is_risk_table() or first.section is Section.DONE:
            return []
        if first.section is not Section.ACTIONS and not columns.looks_like_actions():
            return []
        rows = [u for u in self.structure.units if u.block is first.block and u.kind == "row"]
        return [found for row in rows if (found := self._row(row, columns)) is not None]

    def _row(self, unit: Unit, columns: TableColumns) -> FoundTask | None:
        task_text = columns.get(unit.row, columns.col("task"))
        if not task_text or columns.closed(unit.row):
            return None
        task = parse_task(task_text, self.people, self.ctx)
        owner_cell = columns.get(unit.row, columns.col("owner"))
        if owner_cell:
            task.owner = None if is_group(owner_cell) else self.people.resolve(first_owner(owner_cell))
        due_cell = columns.get(unit.row, columns.col("due"))
        if due_cell:
            found = find_dates(due_cell, self.ctx, loose=True)
            task.due = found[0] if found else task.due
        priority_cell = columns.get(unit.row, columns.col("priority"))
        task.priority = columns.level(priority_cell) or task.priority
        return FoundTask(unit, task, 0.85)

    def _heading_due(self, unit: Unit) -> dt.date | None:
        """Under "Scheduled release for February 23rd", an undated task is due that day."""
        dates = [d for d in find_dates(unit.heading, self.ctx) if not d.relative]
        reference = self.ctx.reference
        if len(dates) == 1 and reference is not None and dates[0].date > reference:
            return dates[0].date
        return None

    def _items(self, found: list[FoundTask]) -> list[ActionItem]:
        items: list[ActionItem] = []
        words: list[frozenset[str]] = []
        for entry in found:
            if len(entry.task.text) < 3:
                continue
            item = self._item(entry)
            key = _content(item.text)
            duplicate = next(
                (i for i, seen in enumerate(words) if _same_task(item, key, items[i], seen)), None
            )
            if duplicate is None:
                items.append(item)
                words.append(key)
            elif item.confidence > items[duplicate].confidence:
                items[duplicate] = item  # the same task from a table beats its mention in prose
        return items

    def _item(self, entry: FoundTask) -> ActionItem:
        start, end = entry.span or (entry.unit.start, entry.unit.end)
        due = entry.task.due.date if entry.task.due else self._heading_due(entry.unit)
        return ActionItem(
            text=entry.task.text[:_MAX_ACTION_CHARS],
            owner=entry.task.owner,
            due_date=due,
            priority=entry.task.priority,
            status="open",
            evidence=self.evidence.make(start, end),
            confidence=entry.confidence,
        )


def _content(text: str) -> frozenset[str]:
    return frozenset(w for w in _WORD.findall(text.lower()) if w not in _STOP)


def _same_task(item: ActionItem, key: frozenset[str], seen: ActionItem, seen_key: frozenset[str]) -> bool:
    """The same task mentioned twice; "plan for workstream 1" and "... 2", or two owners, are two tasks."""
    if item.owner and seen.owner and item.owner != seen.owner:
        return False
    if {w for w in key if w.isdigit()} != {w for w in seen_key if w.isdigit()}:
        return False
    return _similar(key, seen_key)


def _similar(left: frozenset[str], right: frozenset[str]) -> bool:
    if not left or not right:
        return left == right
    return len(left & right) / math.sqrt(len(left) * len(right)) >= _DUPLICATE


def find_actions(
    structure: Structure, people: People, ctx: DateContext, evidence: EvidenceMaker
) -> list[ActionItem]:
    return ActionFinder(structure, people, ctx, evidence).run()
