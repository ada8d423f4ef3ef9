from __future__ import annotations

from pmdi.core.errors import NotFound
from pmdi.core.tenancy import OrgRepository
from pmdi.jobs.models import Job


class JobNotFound(NotFound):
    default_detail = "Job not found."


class JobRepository(OrgRepository[Job]):
    model = Job
    not_found = JobNotFound
