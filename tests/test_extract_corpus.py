"""Every real document of the shared corpus extracts through `pmdi extract`, with consistent offsets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PMDI = str(Path(sys.executable).parent / "pmdi")
# Files that are legitimately (nearly) empty, keyed by path relative to the corpus.
EMPTY_FORMS: set[str] = set()


def test_pmdi_extract_handles_the_whole_corpus(corpus: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PMDI_DATA_DIR": str(tmp_path)}
    result = subprocess.run(
        [PMDI, "extract", str(corpus), "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    items = json.loads(result.stdout)
    errors = [(i["file"], i["error"]) for i in items if "error" in i]
    assert result.returncode == 0, errors
    files = sorted(p for p in corpus.rglob("*") if p.is_file() and not p.name.startswith("."))
    assert len(items) == len(files)
    for item in items:
        relative = str(Path(item["file"]).relative_to(corpus))
        if relative not in EMPTY_FORMS:
            assert item["text"].strip(), f"{relative} extracted no text"
        text = item["text"]
        assert all(text[b["start"] : b["end"]] == b["text"] for b in item["blocks"]), relative
        assert item["metadata"]["page_count"] == len(item["pages"]) >= 1, relative


def test_extract_reports_errors_per_file_and_exit_code(tmp_path: Path) -> None:
    good, bad = tmp_path / "notes.md", tmp_path / "fake.pdf"
    good.write_text("# Notes\n\nAnn will send the budget.\n")
    bad.write_bytes(b"%PDF-1.4\n" + os.urandom(2000))
    env = {**os.environ, "PMDI_DATA_DIR": str(tmp_path / "data")}
    result = subprocess.run(
        [PMDI, "extract", str(good), str(bad)], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 1
    first, second = json.loads(result.stdout)
    assert "Ann will send the budget." in first["text"]
    assert second["file"] == str(bad)
    assert set(second["error"]) == {"code", "detail"}
    as_text = subprocess.run(
        [PMDI, "extract", str(good), "--format", "text"], capture_output=True, text=True, env=env, timeout=120
    )
    assert as_text.returncode == 0
    assert as_text.stdout.splitlines()[0] == f"==> {good} <=="
    assert "Ann will send the budget." in as_text.stdout
