from pmdi.core.errors import BadRequest, Conflict, NotFound


class ItemNotFound(NotFound):
    default_detail = "Register item not found."


class AliasNotFound(NotFound):
    default_detail = "Owner alias not found."


class FeedNotFound(NotFound):
    default_detail = "Calendar feed not found."


class InvalidChange(BadRequest):
    default_detail = "This change does not apply to this item."


class AliasTaken(Conflict):
    default_detail = "This name is already an alias of a member."


class NotAMember(BadRequest):
    default_detail = "The user is not a member of this organisation."


class NoEarlierReport(NotFound):
    default_detail = "No earlier report of this kind in the project to compare with."
