from pmdi.core.errors import BadRequest, Conflict, NotFound, PayloadTooLarge, UnsupportedMediaType


class DocumentNotFound(NotFound):
    default_detail = "Document not found."


class InvalidFilename(BadRequest):
    default_detail = "The file name is not acceptable."


class EmptyFile(BadRequest):
    default_detail = "The file is empty."


class FileTooLarge(PayloadTooLarge):
    default_detail = "The file exceeds the upload size limit."


class UnsupportedFileType(UnsupportedMediaType):
    default_detail = "This type of file is not supported."


class MalformedUpload(BadRequest):
    default_detail = "The upload is not valid multipart/form-data."


class NotExtracted(Conflict):
    default_detail = (
        "The document's text is not available yet (it has not been extracted, or extraction failed)."
    )


class ConcurrentDuplicate(Conflict):
    default_detail = "The same file is being uploaded to this project at the same time; retry."
