"""RBAC as data: the role → permission table that the one `authorize` dependency checks."""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    VIEWER = "viewer"
    MEMBER = "member"
    ADMIN = "admin"
    OWNER = "owner"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def at_most(self, other: Role) -> Role:
        return self if self.rank <= other.rank else other


_RANK = {Role.VIEWER: 0, Role.MEMBER: 1, Role.ADMIN: 2, Role.OWNER: 3}


class Permission(enum.StrEnum):
    ORG_READ = "org:read"
    ORG_UPDATE = "org:update"
    MEMBER_READ = "member:read"
    MEMBER_MANAGE = "member:manage"
    API_KEY_MANAGE = "api_key:manage"
    PROJECT_READ = "project:read"
    PROJECT_WRITE = "project:write"
    PROJECT_DELETE = "project:delete"
    DOCUMENT_READ = "document:read"
    DOCUMENT_WRITE = "document:write"
    DOCUMENT_DELETE = "document:delete"
    AUDIT_READ = "audit:read"
    WEBHOOK_MANAGE = "webhook:manage"


_VIEWER = frozenset(
    {Permission.ORG_READ, Permission.MEMBER_READ, Permission.PROJECT_READ, Permission.DOCUMENT_READ}
)
_MEMBER = _VIEWER | {Permission.PROJECT_WRITE, Permission.DOCUMENT_WRITE, Permission.DOCUMENT_DELETE}
_ADMIN = _MEMBER | {
    Permission.ORG_UPDATE,
    Permission.MEMBER_MANAGE,
    Permission.API_KEY_MANAGE,
    Permission.PROJECT_DELETE,
    Permission.AUDIT_READ,
    Permission.WEBHOOK_MANAGE,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.VIEWER: _VIEWER,
    Role.MEMBER: frozenset(_MEMBER),
    Role.ADMIN: frozenset(_ADMIN),
    Role.OWNER: frozenset(_ADMIN),
}


def has_permission(role: Role, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[role]
