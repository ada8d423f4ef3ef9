from __future__ import annotations

from pmdi.core.errors import PmdiError, TooManyRequests


class RateLimited(TooManyRequests):
    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"Too many requests; retry in {retry_after} s.", headers={"Retry-After": str(retry_after)}
        )
        self.extra = {"retry_after": retry_after}

    @property
    def code(self) -> str:
        return "TooManyRequests"


class QuotaExceeded(PmdiError):
    """402: the request is fine, the organisation's plan is not; raising the quota lets the same upload in."""

    status_code = 402

    def __init__(self, quota: str, limit: int, usage: int, detail: str) -> None:
        super().__init__(detail)
        self.extra = {"quota": quota, "limit": limit, "usage": usage}
