"""Scores of one analysis against its gold labels, and their sums over a dev set.

Counts are micro-averaged: every labelled item weighs the same, whichever document it sits in.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pmdi.analysis.schemas import Analysis
from pmdi.evaluation.gold import GoldDocument
from pmdi.evaluation.matching import Pair, match

KINDS = ("action_items", "risks", "decisions", "milestones", "people")
# Shown as the predicted value of document fields when the analysis of the document failed.
FAILED = "(analysis failed)"
FIELDS = ("owner", "due_date", "severity", "milestone_date", "document_type", "document_date")

# For each matched kind: the text used for matching, and the fields compared on matched pairs.
_TEXT: dict[str, Callable[[Any], str]] = {
    "action_items": lambda item: item.text,
    "risks": lambda item: item.text,
    "decisions": lambda item: item.text,
    "milestones": lambda item: item.name,
}
_PAIR_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "action_items": (("owner", "owner"), ("due_date", "due_date")),
    "risks": (("severity", "severity"),),
    "milestones": (("milestone_date", "date"),),
}


# Typographic apostrophes and quotes depend on the editor that wrote a name, not on the name itself.
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


def normalise(value: object) -> str | None:
    """Case-, space- and quote-style-insensitive form of a structured value; dates compare as ISO text."""
    if value is None:
        return None
    text = unicodedata.normalize("NFKC", str(value)).translate(_QUOTES)
    return " ".join(text.casefold().split()) or None


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, other: Counts) -> None:
        self.tp, self.fp, self.fn = self.tp + other.tp, self.fp + other.fp, self.fn + other.fn

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        # Undefined only when there was nothing to find and nothing was found.
        total = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / total if total else None


@dataclass
class Accuracy:
    correct: int = 0
    total: int = 0

    def add(self, other: Accuracy) -> None:
        self.correct, self.total = self.correct + other.correct, self.total + other.total

    def record(self, ok: bool) -> None:
        self.correct += ok
        self.total += 1

    @property
    def value(self) -> float | None:
        return self.correct / self.total if self.total else None


@dataclass(frozen=True)
class Mismatch:
    """A structured field that differs: on a matched item pair, or on the document itself (`item` empty)."""

    field: str
    item: str
    gold: str | None
    predicted: str | None


@dataclass
class KindResult:
    counts: Counts = field(default_factory=Counts)
    missed: list[str] = field(default_factory=list)  # false negatives: gold texts nothing matched
    spurious: list[str] = field(default_factory=list)  # false positives: predicted texts matching no gold


@dataclass
class DocumentResult:
    label_path: str
    document_path: str
    error: str | None = None
    kinds: dict[str, KindResult] = field(default_factory=lambda: {kind: KindResult() for kind in KINDS})
    fields: dict[str, Accuracy] = field(default_factory=lambda: {name: Accuracy() for name in FIELDS})
    mismatches: list[Mismatch] = field(default_factory=list)

    def check(self, name: str, item: str, gold: object, predicted: object) -> None:
        expected, got = normalise(gold), normalise(predicted)
        self.fields[name].record(expected == got)
        if expected != got:
            self.mismatches.append(Mismatch(name, item, expected, got))


@dataclass
class Report:
    documents: list[DocumentResult]

    def kind_totals(self) -> dict[str, Counts]:
        totals = {kind: Counts() for kind in KINDS}
        for document in self.documents:
            for kind, result in document.kinds.items():
                totals[kind].add(result.counts)
        return totals

    def field_totals(self) -> dict[str, Accuracy]:
        totals = {name: Accuracy() for name in FIELDS}
        for document in self.documents:
            for name, accuracy in document.fields.items():
                totals[name].add(accuracy)
        return totals


def _score_kind(result: DocumentResult, kind: str, gold: Sequence[Any], predicted: Sequence[Any]) -> None:
    text = _TEXT[kind]
    gold_texts, predicted_texts = [text(item) for item in gold], [text(item) for item in predicted]
    pairs: list[Pair] = match(gold_texts, predicted_texts)
    kind_result = result.kinds[kind]
    kind_result.counts = Counts(len(pairs), len(predicted) - len(pairs), len(gold) - len(pairs))
    matched_gold = {pair.gold for pair in pairs}
    matched_predicted = {pair.predicted for pair in pairs}
    kind_result.missed = [t for i, t in enumerate(gold_texts) if i not in matched_gold]
    kind_result.spurious = [t for i, t in enumerate(predicted_texts) if i not in matched_predicted]
    for pair in pairs:
        for name, attribute in _PAIR_FIELDS.get(kind, ()):
            gold_value = getattr(gold[pair.gold], attribute)
            predicted_value = getattr(predicted[pair.predicted], attribute)
            result.check(name, gold_texts[pair.gold], gold_value, predicted_value)


def _score_people(result: DocumentResult, gold: list[str], predicted: list[str]) -> None:
    gold_names = {name for name in map(normalise, gold) if name}
    predicted_names = {name for name in map(normalise, predicted) if name}
    kind_result = result.kinds["people"]
    both = gold_names & predicted_names
    kind_result.counts = Counts(len(both), len(predicted_names - both), len(gold_names - both))
    kind_result.missed = sorted(gold_names - both)
    kind_result.spurious = sorted(predicted_names - both)


def score_document(result: DocumentResult, gold: GoldDocument, predicted: Analysis | None) -> DocumentResult:
    """Fill `result` in; a failed analysis (`None`) misses every gold item and both document fields."""
    analysis = predicted or Analysis()
    for kind in _TEXT:
        predicted_items = getattr(analysis, kind)
        if kind == "action_items":
            # Completed work is reported with status "done" at most; only open tasks are action items.
            predicted_items = [item for item in predicted_items if item.status == "open"]
        _score_kind(result, kind, getattr(gold, kind), predicted_items)
    _score_people(result, gold.people, analysis.people)
    for name, gold_value, predicted_value in (
        ("document_type", gold.document_type, analysis.document_type),
        ("document_date", gold.document_date, analysis.document_date),
    ):
        if predicted is None:
            result.fields[name].record(False)
            result.mismatches.append(Mismatch(name, "", normalise(gold_value), FAILED))
        else:
            result.check(name, "", gold_value, predicted_value)
    return result
