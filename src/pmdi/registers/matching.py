"""Is a new mention the same item as one already tracked? Meaning (embeddings) and shared words, vetoed by
conflicting owners or numbers ("plan for workstream 1" is not "... 2")."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from pmdi.search.text import STOPWORDS, stem, words

# Calibrated on paraphrased task pairs with all-MiniLM-L6-v2: paraphrases score 0.7-0.85, unrelated tasks
# of the same project 0.1-0.3. Between the two thresholds a person decides.
SAME = 0.62
MAYBE = 0.48
_CONFLICT = 0.3
_MARKER_WORDS = frozenset(
    {"action", "actions", "item", "items", "todo", "risk", "risks", "issue", "decision"}
)
# "workstream 1", "phase #2", "R3": numbers that name a thing (dates are not compared; they change).
_NAMED_NUMBER = re.compile(r"\b([a-z]{1,20})\s?#?(\d{1,3})\b(?![/.:-]\d)", re.I)
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
    """What matching compares: content stems, the numbers named, the owner, the meaning vector."""

    stems: frozenset[str]
    numbers: frozenset[str]
    owner: str | None
    vector: NDArray[np.float32] | None = field(default=None, repr=False)


def signature(text: str, owner: str | None, vector: NDArray[np.float32] | None) -> Signature:
    content = [w for w in words(text) if w not in STOPWORDS and w not in _MARKER_WORDS and not w.isdigit()]
    if owner:
        content = [w for w in content if w not in set(words(owner))]
    unit = None
    if vector is not None:
        norm = float(np.linalg.norm(vector))
        unit = (vector / norm).astype(np.float32) if norm > 0 else None
    return Signature(
        stems=frozenset(stem(w) for w in content),
        numbers=_named_numbers(text),
        owner=normalise_name(owner) if owner else None,
        vector=unit,
    )


def _named_numbers(text: str) -> frozenset[str]:
    return frozenset(
        f"{m[1].casefold()}{int(m[2])}"
        for m in _NAMED_NUMBER.finditer(text)
        if m[1].casefold() not in _NOT_NAMES
    )


def normalise_name(name: str) -> str:
    return " ".join(words(name))


def same_person(left: str, right: str) -> bool:
    """ "Priya" and "Priya Shah", "P. Shah" and "Priya Shah": one name's words all start the other's."""
    a, b = left.split(), right.split()
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    return all(any(word.startswith(part) or part.startswith(word) for word in long) for part in short)


def similarity(new: Signature, known: Signature, *, check_numbers: bool = True) -> float:
    shared = len(new.stems & known.stems)
    total = len(new.stems) + len(known.stems)
    dice = 2 * shared / total if total else 0.0
    if new.vector is not None and known.vector is not None:
        score = 0.7 * float(np.dot(new.vector, known.vector)) + 0.3 * dice
    else:
        score = dice
    if new.owner and known.owner and not same_person(new.owner, known.owner):
        score -= _CONFLICT
    if check_numbers and new.numbers and known.numbers and new.numbers != known.numbers:
        score -= _CONFLICT
    return score
