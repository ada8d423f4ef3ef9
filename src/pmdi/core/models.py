"""Imports every model so that `Base.metadata` is complete for migrations and checks."""

from pmdi.analysis.models import DocumentAnalysis
from pmdi.api_keys.models import ApiKey
from pmdi.audit.models import AuditEvent
from pmdi.auth.models import AuthSession, User
from pmdi.core.db import Base
from pmdi.documents.models import Document, DocumentContent
from pmdi.events.models import Event
from pmdi.jobs.models import Job, JobStage
from pmdi.llm.models import LLMUsage, OrgLLMSettings
from pmdi.mailboxes.models import Mailbox
from pmdi.organizations.models import Invitation, Membership, Organization
from pmdi.projects.models import Project
from pmdi.registers.models import CalendarFeed, Change, Mention, OwnerAlias, RegisterItem
from pmdi.search.models import SearchChunk
from pmdi.webhooks.models import Webhook, WebhookDelivery

__all__ = [
    "ApiKey",
    "AuditEvent",
    "AuthSession",
    "Base",
    "CalendarFeed",
    "Change",
    "Document",
    "DocumentAnalysis",
    "DocumentContent",
    "Event",
    "Invitation",
    "Job",
    "JobStage",
    "LLMUsage",
    "Mailbox",
    "Membership",
    "Mention",
    "OrgLLMSettings",
    "Organization",
    "OwnerAlias",
    "Project",
    "RegisterItem",
    "SearchChunk",
    "User",
    "Webhook",
    "WebhookDelivery",
]
