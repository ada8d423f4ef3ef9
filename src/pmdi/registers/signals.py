"""Update lines and RAG statuses in a document's text: "vendor shortlist — done", "pilot moved to 10/12",
a register row marked "Closed", "Schedule: Amber".

Which item an update line is about is decided later, against the project's items (`tracking`); here a line
only qualifies by what it says happened.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass

from pmdi.analysis.rules.dates import DateContext, find_dates, infer_day_first

_SENTENCE_END = re.compile(r"(?<=[a-z0-9)\]][.!?])\s+(?=[A-Z])")
# "70% complete" is progress, not completion.
_PARTIAL = re.compile(r"\b\d{1,2}(?:\.\d+)?\s*%\s*(?:complete|completed|done|finished|delivered)\b", re.I)
_NEGATED = re.compile(
    r"\b(?:not|never|yet to be|to be|will be|won't be|isn't|aren't|once|until|when|if|before|after)\s+"
    r"(?:\w+\s+)?(?:done|complete|completed|finished|closed|resolved|delivered|cancell?ed)\b",
    re.I,
)
# (status, pattern): the first that matches names what the line says happened.
_STATUS_WORDS: list[tuple[str, re.Pattern[str]]] = [
    ("cancelled", re.compile(
        r"\b(?:cancell?ed|dropped|descoped|de-scoped|no longer (?:needed|required|relevant))\b", re.I)),
    ("done", re.compile(
        r"\b(?:done|completed?|finished|closed|resolved|delivered|achieved|retired)\b|[\u2713\u2714\u2705]|"
        r"\[x\]", re.I)),
    ("mitigating", re.compile(
        r"\b(?:mitigating|mitigation (?:is )?(?:in progress|underway|started|ongoing))\b", re.I)),
    # Said of the item ("is in progress", "- underway", "(WIP)"), not a board column named in passing.
    ("in_progress", re.compile(
        r"(?:\b(?:is|are|now|still|currently|status:?)\s+|[-\u2013\u2014(:|]\s*)"
        r"(?:in[- ]progress|underway|under way|ongoing|wip)\b", re.I)),
]  # fmt: skip
_MOVED = re.compile(
    r"\b(?:moved|pushed(?: back| out)?|slipped|slips|slipping|rescheduled|postponed|delayed|deferred|"
    r"extended|re-?planned|re-?baselined|brought forward)\s+(?:to|until|till|into)\b|"
    r"\b(?:now due|new (?:due |target )?date(?: is|:)?|revised (?:due |target )?date(?: is|:)?|"
    r"due date (?:changed|moved) to)",
    re.I,
)
_RAG = re.compile(
    r"^(?P<label>[A-Za-z][\w &/,()'-]{0,60}?)\s*(?:status|rag)?\s*(?::|-|\u2013|=|\|)\s*"
    r"(?P<rag>red|amber|yellow|green|\U0001F534|\U0001F7E1|\U0001F7E2)(?=\s*(?:$|[|.;,(]|\s-|\s\u2013))",
    re.I,
)
_RAG_NAMES = {"yellow": "amber"}
_RAG_EMOJI = {"\U0001f534": "red", "\U0001f7e1": "amber", "\U0001f7e2": "green"}
# Status lines are short; a long paragraph that mentions "completed" is narrative, not an update.
_MIN_CHARS, _MAX_CHARS = 8, 240
# "move tickets to Done", "moved to In Progress": about a board's columns, not about an item's status.
_BOARD_MOVE = re.compile(
    r"\bmov(?:e|ed|es|ing)\b.{0,60}\b(?:to|into)\s+(?:done|closed|complete|in[- ]?progress|wip)\b", re.I
)
_MARKUP = re.compile(r"^(?:[\s>*+\-#\d.)|]|\[[ xX]?\])*")


@dataclass(frozen=True)
class Update:
    """A line saying an item changed: its status, its date, or both. `core` is the line without the
    words that say so, for matching against items."""

    start: int
    end: int
    quote: str
    core: str
    status: str | None
    due_date: dt.date | None


def _lines(text: str) -> Iterator[tuple[int, str]]:
    offset = 0
    for line in text.split("\n"):
        yield offset, line
        offset += len(line) + 1


def _sentences(text: str) -> Iterator[tuple[int, str]]:
    """Each line's sentences with their offsets: "Migration is 70% complete. There is a risk..." says two
    things about two items."""
    for offset, line in _lines(text):
        start = 0
        for boundary in [*_SENTENCE_END.finditer(line), None]:
            end = boundary.start() + 1 if boundary is not None else len(line)
            yield offset + start, line[start:end]
            start = boundary.end() if boundary is not None else len(line)


def find_updates(text: str, reference: dt.date | None) -> list[Update]:
    ctx = DateContext(reference=reference, day_first=infer_day_first(text))
    found = []
    for offset, sentence in _sentences(text):
        stripped = sentence.strip()
        if not _MIN_CHARS <= len(stripped) <= _MAX_CHARS:
            continue
        update = _update(stripped, ctx)
        if update is not None:
            found.append(_at(update, offset + sentence.index(stripped)))
    return found


def _at(update: Update, start: int) -> Update:
    return Update(start, start + len(update.quote), update.quote, update.core, update.status, update.due_date)


def _update(line: str, ctx: DateContext) -> Update | None:
    if line.rstrip().endswith("?"):
        return None
    quiet = _NEGATED.search(line) or _BOARD_MOVE.search(line) or _PARTIAL.search(line)
    status = None if quiet else next((s for s, p in _STATUS_WORDS if p.search(line)), None)
    due, core = None, line
    moved = _MOVED.search(line)
    if moved is not None:
        dates = find_dates(line[moved.end() :], ctx, loose=True)
        if dates:
            due = dates[0].date
            after = moved.end()
            core = line[: moved.start()] + line[after + dates[0].end :]
    if status is None and due is None:
        return None
    for _, pattern in _STATUS_WORDS:
        core = pattern.sub(" ", core)
    core = " ".join(_MARKUP.sub("", core).replace("|", " ").split())
    return Update(0, len(line), line, core, status, due)


def without_move(text: str, reference: dt.date | None) -> str:
    """The text minus its "moved to 10/16" phrase: the task's words, for its title and for matching."""
    moved = _MOVED.search(text)
    if moved is None:
        return text
    ctx = DateContext(reference=reference, day_first=infer_day_first(text))
    dates = find_dates(text[moved.end() :], ctx, loose=True)
    if not dates:
        return text
    before, after = text[: moved.start()], text[moved.end() + dates[0].end :]
    if before.rstrip().endswith("(") and after.lstrip().startswith(")"):
        after = after.lstrip()[1:]  # "Pilot (moved to 12 May) with sales": the brackets go with it
    kept = before.rstrip(" ,;:-\u2013\u2014(") + after
    return " ".join(kept.split()).rstrip(" ,;:-") or text


def rag_statuses(text: str) -> dict[str, str]:
    """Label → red/amber/green for lines like "Overall status: Amber" or a "Schedule | Green" table row."""
    found: dict[str, str] = {}
    for _, line in _lines(text):
        match = _RAG.match(_MARKUP.sub("", line.strip()))
        if match is None:
            continue
        label = " ".join(match["label"].replace("|", " ").split()).strip(" -:").casefold()
        label = re.sub(r"\s*(?:status|rag)$", "", label) or "overall"
        raw = match["rag"]
        found.setdefault(label, _RAG_EMOJI.get(raw) or _RAG_NAMES.get(raw.casefold(), raw.casefold()))
    return found
