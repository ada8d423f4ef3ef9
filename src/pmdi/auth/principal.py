"""Who is calling (Principal) and in which organisation with which role (OrgContext).

Both are immutable snapshots, never ORM objects: a request may keep them after its session closed, and
the authentication cache hands the same snapshot to many requests.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from pmdi.api_keys.models import ApiKey
from pmdi.auth.models import User
from pmdi.auth.permissions import Permission, Role, has_permission


@dataclass(frozen=True)
class Person:
    id: uuid.UUID
    email: str
    full_name: str
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> Person:
        return cls(user.id, user.email, user.full_name, user.created_at)


@dataclass(frozen=True)
class KeyGrant:
    """What an API key allows: one organisation, at most one role."""

    id: uuid.UUID
    organization_id: uuid.UUID
    role: str

    @classmethod
    def of(cls, api_key: ApiKey) -> KeyGrant:
        return cls(api_key.id, api_key.organization_id, api_key.role)


@dataclass(frozen=True)
class Principal:
    user: Person
    auth_session_id: uuid.UUID | None = None
    api_key: KeyGrant | None = None
    via_cookie: bool = False
    expires_at: datetime | None = None  # of the credential: no cache may keep it longer

    @property
    def user_id(self) -> uuid.UUID:
        return self.user.id


@dataclass(frozen=True)
class OrgContext:
    principal: Principal
    organization_id: uuid.UUID
    role: Role

    @property
    def user_id(self) -> uuid.UUID:
        return self.principal.user_id

    @property
    def api_key_id(self) -> uuid.UUID | None:
        return self.principal.api_key.id if self.principal.api_key else None

    def can(self, permission: Permission) -> bool:
        return has_permission(self.role, permission)
