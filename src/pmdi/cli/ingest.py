"""`pmdi ingest`: upload files one by one, follow each through the pipeline, and report per file."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from pmdi.cli.client import PmdiClient, ProjectRef
from pmdi.core.errors import PmdiError

# Progress steps: the upload, then each status of the pipeline up to `indexed`.
STEPS = {
    "queued": 1,
    "extracting": 2,
    "extracted": 3,
    "analyzing": 4,
    "analyzed": 5,
    "indexing": 6,
    "indexed": 7,
}
TOTAL_STEPS = 7
_FINAL = {"indexed": "processed", "failed": "failed", "cancelled": "cancelled"}
SETTLED = {"processed", "failed", "cancelled", "timeout"}
_STYLE = {"processed": "green", "failed": "red", "cancelled": "yellow", "timeout": "yellow"}


@dataclass
class FileOutcome:
    path: Path
    status: str = "uploading"
    document_id: str | None = None
    reason: str = ""
    duplicate: bool = False

    @property
    def ok(self) -> bool:
        return self.status == "processed"

    def as_json(self) -> dict[str, Any]:
        return {
            "file": str(self.path),
            "status": self.status,
            "document_id": self.document_id,
            "duplicate": self.duplicate,
            "reason": self.reason or None,
        }

    def apply(self, document: dict[str, Any]) -> None:
        """Take the document's current status (and failure reason) from the server's answer."""
        status = str(document["status"])
        self.status = _FINAL.get(status, status)
        if status in {"failed", "cancelled"}:
            self.reason = document.get("error_reason") or status


def _hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)


def expand_paths(paths: Sequence[Path], recursive: bool) -> tuple[list[Path], list[FileOutcome]]:
    """Files to upload in a stable order (folders give their files, hidden ones skipped); missing paths."""
    files: list[Path] = []
    missing: list[FileOutcome] = []
    for path in paths:
        if path.is_dir():
            candidates = path.rglob("*") if recursive else path.iterdir()
            found = (c for c in candidates if c.is_file() and not _hidden(c.relative_to(path)))
            files.extend(sorted(found))
        elif path.is_file():
            files.append(path)
        else:
            missing.append(FileOutcome(path, "failed", reason="No such file or directory."))
    return files, missing


def new_progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}", justify="left"),
        BarColumn(),
        TextColumn("{task.fields[status]}"),
        TimeElapsedColumn(),
        console=console,
    )


class Ingest:
    """Uploads files into one project and follows them until each is processed, failed or timed out."""

    def __init__(self, client: PmdiClient, project: ProjectRef, progress: Progress) -> None:
        self.client = client
        self.project = project
        self.progress = progress
        self._tasks: dict[int, TaskID] = {}

    async def run(self, files: Sequence[Path], wait_seconds: float, poll_seconds: float) -> list[FileOutcome]:
        outcomes = [FileOutcome(path) for path in files]
        for outcome in outcomes:
            name = escape(outcome.path.name)
            self._tasks[id(outcome)] = self.progress.add_task(name, total=TOTAL_STEPS, status="")
            self._show(outcome)
            await self._upload(outcome)
        await self._follow(outcomes, wait_seconds, poll_seconds)
        return outcomes

    async def _upload(self, outcome: FileOutcome) -> None:
        try:
            item = await self.client.upload(self.project.id, outcome.path)
        except PmdiError as exc:
            outcome.status, outcome.reason = "failed", exc.detail
        else:
            outcome.document_id, outcome.duplicate = str(item["document"]["id"]), bool(item["duplicate"])
            if outcome.duplicate:
                outcome.reason = "already in the project"
            outcome.apply(item["document"])
        self._show(outcome)

    async def _follow(
        self, outcomes: Sequence[FileOutcome], wait_seconds: float, poll_seconds: float
    ) -> None:
        deadline = anyio.current_time() + wait_seconds
        while pending := [o for o in outcomes if o.status not in SETTLED and o.document_id]:
            if anyio.current_time() >= deadline:
                for outcome in pending:
                    outcome.reason = f"still {outcome.status} after {wait_seconds:g}s"
                    outcome.status = "timeout"
                    self._show(outcome)
                return
            await anyio.sleep(poll_seconds)
            for outcome in pending:
                try:
                    outcome.apply(await self.client.document(str(outcome.document_id)))
                except PmdiError as exc:
                    outcome.status, outcome.reason = "failed", exc.detail
                self._show(outcome)

    def _show(self, outcome: FileOutcome) -> None:
        steps = TOTAL_STEPS if outcome.status in SETTLED else STEPS.get(outcome.status, 0)
        style = _STYLE.get(outcome.status, "cyan")
        self.progress.update(
            self._tasks[id(outcome)], completed=steps, status=f"[{style}]{outcome.status}[/{style}]"
        )


def summary_table(outcomes: Sequence[FileOutcome], project: ProjectRef | None) -> Table:
    title = f"Ingest into {project.name}" if project else "Ingest"
    table = Table(title=Text(title, style="italic"))
    for column in ("File", "Status", "Document", "Reason"):
        table.add_column(column, overflow="fold")
    for outcome in outcomes:
        style = _STYLE.get(outcome.status, "")
        # Text, not markup: file names and reasons may contain brackets.
        table.add_row(
            Text(str(outcome.path)), Text(outcome.status, style=style),
            Text(outcome.document_id or ""), Text(outcome.reason),
        )  # fmt: skip
    return table
