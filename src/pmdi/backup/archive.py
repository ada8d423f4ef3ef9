"""The backup layout: manifest.json, one database dump and files/<storage key>; a directory or a .tar.gz."""

from __future__ import annotations

import hashlib
import json
import shutil
import tarfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pmdi.backup.errors import ArchiveInvalid
from pmdi.storage.base import CHUNK_SIZE

MANIFEST = "manifest.json"
FILES_DIR = "files"
FORMAT = 1


@dataclass
class Manifest:
    pmdi_version: str
    alembic_revision: str | None
    created_at: str
    database: str  # "sqlite" or "postgresql"
    database_file: str
    storage: str
    files: dict[str, str] = field(default_factory=dict)  # storage key -> sha256
    format: int = FORMAT

    @property
    def file_count(self) -> int:
        return len(self.files)

    def write(self, folder: Path) -> None:
        body = {**asdict(self), "file_count": self.file_count}
        (folder / MANIFEST).write_text(json.dumps(body, indent=2, sort_keys=True) + "\n")

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        try:
            body = json.loads((folder / MANIFEST).read_text())
            body.pop("file_count", None)
            manifest = cls(**body)
        except (OSError, ValueError, TypeError) as exc:
            raise ArchiveInvalid(f"no readable {MANIFEST} in the backup: {exc}") from exc
        if manifest.format != FORMAT:
            raise ArchiveInvalid(f"backup format {manifest.format} is not supported (expected {FORMAT})")
        return manifest


def is_archive(path: Path) -> bool:
    return path.name.endswith((".tar.gz", ".tgz"))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_SIZE):
            digest.update(chunk)
    return digest.hexdigest()


def stored_path(folder: Path, key: str) -> Path:
    path = (folder / FILES_DIR / key).resolve()
    if not path.is_relative_to((folder / FILES_DIR).resolve()):
        raise ArchiveInvalid(f"storage key escapes the backup: {key!r}")
    return path


def pack(folder: Path, target: Path) -> None:
    """Write the staged folder as a .tar.gz (atomically) or move it to the target directory."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if not is_archive(target):
        shutil.copytree(folder, target, dirs_exist_ok=False)
        return
    partial = target.with_name(target.name + ".partial")
    with tarfile.open(partial, "w:gz") as tar:
        for child in sorted(folder.iterdir()):
            tar.add(child, arcname=child.name)
    partial.replace(target)


def unpack(source: Path, workdir: Path) -> Path:
    """The backup's folder: the directory itself, or the archive extracted into `workdir`."""
    if source.is_dir():
        return source
    if not source.is_file():
        raise ArchiveInvalid(f"no backup at {source}")
    try:
        with tarfile.open(source, "r:*") as tar:
            # The "data" filter refuses absolute paths, links out of the tree and device files.
            tar.extractall(workdir, filter="data")
    except (tarfile.TarError, OSError) as exc:
        raise ArchiveInvalid(f"cannot read the backup archive {source}: {exc}") from exc
    return workdir


def verify_files(folder: Path, manifest: Manifest) -> None:
    for key, expected in manifest.files.items():
        path = stored_path(folder, key)
        if not path.is_file():
            raise ArchiveInvalid(f"the backup lacks the stored file {key}")
        if sha256_of(path) != expected:
            raise ArchiveInvalid(f"checksum mismatch for the stored file {key}")
