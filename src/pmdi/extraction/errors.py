"""Extraction failures. All are permanent for the pipeline: the file itself is the problem."""

from pmdi.jobs.errors import PermanentStageError


class ExtractionError(PermanentStageError):
    code = "extraction_failed"


class UnsupportedFormat(ExtractionError):
    code = "unsupported_format"


class EncryptedDocument(ExtractionError):
    code = "encrypted"


class CorruptDocument(ExtractionError):
    code = "corrupt"


class LimitExceeded(ExtractionError):
    code = "limit_exceeded"


class ExtractionTimeout(ExtractionError):
    code = "timeout"


class ExtractorCrashed(ExtractionError):
    code = "crashed"
