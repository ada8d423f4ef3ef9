"""The `pmdi backup` and `pmdi restore` commands: run the service, report, map refusals to exit code 1."""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer

from pmdi.backup.archive import Manifest
from pmdi.backup.service import backup, restore
from pmdi.config import Settings
from pmdi.core.errors import PmdiError


def _summary(manifest: Manifest) -> str:
    return (
        f"{manifest.database} database at revision {manifest.alembic_revision}, "
        f"{manifest.file_count} stored files, made {manifest.created_at} by pmdi {manifest.pmdi_version}"
    )


def run_backup(target: Path) -> int:
    try:
        manifest = asyncio.run(backup(Settings(), target))
    except PmdiError as exc:
        typer.secho(f"error: {exc.detail}", fg=typer.colors.RED, err=True)
        return 1
    typer.echo(f"backed up to {target}: {_summary(manifest)}")
    return 0


def run_restore(source: Path, force: bool) -> int:
    try:
        manifest = asyncio.run(restore(Settings(), source, force=force))
    except PmdiError as exc:
        typer.secho(f"error: {exc.detail}", fg=typer.colors.RED, err=True)
        return 1
    typer.echo(f"restored {source}: {_summary(manifest)}")
    return 0
