from pmdi.core.errors import Conflict, NotFound


class JobNotFound(NotFound):
    default_detail = "Job not found."


class AlreadyProcessing(Conflict):
    default_detail = "The document is being processed right now; cancel it first or wait."


class StageError(Exception):
    """Raised by a pipeline stage. The message is shown to users as the failure reason."""

    permanent = True


class PermanentStageError(StageError):
    """The input itself is the problem (corrupt, hostile, unsupported): retrying cannot help."""


class TransientStageError(StageError):
    """A passing condition (storage hiccup, crashed subprocess): retried with backoff."""

    permanent = False
