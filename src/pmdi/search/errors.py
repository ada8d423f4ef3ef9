from pmdi.core.errors import BadRequest


class EmptyQuery(BadRequest):
    default_detail = "The query has no words to search for."
