"""Action items buried in prose: "Maria will send the revised budget by Friday", "I'll update the rota
tomorrow" (the sender, in an email), "Sam, can you please share the scripts by Friday?" (the person asked),
"Omar: pls chase procurement" (a request addressed by name).

Prose is where false positives come from, so owners must be people the document knows and the sentence must
not be completed work, a hypothesis, a discussion point or a standing responsibility.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from pmdi.analysis.rules.dates import DateContext, due_date
from pmdi.analysis.rules.people import HANDLE, INITIALS, NAME, People
from pmdi.analysis.rules.structure import Structure, Unit
from pmdi.analysis.rules.tasks import TASK_VERBS, Task, first_owner, imperative, priority_of, remove_span

_PROSE_MODAL = (
    r"(?:\s+(?:will|to|shall|is to|needs? to|must|is going to|has to|agreed to|volunteered to|offered to|"
    r"will take the action to)|['\u2019]ll)"
)
_PROSE = re.compile(
    rf"(?:^|(?<=[\s(;:,]))(?P<o>{HANDLE}|{NAME}|{INITIALS}|I|he|she)(?P<m>{_PROSE_MODAL})\s+(?P<v>[a-z][\w-]*)"
)
# "..., will remove the agenda label": minutes often drop the subject; the task has no named owner.
_SUBJECTLESS = re.compile(r"(?:^|[,;]\s+|\band (?:then )?)(?P<m>will)\s+(?P<v>[a-z]+)\b")
_HAVE = re.compile(rf"\bhave (?P<o>{NAME}|{INITIALS})\s+(?P<v>[a-z][\w-]*)")
_AND_THEN = re.compile(r",?\s+and (?:also )?(?P<v>[a-z]+)\b")
_SPEAKER = re.compile(rf"^(?P<o>{NAME}):\s")
_REQUEST = re.compile(
    rf"^(?:(?P<o>{HANDLE}|{NAME}|{INITIALS})\s*[,:\-]\s*)?(?P<polite>(?i:(?:can|could|would) you\s+)?"
    r"(?i:please|pls|plz|kindly)?)\s*(?P<v>[A-Za-z][\w-]*)\b"
)
# Verbs that open a request ("Omar: chase procurement", "please share the scripts").
_REQUEST_VERBS_WORDS = """
    send share review update confirm schedule book prepare draft create set follow chase contact reach
    check investigate loop fix circulate organise organize arrange coordinate write document finalise finalize
    complete provide submit test deploy raise escalate file close merge add remove ask email call look
    propose start lead drive publish post compile collect gather identify define sign approve forward
    upload order
"""
_REQUEST_VERBS = frozenset(_REQUEST_VERBS_WORDS.split())
_HYPOTHETICAL = re.compile(
    r"^(?:if|unless|should we|in case|whether|maybe|perhaps|possibly|ideally|would|could|might)\b(?! you\b)|"
    r"\b(?:if|unless|in case) (?:we|they|you|the|it)\b.*\b(?:could|would|might)\b",
    re.I,
)
_DISCUSSION = re.compile(
    r"\b(?:discuss(?:ed|ing)?|debated?|talked about|asked (?:whether|if|about)|wondered|brainstorm\w*|"
    r"considered|considering|open question|not sure|unclear whether)\b",
    re.I,
)
_STANDING = re.compile(
    r"\b(?:is|are|remains?) responsible for|\bcontinues? to\b|will continue\b|\bas usual\b|\bongoing\b|"
    r"\b(?:every|each) (?:day|week|month|sprint|meeting|quarter|morning)\b|\b(?:weekly|daily|monthly)\b|"
    r"\balways\b|\bwill (?:not|never)\b|\bwon['\u2019]t\b|\bnot going to\b",
    re.I,
)
_CONDITION_BEFORE = re.compile(r"\b(?:if|unless|when|once|whether)\b", re.I)
_NOT_TASK_VERBS_WORDS = """
    the a an this that these those my our their his her its all some any every each more most other such
    be been being have has had not also probably likely need want like know think
"""
_NOT_TASK_VERBS = frozenset(_NOT_TASK_VERBS_WORDS.split())


@dataclass
class FoundTask:
    unit: Unit
    task: Task
    confidence: float
    span: tuple[int, int] | None = None  # a clause inside the unit, when the unit holds more


def clause_end(text: str, start: int) -> int:
    """Where a commitment found inside a longer sentence ends: the next ";" or sentence stop."""
    match = re.compile(r";|\.\s|\.$|\?|\s\u2014\s").search(text, start)
    return match.start() if match else len(text)


class CommitmentReader:
    def __init__(self, structure: Structure, people: People, ctx: DateContext) -> None:
        self.structure, self.people, self.ctx = structure, people, ctx
        self._mentions: dict[str, int] = {}
        email = structure.document.metadata.email
        self.sender = self._address_owner(email.get("from"))
        recipients = [part for part in str(email.get("to") or "").split(",") if part.strip()]
        self.addressee = self._address_owner(recipients[0]) if len(recipients) == 1 else None

    def _address_owner(self, value: object) -> str | None:
        if not isinstance(value, str) or not value.strip():
            return None
        return self.people.resolve(value.split("<")[0].strip(" \"'"))

    def find(self, unit: Unit) -> list[FoundTask]:
        text = unit.text
        if _HYPOTHETICAL.search(text) or _STANDING.search(text):
            return []
        requests = self._request(unit)
        if requests or text.rstrip().endswith("?"):
            return requests
        for match in _PROSE.finditer(text):
            found = self._commitment(unit, match)
            if found is not None:
                return [found]
        return self._subjectless(unit)

    def _subjectless(self, unit: Unit) -> list[FoundTask]:
        for match in _SUBJECTLESS.finditer(unit.text):
            before = unit.text[: match.start()]
            if (
                match["v"] in TASK_VERBS
                and not _CONDITION_BEFORE.search(before)
                and not _DISCUSSION.search(before)
            ):
                span = (match.start("m"), clause_end(unit.text, match.end()))
                found = self._make(unit, None, None, match.start("m"), span)
                if found is not None:
                    found.confidence = 0.5
                    return [found]
        return []

    def _commitment(self, unit: Unit, match: re.Match[str]) -> FoundTask | None:
        text = unit.text
        before = text[: match.start()]
        if _DISCUSSION.search(before) or _CONDITION_BEFORE.search(before):
            return None
        if match["v"].lower() in _NOT_TASK_VERBS:
            return None
        written = match["o"]
        owner = (
            self._antecedent(unit, match.start()) if written in {"he", "she"} else self.owner(written, unit)
        )
        if owner is None and self._dated_promise(match, text):
            owner = written
        if owner is None and written.lower() not in {"all", "everyone", "everybody", "team"}:
            return None
        return self._make(
            unit, owner, written, match.start("m"), (match.start(), clause_end(text, match.end()))
        )

    def _dated_promise(self, match: re.Match[str], text: str) -> bool:
        """ "Ann will send the budget by Friday": a name the document never introduced still owns a
        promise that is this specific (a firm "will", a task verb, a due date)."""
        written = match["o"]
        if not re.fullmatch(r"[A-Z][a-z]{2,}", written) or match["m"].strip() != "will":
            return False
        clause = text[match.end() : clause_end(text, match.end())]
        # Any reference date will do: the question is whether a deadline is stated, not which day it is.
        undated = DateContext(self.ctx.reference or dt.date(2000, 1, 1), self.ctx.day_first)
        return match["v"] in TASK_VERBS and due_date(clause, undated) is not None

    def _request(self, unit: Unit) -> list[FoundTask]:
        """ "Sam, can you please share X by Friday?", "Omar: pls chase Y": the person addressed owns it;
        "please have Imran send me X" is Imran's."""
        text = unit.text
        match = _REQUEST.match(text)
        if match is None or not match["polite"].strip():
            return []
        addressed = self.owner(match["o"], unit) if match["o"] else self.addressee
        delegated = _HAVE.match(text, match.start("v"))
        if delegated and match["v"].lower() == "have":
            owner, written, start = self.owner(delegated["o"], unit), delegated["o"], delegated.start("v")
        elif match["v"].lower() in _REQUEST_VERBS:
            owner, written, start = addressed, match["o"], match.start("v")
        else:
            return []
        end = clause_end(text, start)
        found = [self._make(unit, owner, written, start, (match.start(), end))]
        # "..., and loop in Legal on the clause": a second request to the same person.
        for more in _AND_THEN.finditer(text, start, end):
            if more["v"] in _REQUEST_VERBS and more.start() > start:
                found.append(self._make(unit, addressed, None, more.start("v"), (more.start("v"), end)))
                found[0] = self._make(unit, owner, written, start, (match.start(), more.start()))
                break
        return [item for item in found if item is not None and item.task.owner is not None]

    def _make(
        self, unit: Unit, owner: str | None, written: str | None, body_start: int, span: tuple[int, int]
    ) -> FoundTask | None:
        clause = unit.text[body_start : span[1]]
        due = due_date(clause, self.ctx)
        body = clause if due is None else remove_span(clause, due.start, due.end)
        task = Task(imperative(body), owner, written, due, priority_of(unit.text), None)
        if not task.text:
            return None
        return FoundTask(unit, task, 0.6, (unit.start + span[0], unit.start + span[1]))

    def _antecedent(self, unit: Unit, offset: int) -> str | None:
        """ "Maria walked everyone through the costs, and she will send...": the last person named before."""
        before = self.structure.document.text[unit.block.start : unit.start + offset]
        for word in reversed(re.findall(rf"{NAME}", before)):
            if self.people.known(word):
                return self.people.resolve(word)
        return None

    def owner(self, written: str, unit: Unit | None = None) -> str | None:
        """Prose needs surer owners than action lists: with an attendee list, only people on it."""
        if written == "I":
            speaker = _SPEAKER.match(unit.text) if unit is not None else None
            return self.owner(speaker["o"]) if speaker else self.sender
        first = first_owner(written)
        unknown = not first.startswith("@") and not self.people.known(first)
        if unknown and (len(self.people.names) >= 3 or self.mentions(first) < 2):
            return None  # a capitalised word met once is more likely "Reluctant to..." than a name
        if re.fullmatch(INITIALS, first) and first.lower() not in self.people.aliases:
            return None
        return self.people.resolve(first)

    def mentions(self, token: str) -> int:
        # Memoised: a long document asks about the same few names thousands of times.
        if token not in self._mentions:
            pattern = rf"(?<![\w@]){re.escape(token)}(?!\w)"
            self._mentions[token] = len(re.findall(pattern, self.structure.document.text))
        return self._mentions[token]
