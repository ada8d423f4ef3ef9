"""Why a backup or a restore was refused."""

from __future__ import annotations

from pmdi.core.errors import PmdiError


class BackupError(PmdiError):
    status_code = 400
    default_detail = "The backup could not be made or restored."


class TargetNotEmpty(BackupError):
    default_detail = "The target database already holds data; restore into an empty one, or pass --force."


class ArchiveInvalid(BackupError):
    default_detail = "The backup archive is incomplete or damaged."
