"""`pmdi watch`: a consumption folder. Each subfolder is a project; stable new or changed files are ingested.

Polling rather than inotify: it behaves the same on network shares and in containers and needs no dependency.
A file is taken only once its size and mtime were the same on two passes, so half-written files wait.
What was ingested from each path (content hash, document id) is kept in `DIR/.pmdi-watch/state.json`, so a
restart does not upload anything again. Deleting a file never deletes anything on the server.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import anyio
from pydantic import BaseModel, Field, ValidationError

from pmdi.cli.client import ApiFailed, PmdiClient, ProjectRef, ServerUnreachable
from pmdi.core.errors import BadRequest

STATE_DIR = ".pmdi-watch"
STATE_FILE = "state.json"
PROCESSED_DIR = ".processed"
# Names editors and browsers give files they are still writing.
_TEMPORARY_SUFFIXES = (".part", ".partial", ".tmp", ".crdownload", ".swp", ".download")
# Refusals that are about the caller, not the file: retrying or recording them per file makes no sense.
_FATAL_STATUSES = {401, 403}
# Refusals that may pass later (server trouble, a project deleted meanwhile, limits): retried next pass.
_RETRY_STATUSES = {404, 408, 409, 429}


class WatchStateInvalid(BadRequest):
    pass


class Recorded(BaseModel):
    """The last content taken from one path: its hash, and the document it became or why it was refused."""

    project: str
    sha256: str
    size: int
    mtime_ns: int
    document_id: str | None = None
    refused: str | None = None

    @property
    def signature(self) -> tuple[int, int]:
        return self.size, self.mtime_ns


class WatchState(BaseModel):
    version: int = 1
    files: dict[str, Recorded] = Field(default_factory=dict)


@dataclass(frozen=True)
class Candidate:
    relative: str
    path: Path
    project: str | None
    size: int
    mtime_ns: int

    @property
    def signature(self) -> tuple[int, int]:
        return self.size, self.mtime_ns


@dataclass(frozen=True)
class WatchEvent:
    """What one pass did with one file: ingested, reingested, unchanged, refused, error or skipped."""

    action: str
    relative: str
    project: str | None
    document_id: str | None = None
    detail: str = ""


@dataclass(frozen=True)
class WatchOptions:
    root: Path
    default_project: str | None = None
    keep: bool = False
    move_to: Path | None = None

    @property
    def processed_root(self) -> Path:
        return self.move_to or self.root / PROCESSED_DIR


def _ignored(name: str) -> bool:
    return name.startswith((".", "~$")) or name.endswith(_TEMPORARY_SUFFIXES)


def snapshot(root: Path, default_project: str | None, exclude: Path | None) -> list[Candidate]:
    """Every file under `root` with its project: the first folder below `root`, or the default one."""
    found: list[Candidate] = []
    excluded = exclude.resolve() if exclude else None
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if not _ignored(d) and (here / d).resolve() != excluded)
        for name in sorted(n for n in files if not _ignored(n)):
            path = here / name
            try:
                info = path.stat()
            except FileNotFoundError:
                continue  # deleted between listing and stat
            relative = path.relative_to(root)
            project = relative.parts[0] if len(relative.parts) > 1 else default_project
            found.append(Candidate(relative.as_posix(), path, project, info.st_size, info.st_mtime_ns))
    return found


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def load_state(path: Path) -> WatchState:
    if not path.exists():
        return WatchState()
    try:
        return WatchState.model_validate_json(path.read_bytes())
    except ValidationError as exc:
        detail = f"The watch state {path} is unreadable; delete it to start over (files are uploaded again)."
        raise WatchStateInvalid(detail) from exc


def save_state(path: Path, state: WatchState) -> None:
    """Write through a temporary file so a crash mid-write leaves the previous state intact."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(state.model_dump_json(indent=1))
    os.replace(temporary, path)


def move_processed(path: Path, folder: Path) -> Path:
    """Move `path` into `folder`, never over an earlier file of the same name."""
    folder.mkdir(parents=True, exist_ok=True)
    target, number = folder / path.name, 1
    while target.exists():
        target, number = folder / f"{path.stem}-{number}{path.suffix}", number + 1
    return Path(shutil.move(path, target))


class Watcher:
    def __init__(self, client: PmdiClient, options: WatchOptions) -> None:
        self.client = client
        self.options = options
        self.state_path = options.root / STATE_DIR / STATE_FILE
        self._state: WatchState | None = None
        self._last_seen: dict[str, tuple[int, int]] = {}
        self._projects: dict[str, ProjectRef] = {}
        self._warned: set[str] = set()

    async def scan_once(self) -> list[WatchEvent]:
        """One pass: take every file that did not change since the previous pass and is new or modified."""
        if self._state is None:
            self._state = await anyio.to_thread.run_sync(load_state, self.state_path)
        options = self.options
        candidates = await anyio.to_thread.run_sync(
            snapshot, options.root, options.default_project, options.move_to
        )
        previous, self._last_seen = self._last_seen, {c.relative: c.signature for c in candidates}
        events: list[WatchEvent] = []
        for candidate in candidates:
            if previous.get(candidate.relative) == candidate.signature:
                event = await self._consider(self._state, candidate)
                if event is not None:
                    events.append(event)
        return events

    async def _consider(self, state: WatchState, candidate: Candidate) -> WatchEvent | None:
        recorded = state.files.get(candidate.relative)
        if recorded and recorded.signature == candidate.signature and (self.options.keep or recorded.refused):
            return None
        if candidate.project is None:
            return self._without_project(candidate)
        sha = await anyio.to_thread.run_sync(sha256_file, candidate.path)
        if recorded and recorded.sha256 == sha:
            # Touched or dropped again with the same content: nothing new for the server.
            recorded.size, recorded.mtime_ns = candidate.signature
            if recorded.refused:
                await self._save(state)
                return None
            event = WatchEvent("unchanged", candidate.relative, candidate.project, recorded.document_id)
            return await self._finish(state, candidate, event)
        return await self._ingest(state, candidate, sha, recorded)

    async def _ingest(
        self, state: WatchState, candidate: Candidate, sha: str, recorded: Recorded | None
    ) -> WatchEvent:
        project_name = str(candidate.project)
        entry = Recorded(project=project_name, sha256=sha, size=candidate.size, mtime_ns=candidate.mtime_ns)
        try:
            item = await self.client.upload((await self._project(project_name)).id, candidate.path)
        except ServerUnreachable as exc:
            return WatchEvent("error", candidate.relative, project_name, detail=exc.detail)
        except ApiFailed as exc:
            if exc.status_code in _FATAL_STATUSES:
                raise
            if exc.status_code in _RETRY_STATUSES or exc.status_code >= 500:
                self._projects.pop(project_name, None)
                return WatchEvent("error", candidate.relative, project_name, detail=exc.detail)
            entry.refused = exc.detail
            state.files[candidate.relative] = entry
            await self._save(state)
            return WatchEvent("refused", candidate.relative, project_name, detail=exc.detail)
        entry.document_id = str(item["document"]["id"])
        state.files[candidate.relative] = entry
        action = "reingested" if recorded and recorded.document_id else "ingested"
        detail = "already in the project" if item["duplicate"] else ""
        return await self._finish(state, candidate, WatchEvent(action, candidate.relative, project_name,
                                                               entry.document_id, detail))  # fmt: skip

    async def _finish(self, state: WatchState, candidate: Candidate, event: WatchEvent) -> WatchEvent:
        if not self.options.keep:
            folder = self.options.processed_root / str(candidate.project)
            try:
                await anyio.to_thread.run_sync(move_processed, candidate.path, folder)
            except OSError as exc:
                event = dataclasses.replace(event, detail=f"could not move it: {exc}")
        await self._save(state)
        return event

    async def _project(self, name: str) -> ProjectRef:
        if name not in self._projects:
            self._projects[name] = await self.client.project(name, create=True)
        return self._projects[name]

    async def _save(self, state: WatchState) -> None:
        await anyio.to_thread.run_sync(save_state, self.state_path, state)

    def _without_project(self, candidate: Candidate) -> WatchEvent | None:
        if candidate.relative in self._warned:
            return None
        self._warned.add(candidate.relative)
        detail = "files directly in the folder need --default-project (or put them in a project subfolder)"
        return WatchEvent("skipped", candidate.relative, None, detail=detail)


async def run_watch(
    client: PmdiClient,
    options: WatchOptions,
    interval: float,
    passes: int | None,
    report: Callable[[WatchEvent], None],
) -> None:
    """Scan every `interval` seconds; `passes` bounds the number of scans (a file needs two to be stable)."""
    watcher = Watcher(client, options)
    completed = 0
    while True:
        for event in await watcher.scan_once():
            report(event)
        completed += 1
        if passes is not None and completed >= passes:
            return
        await anyio.sleep(interval)
