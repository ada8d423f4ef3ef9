"""Analysis throughput: two-page documents per minute, extract + analyze, on 2 cores; and memory.

Generates two-page meeting minutes as PDF, DOCX and Markdown (alternating), then runs each through the same
sandbox the pipeline uses, two at a time, pinned to two CPUs. The baseline, measured in the same run, is
extraction alone: the ratio shows what the analyzer adds. Memory is the peak RSS of one process that has
extracted and analysed every document (all models loaded). Also reports the real corpus as a second mix.

Run by hand: `.venv/bin/python bench/analyze.py [--documents 120]`.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from docx import Document as DocxDocument
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from pmdi.analysis.cli import analyze_file
from pmdi.config import Settings
from pmdi.core.processes import Sandbox
from pmdi.documents.sniff import sniff
from pmdi.extraction.stage import extract_file, options_from

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "real"
NAMES = ["Maria Lopez", "Karen Brooks", "Tom Miller", "Priya Shah", "Omar Haddad", "Lena Vogel"]


def minutes_lines(index: int) -> list[str]:
    """About two A4 pages of minutes: attendees, discussion, decisions, risks and actions."""
    a, b, c = (NAMES[(index + k) % len(NAMES)] for k in range(3))
    lines = [f"Project steering committee {index}", f"Date: {1 + index % 27} March 2025", ""]
    lines += [f"Attendees: {a}, {b}, {c}", "", "Discussion"]
    for topic in range(14):
        lines.append(
            f"The team reviewed workstream {topic + 1}: integration testing is {40 + topic}% complete and "
            f"the vendor confirmed the interface specification for release {index}.{topic}."
        )
    lines += ["", "Decisions", f"- Decision: the go-live moves to {10 + index % 18} April 2025."]
    lines += ["", "Risks", f"- Risk: the data migration could delay cut-over by two weeks (owner {b})."]
    lines += ["", "Action items"]
    for action in range(8):
        owner = NAMES[(index + action) % len(NAMES)]
        lines.append(f"- {owner} to send the revised plan for workstream {action + 1} by Friday.")
    return lines


def write_document(folder: Path, index: int) -> Path:
    lines = minutes_lines(index)
    kind = ("pdf", "docx", "md")[index % 3]
    path = folder / f"minutes-{index}.{kind}"
    if kind == "md":
        path.write_text("\n".join(lines), encoding="utf-8")
    elif kind == "docx":
        document = DocxDocument()
        for line in lines:
            document.add_paragraph(line)
        document.save(str(path))
    else:
        pdf = canvas.Canvas(str(path), pagesize=A4)
        pdf.setFont("Helvetica", 9)
        for number, line in enumerate(lines):
            if number and number % 26 == 0:
                pdf.showPage()
                pdf.setFont("Helvetica", 9)
            for part in range(0, max(1, len(line)), 110):
                pdf.drawString(50, 800 - (number % 26) * 30 - (part // 110) * 11, line[part : part + 110])
        pdf.showPage()
        pdf.save()
    return path


Job = Callable[[Path], tuple[Callable[..., Any], tuple[Any, ...]]]


def extract_job(settings: Settings) -> Job:
    def job(path: Path) -> tuple[Callable[..., Any], tuple[Any, ...]]:
        options = options_from(settings.extraction, path.name)
        return extract_file, (str(path), sniff(path, path.name), options, None)

    return job


def analyze_job(settings: Settings) -> Job:
    def job(path: Path) -> tuple[Callable[..., Any], tuple[Any, ...]]:
        options = options_from(settings.extraction, path.name)
        return analyze_file, (str(path), sniff(path, path.name), options, settings.analysis)

    return job


def per_minute(paths: list[Path], job: Job, sandbox: Sandbox) -> float:
    def run(path: Path) -> None:
        fn, args = job(path)
        sandbox.run_blocking(fn, args)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(run, paths))
    return len(paths) / (time.perf_counter() - started) * 60


def peak_rss_mb(paths: list[Path], settings: Settings) -> float:
    """In this process: every document extracted and analysed, so every model is loaded."""
    for path in paths:
        fn, args = analyze_job(settings)(path)
        fn(*args)
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def corpus_files() -> list[Path]:
    suffixes = {".md", ".pdf", ".docx", ".xlsx", ".csv"}
    return sorted(p for p in CORPUS.rglob("*") if p.suffix in suffixes)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=120)
    count = parser.parse_args().documents
    os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[:2]))  # children inherit: 2 cores
    settings = Settings()
    sandbox = Sandbox(settings.worker.task_timeout_seconds, settings.worker.task_memory_mb)
    with tempfile.TemporaryDirectory() as tmp:
        paths = [write_document(Path(tmp), i) for i in range(count)]
        per_minute(paths[:6], analyze_job(settings), sandbox)  # warm the forkserver
        extract_rate = per_minute(paths, extract_job(settings), sandbox)
        analyze_rate = per_minute(paths, analyze_job(settings), sandbox)
        corpus = corpus_files()
        corpus_rate = per_minute(corpus, analyze_job(settings), sandbox)
        rss = peak_rss_mb(paths[:30] + corpus, settings)
    result = {
        "cores": len(os.sched_getaffinity(0)),
        "two_page_documents": count,
        "extract_only_per_minute": round(extract_rate),
        "extract_and_analyze_per_minute": round(analyze_rate),
        "analyze_vs_extract_only_ratio": round(analyze_rate / extract_rate, 2),
        "corpus_documents": len(corpus),
        "corpus_extract_and_analyze_per_minute": round(corpus_rate),
        "peak_rss_mb_all_models_loaded": round(rss),
    }
    print(json.dumps(result, indent=2))
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "analyze.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
