"""An extractive summary: the few sentences that carry the most PM content, in document order."""

from __future__ import annotations

import re

from pmdi.analysis.rules.structure import Section, Structure, Unit

_SIGNAL = re.compile(
    r"\b(decided|agreed|approved|risk|delay|slip|blocked|milestone|deliver\w*|launch\w*|go-live|release\w*|"
    r"budget|cost|status|complete\w*|on track|behind|ahead|deadline|due|scope|goal|objective|purpose|"
    r"summary|overall|key|priority|plan\w*|will)\b",
    re.I,
)
_SKIP_SECTIONS = (Section.ATTENDEES, Section.LEGEND, Section.AGENDA)
MAX_POINTS = 5
_MIN_CHARS, _MIN_SHORT_CHARS, _MAX_CHARS = 40, 12, 300


def _score(unit: Unit, position: float) -> float:
    signal = len(_SIGNAL.findall(unit.text))
    digits = 0.5 if re.search(r"\d", unit.text) else 0.0
    early = 1.5 * (1.0 - position)
    length = min(len(unit.text), 200) / 200
    return signal + digits + early + length


def _candidates(structure: Structure, min_chars: int) -> list[Unit]:
    return [
        unit
        for unit in structure.units
        if unit.kind in ("sentence", "item")
        and unit.section not in _SKIP_SECTIONS
        and not unit.quoted
        and min_chars <= len(unit.text) <= _MAX_CHARS
        and not re.match(r"^(https?://|\W)", unit.text)
    ]


def summarise(structure: Structure) -> tuple[str, list[str]]:
    # Short notes have only short lines; they still deserve a summary.
    candidates = _candidates(structure, _MIN_CHARS) or _candidates(structure, _MIN_SHORT_CHARS)
    total = max(1, len(candidates))
    ranked = sorted(range(len(candidates)), key=lambda i: -_score(candidates[i], i / total))
    chosen = sorted(ranked[:MAX_POINTS])
    points = [" ".join(candidates[i].text.split()) for i in chosen]
    title = structure.document.metadata.title or ""
    lead = " ".join(points[:3])
    summary = f"{title.strip()}: {lead}" if title.strip() and lead else title.strip() or lead
    return summary[:1200], points
