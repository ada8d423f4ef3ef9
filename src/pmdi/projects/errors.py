from pmdi.core.errors import Conflict, NotFound


class ProjectNotFound(NotFound):
    default_detail = "Project not found."


class ProjectNameTaken(Conflict):
    default_detail = "A project with this name already exists in the organisation."
