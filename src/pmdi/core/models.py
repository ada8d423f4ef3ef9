"""Imports every model so that `Base.metadata` is complete for migrations and checks."""

from pmdi.api_keys.models import ApiKey
from pmdi.audit.models import AuditEvent
from pmdi.auth.models import AuthSession, User
from pmdi.core.db import Base
from pmdi.documents.models import Document
from pmdi.jobs.models import Job
from pmdi.organizations.models import Invitation, Membership, Organization
from pmdi.projects.models import Project

__all__ = [
    "ApiKey",
    "AuditEvent",
    "AuthSession",
    "Base",
    "Document",
    "Invitation",
    "Job",
    "Membership",
    "Organization",
    "Project",
    "User",
]
