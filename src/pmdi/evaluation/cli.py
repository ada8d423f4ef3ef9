"""`pmdi eval GOLD_DIR`: print precision / recall / F1 per kind and field accuracies."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pmdi.config import Settings
from pmdi.evaluation.gold import GoldError
from pmdi.evaluation.report import render_misses, render_table, to_json
from pmdi.evaluation.service import evaluate


def eval_command(gold_dir: Path, verbose: bool, as_json: bool) -> int:
    """Print the report; exit code 0 when it could be produced, 2 when the labels are unusable."""
    try:
        report = evaluate(gold_dir, Settings())
    except GoldError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if as_json:
        print(json.dumps(to_json(report, documents=verbose), ensure_ascii=False, indent=2))
        return 0
    if verbose:
        print(render_misses(report), end="\n\n")
    print(render_table(report))
    return 0
