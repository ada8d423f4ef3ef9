"""Is a new mention the same item as one already tracked? Meaning (embeddings) and shared words, vetoed by
conflicting owners or numbers ("plan for workstream 1" is not "... 2")."""

from __future__ import annotations

import heapq
import re
import uuid
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from pmdi.search.text import STOPWORDS, stem, words

# Calibrated on paraphrased task pairs with all-MiniLM-L6-v2 (paraphrases score 0.7-0.85, unrelated tasks
# of one project 0.1-0.3) and on the corpus's meeting series (different tasks sharing a topic: 0.5-0.6).
# Between the two thresholds a person decides.
SAME = 0.62
MAYBE = 0.55
_CONFLICT = 0.3
_FEW_WORDS, _SHORT = 3, 0.1
_SAME_DUE = 0.04
_MARKER_WORDS = frozenset(
    {"action", "actions", "item", "items", "todo", "risk", "risks", "issue", "decision"}
)
# "workstream 1", "phase #2", "R3": numbers that name a thing (dates are not compared; they change).
_NAMED_NUMBER = re.compile(r"\b([a-z]{1,20})\s?#?(\d{1,6})\b(?![/.:-]\d)", re.I)
_TICKET = re.compile(r"#(\d{1,7})\b")
# Dates named in the text itself ("Release for May 5th" is not "Release for June 30th"); due dates are not
# part of the text, so a moved deadline is still the same item.
_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH_DAY = re.compile(
    r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b|"
    r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b|"
    r"\b\d{4}-(\d{2})-(\d{2})\b",
    re.I,
)
_MONTHS = {m: i for i, m in enumerate(_MONTH_NAMES, start=1)}
_NOT_NAMES = frozenset(
    [
        "jan",
        "feb",
        "mar",
        "apr",
        "may",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "january",
        "february",
        "march",
        "april",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "by",
        "on",
        "due",
        "before",
        "until",
        "til",
        "till",
        "at",
        "in",
        "of",
        "to",
        "and",
        "the",
        "wk",
        "week",
        "day",
        "days",
        "weeks",
        "q",
    ]
)


@dataclass
class Signature:
    """What matching compares: content stems, the numbers named, the owner, the meaning vector, the due date
    (ISO; the same date is a hint, a different one no objection: dates move)."""

    stems: frozenset[str]
    numbers: frozenset[str]
    owner: str | None
    vector: NDArray[np.float32] | None = field(default=None, repr=False)
    due: str | None = None


def signature(
    text: str, owner: str | None, vector: NDArray[np.float32] | None, quote: str = "", due: str | None = None
) -> Signature:
    """`quote` is the line the text came from: the ticket and item numbers it names count too."""
    content = [w for w in words(text) if w not in STOPWORDS and w not in _MARKER_WORDS and not w.isdigit()]
    if owner:
        content = [w for w in content if w not in set(words(owner))]
    unit = None
    if vector is not None:
        norm = float(np.linalg.norm(vector))
        unit = (vector / norm).astype(np.float32) if norm > 0 else None
    return Signature(
        stems=frozenset(stem(w) for w in content),
        numbers=_named_numbers(text) | _identifiers(quote),
        owner=normalise_name(owner) if owner else None,
        vector=unit,
        due=due,
    )


def _identifiers(text: str) -> frozenset[str]:
    named = ((m[1].casefold(), int(m[2])) for m in _NAMED_NUMBER.finditer(text))
    found = {f"{name}{number}" for name, number in named if name not in _NOT_NAMES}
    return frozenset(found | {f"#{int(m[1])}" for m in _TICKET.finditer(text)})


def _named_numbers(text: str) -> frozenset[str]:
    return _identifiers(text) | {_month_day(m) for m in _MONTH_DAY.finditer(text)}


def _month_day(match: re.Match[str]) -> str:
    if match[1]:
        return f"{_MONTHS[match[1][:3].casefold()]}/{int(match[2])}"
    if match[3]:
        return f"{_MONTHS[match[4][:3].casefold()]}/{int(match[3])}"
    return f"{int(match[5])}/{int(match[6])}"


def normalise_name(name: str) -> str:
    return " ".join(words(name))


def same_person(left: str, right: str) -> bool:
    """ "Priya" and "Priya Shah", "P. Shah" and "Priya Shah": one name's words all start the other's."""
    a, b = left.split(), right.split()
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    return all(any(word.startswith(part) or part.startswith(word) for word in long) for part in short)


def similarity(new: Signature, known: Signature) -> float:
    shared = len(new.stems & known.stems)
    total = len(new.stems) + len(known.stems)
    dice = 2 * shared / total if total else 0.0
    if new.vector is not None and known.vector is not None:
        score = 0.7 * float(np.dot(new.vector, known.vector)) + 0.3 * dice
    else:
        score = dice
    if new.owner and known.owner and not same_person(new.owner, known.owner):
        score -= _CONFLICT
    if new.numbers and known.numbers and new.numbers != known.numbers:
        score -= _CONFLICT
    if new.due and new.due == known.due:
        score += _SAME_DUE
    if min(len(new.stems), len(known.stems)) < _FEW_WORDS:
        score -= _SHORT  # "close issue" and "comment and then close" share too little to be sure
    return score


# Dice and a shared due date add at most 0.34, so a pair whose cosine is below this cannot reach MAYBE and is
# not scored in full; of the rest, only the closest by meaning are (a project's tasks can all be alike).
_PREFILTER = (MAYBE - 0.3 - _SAME_DUE) / 0.7
_SHORTLIST = 64


class Pool:
    """The project's known signatures. Their vectors are stacked once, so one matrix product shortlists the
    few worth a full comparison; signatures added while merging a document are compared one by one."""

    def __init__(self) -> None:
        self.entries: list[tuple[uuid.UUID, str, Signature]] = []
        self._matrix: NDArray[np.float32] | None = None
        self._has_vector: NDArray[np.bool_] | None = None

    def add(self, key: uuid.UUID, kind: str, known: Signature) -> None:
        self.entries.append((key, kind, known))

    def freeze(self, dimensions: int = 384) -> None:
        """Stacks the signatures present now; call once after loading the project."""
        rows = np.zeros((len(self.entries), dimensions), dtype=np.float32)
        has = np.zeros(len(self.entries), dtype=bool)
        for index, (_, _, known) in enumerate(self.entries):
            if known.vector is not None and known.vector.shape[0] == dimensions:
                rows[index], has[index] = known.vector, True
        self._matrix, self._has_vector = rows, has

    def ranked(
        self, new: Signature, kinds: set[str], exclude: set[uuid.UUID] | None = None, top: int = 2
    ) -> list[tuple[float, uuid.UUID]]:
        """The `top` best items (score, key), best first: each item scores as its closest signature."""
        best: dict[uuid.UUID, float] = {}
        for index in self._candidates(new):
            key, kind, known = self.entries[index]
            if kind in kinds and (exclude is None or key not in exclude):
                score = similarity(new, known)
                if score > best.get(key, float("-inf")):
                    best[key] = score
        return heapq.nlargest(top, ((score, key) for key, score in best.items()), key=lambda pair: pair[0])

    def _candidates(self, new: Signature) -> list[int]:
        frozen = 0 if self._matrix is None else self._matrix.shape[0]
        tail = list(range(frozen, len(self.entries)))
        if self._matrix is None or self._has_vector is None or new.vector is None:
            return list(range(frozen)) + tail
        if new.vector.shape[0] != self._matrix.shape[1]:
            return list(range(frozen)) + tail
        cosine = self._matrix @ new.vector
        close = np.flatnonzero(cosine >= _PREFILTER)
        if close.shape[0] > _SHORTLIST:
            close = close[np.argpartition(-cosine[close], _SHORTLIST)[:_SHORTLIST]]
        without = np.flatnonzero(~self._has_vector)
        return [int(i) for i in close] + [int(i) for i in without] + tail
