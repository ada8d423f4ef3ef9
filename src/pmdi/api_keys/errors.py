from pmdi.core.errors import Forbidden, NotFound


class ApiKeyNotFound(NotFound):
    default_detail = "API key not found."


class RoleAboveYours(Forbidden):
    default_detail = "You cannot grant a role higher than your own."
