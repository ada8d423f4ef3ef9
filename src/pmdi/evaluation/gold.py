"""Gold labels: `NAME.gold.json` next to the document `NAME`, or pointing at it with `source`.

The fields are those of the analysis contract; unknown keys are rejected so that a typo in a label file
("ownr") fails loudly instead of silently scoring as a missing value.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pmdi.analysis.schemas import ActionItem, Decision, DocumentType, Milestone, Risk

SUFFIX = ".gold.json"

_STRICT = ConfigDict(extra="forbid", strict=True)


class GoldActionItem(ActionItem):
    model_config = _STRICT


class GoldRisk(Risk):
    model_config = _STRICT


class GoldDecision(Decision):
    model_config = _STRICT


class GoldMilestone(Milestone):
    model_config = _STRICT


class GoldDocument(BaseModel):
    model_config = _STRICT

    # Path of the labelled document relative to this file's folder, for documents kept outside `eval/`.
    source: str | None = None
    # Why ambiguous passages were labelled the way they were; not scored.
    notes: str | None = None
    document_type: DocumentType
    document_date: dt.date | None
    action_items: list[GoldActionItem] = Field(default_factory=list)
    risks: list[GoldRisk] = Field(default_factory=list)
    decisions: list[GoldDecision] = Field(default_factory=list)
    milestones: list[GoldMilestone] = Field(default_factory=list)
    people: list[str] = Field(default_factory=list)


class GoldError(Exception):
    """A label file that cannot be used: invalid JSON or fields, or its document is missing."""


@dataclass(frozen=True)
class GoldCase:
    label_path: Path
    document_path: Path
    gold: GoldDocument


def find_label_files(gold_dir: Path) -> list[Path]:
    return sorted(path for path in gold_dir.rglob(f"*{SUFFIX}") if path.is_file())


def load_case(label_path: Path) -> GoldCase:
    try:
        gold = GoldDocument.model_validate_json(label_path.read_bytes())
    except (OSError, ValidationError) as exc:
        raise GoldError(f"{label_path}: {exc}") from exc
    if gold.source is not None:
        # Normalised: reports show "../shared/corpus/..." rather than "eval/corpus/x/../../../../shared/...".
        document = Path(os.path.normpath(label_path.parent / gold.source))
    else:
        document = label_path.with_name(label_path.name.removesuffix(SUFFIX))
    if not document.is_file():
        raise GoldError(f"{label_path}: the labelled document {document} does not exist")
    return GoldCase(label_path, document, gold)


def load_cases(gold_dir: Path) -> list[GoldCase]:
    if not gold_dir.is_dir():
        raise GoldError(f"{gold_dir} is not a folder")
    cases = [load_case(path) for path in find_label_files(gold_dir)]
    if not cases:
        raise GoldError(f"no *{SUFFIX} label files under {gold_dir}")
    return cases
