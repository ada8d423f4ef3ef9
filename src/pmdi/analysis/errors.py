from pmdi.core.errors import Conflict
from pmdi.jobs.errors import PermanentStageError


class AnalysisError(PermanentStageError):
    code = "analysis_failed"


class UnknownAnalyzer(AnalysisError):
    code = "unknown_analyzer"


class NotAnalyzed(Conflict):
    default_detail = "The document has not been analysed yet (it is still processing, or processing failed)."
