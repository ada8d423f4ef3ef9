from pmdi.core.errors import BadRequest, Conflict, Forbidden, NotFound


class OrganizationNotFound(NotFound):
    default_detail = "Organisation not found."


class OrganizationRequired(BadRequest):
    default_detail = "You belong to several organisations: choose one with the X-Org-Id header."


class NoOrganization(BadRequest):
    default_detail = "You do not belong to any organisation yet: create one or accept an invitation."


class MemberNotFound(NotFound):
    default_detail = "Member not found."


class InvitationNotFound(NotFound):
    default_detail = "Invitation not found, expired or already used."


class InvitationEmailMismatch(Forbidden):
    default_detail = "This invitation was sent to a different email address."


class AlreadyMember(Conflict):
    default_detail = "This person is already a member of the organisation."


class LastOwner(Conflict):
    default_detail = "An organisation must keep at least one owner."


class OwnerOnly(Forbidden):
    default_detail = "Only an owner can grant, change or remove the owner role."
