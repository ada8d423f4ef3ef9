"""Who is calling (Principal) and in which organisation with which role (OrgContext)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from pmdi.api_keys.models import ApiKey
from pmdi.auth.models import User
from pmdi.auth.permissions import Permission, Role, has_permission


@dataclass(frozen=True)
class Principal:
    user: User
    auth_session_id: uuid.UUID | None = None
    api_key: ApiKey | None = None
    via_cookie: bool = False

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
