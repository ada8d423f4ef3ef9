"""One typed settings object, built once at startup from `PMDI_*` environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class DatabaseSettings(BaseModel):
    url: str = "sqlite+aiosqlite:///./data/pmdi.db"
    echo: bool = False
    pool_size: int = 10
    # SQLite: how long a write waits for its turn (core/sqlite_gate.py, then busy_timeout) before "database is
    # locked".
    write_wait_seconds: float = Field(10.0, gt=0, le=300)


class StorageSettings(BaseModel):
    backend: Literal["local", "s3"] = "local"
    local_root: Path = Path("./data/files")
    s3_bucket: str = "pmdi"
    s3_prefix: str = ""
    s3_endpoint_url: str | None = None
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None


class AuthSettings(BaseModel):
    # Unset means "generate once and keep in data_dir": convenient for the embedded mode only.
    secret_key: SecretStr | None = None
    access_token_ttl_seconds: int = 15 * 60
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    session_ttl_seconds: int = 14 * 24 * 3600
    cookie_secure: bool = False
    invitation_ttl_seconds: int = 7 * 24 * 3600
    # How long a process may answer from memory who holds a credential and with which role; a revocation
    # made in another process takes up to this long to reach this one. 0 reads the database every time.
    cache_seconds: float = Field(5.0, ge=0, le=60)
    # Argon2id cost; the defaults follow OWASP guidance, tests lower them for speed.
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    argon2_parallelism: int = 4
    # Failed logins allowed per (account, client address) and per client address in the window.
    login_max_failures_per_account_ip: int = 5
    login_max_failures_per_ip: int = 50
    login_failure_window_seconds: int = 15 * 60


class UploadSettings(BaseModel):
    max_bytes: int = 50 * 1024 * 1024
    max_files_per_request: int = 20


class WorkerSettings(BaseModel):
    # "inprocess": `pmdi serve` runs the jobs itself.
    # "taskiq": separate `pmdi worker` processes over Redis streams.
    backend: Literal["inprocess", "taskiq"] = "inprocess"
    # Whether `pmdi serve` runs the in-process worker (only meaningful with the inprocess backend).
    embedded: bool = True
    concurrency: int = 2
    # Each CPU-heavy step runs in its own subprocess with these limits.
    task_timeout_seconds: float = 120.0
    task_memory_mb: int = 2048
    lease_seconds: float = 60.0
    max_attempts: int = 3
    retry_backoff_seconds: float = 5.0
    retry_backoff_max_seconds: float = 300.0
    # Jobs handed to the queue engine but not yet started; kept small so a newly uploaded document of another
    # organisation is never stuck behind a long backlog inside the engine.
    dispatch_window: int = 4
    poll_seconds: float = 1.0
    reconcile_seconds: float = 5.0
    queue_name: str = "pmdi:jobs"


class ExtractionSettings(BaseModel):
    max_pages: int = 500
    max_chars: int = 5_000_000
    max_image_pixels: int = 60_000_000
    max_unzipped_mb: int = 256
    ocr_provider: str = "tesseract"
    ocr_language: str = "eng"
    ocr_dpi: int = 300


class ProviderSettings(BaseModel):
    """One language model: which provider and model, where, with what key, and what it costs."""

    provider: str = "openai"  # openai (any OpenAI-compatible server: Azure, Ollama, vLLM), anthropic, bedrock
    model: str = "gpt-4o-mini"
    base_url: str | None = None
    api_key: SecretStr | None = None
    region: str | None = None  # bedrock
    timeout_seconds: float = 60.0
    max_retries: int = 2  # on 429, 5xx and connection errors, with the SDK's exponential backoff
    max_output_tokens: int = 4_000
    usd_per_million_input_tokens: float = 0.0
    usd_per_million_output_tokens: float = 0.0


class LLMSettings(ProviderSettings):
    """The `llm` analyzer: this provider first, then each fallback; the offline rules when all fail."""

    fallbacks: list[ProviderSettings] = Field(default_factory=list)
    chunk_chars: int = 12_000
    chunk_overlap_chars: int = 600
    document_timeout_seconds: float = 900.0  # all calls for one document; then the document fails
    ungrounded: Literal["drop", "flag"] = "drop"
    monthly_budget_usd: float | None = None  # per organisation; once spent, the rules analyse
    # An organisation's own base URL may not point into this network unless allowed (SSRF).
    allow_private_base_urls: bool = False
    breaker_failures: int = 5  # consecutive unavailable answers that open a provider's circuit
    breaker_cooldown_seconds: float = 60.0

    def chain(self) -> list[ProviderSettings]:
        return [ProviderSettings.model_validate(self.model_dump(include=set(ProviderSettings.model_fields))),
                *self.fallbacks]  # fmt: skip


class AnalysisSettings(BaseModel):
    # "rules" is the offline default; "llm" calls `llm` and falls back to the rules on any failure.
    analyzer: str = "rules"
    llm: LLMSettings = Field(default_factory=LLMSettings)


class SearchSettings(BaseModel):
    # "minilm" (all-MiniLM-L6-v2, int8 ONNX shipped inside a PyPI wheel) or "none" for keyword search only.
    embeddings: str = "minilm"
    # One thread per call: the worker already embeds for two jobs at once, and on two cores a second thread
    # each oversubscribes them (bench/ingest.py: more CPU per chunk, fewer documents a minute).
    embedding_threads: int = 1
    embedding_batch: int = 8  # larger batches pad more: 16 cost 7% more CPU per chunk here, 32 twice as much
    chunk_words: int = 90  # the model reads 128 word pieces; longer chunks would be cut
    max_chunks_per_document: int = 5_000
    candidates: int = 100  # per ranking list, before fusion
    rrf_k: int = 60
    # Vector neighbours less similar than this (cosine) are noise, not matches: a query for a term found
    # nowhere must come back empty rather than with the least unrelated chunks.
    min_similarity: float = 0.3
    # The least relevance (cosine and shared terms) of a supporting sentence; below it: "not found".
    answer_min_score: float = 0.45


class RealtimeSettings(BaseModel):
    backend: Literal["memory", "redis"] = "memory"
    heartbeat_seconds: float = 15.0
    max_connection_seconds: float = 3600.0
    event_retention_hours: int = 48


class WebhookSettings(BaseModel):
    # Targets in this network (loopback, private, link-local, ...) are refused unless allowed (SSRF).
    allow_private_targets: bool = False
    timeout_seconds: float = 10.0  # per attempt, connecting and answering together
    max_attempts: int = 8  # per delivery; then it has failed
    retry_backoff_seconds: float = 30.0
    retry_backoff_max_seconds: float = 3600.0
    # A webhook whose deliveries failed this many times in a row (each after all its attempts) is disabled.
    disable_after_failures: int = 5
    concurrency: int = 4  # deliveries in flight per worker process
    poll_seconds: float = 1.0
    # A delivery whose worker stopped longer than this ago is sent again (longer than the timeout).
    lease_seconds: float = 60.0
    retention_days: int = 30  # finished deliveries stay in the log this long


class McpSettings(BaseModel):
    # Whether `pmdi serve` answers MCP clients at /mcp (an API key is always required there).
    enabled: bool = True


class LogSettings(BaseModel):
    level: str = "INFO"
    # "auto": readable lines on a terminal, one JSON object per line otherwise (containers, files).
    format: Literal["auto", "json", "console"] = "auto"


class MetricsSettings(BaseModel):
    enabled: bool = True
    token: SecretStr | None = None  # when set, GET /metrics needs `Authorization: Bearer <token>`
    # `pmdi worker` serves its own process's metrics on this port (unset: not at all).
    worker_port: int | None = None
    worker_host: str = "127.0.0.1"
    queue_cache_seconds: float = 5.0  # the job counts behind the queue-depth gauge are this fresh


class LimitsSettings(BaseModel):
    """Requests per fixed window: per user or API key, and per client address for anonymous requests."""

    enabled: bool = True
    # "auto": Redis when the deployment already uses it (taskiq worker or Redis event bus), else memory.
    backend: Literal["auto", "memory", "redis"] = "auto"
    window_seconds: int = 60
    per_user: int = 600
    per_ip: int = 300


class QuotaSettings(BaseModel):
    """Per organisation; None is unlimited. The LLM budget is `analysis.llm.monthly_budget_usd`."""

    documents_per_month: int | None = None
    storage_bytes: int | None = None


class MailSettings(BaseModel):
    """IMAP mailboxes polled by the worker (`/api/v1/mailboxes`)."""

    poll_seconds: int = Field(300, ge=10, description="How often each mailbox is polled")
    tick_seconds: float = Field(5.0, gt=0, description="How often the worker looks for due mailboxes")
    max_messages_per_poll: int = Field(50, ge=1, le=1000)
    lease_seconds: int = Field(600, ge=30, description="A poll that takes longer is given to another worker")
    timeout_seconds: float = Field(30.0, gt=0)
    # Mail servers are often internal; reaching them from here is an administrator's decision.
    allow_private_hosts: bool = False


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PMDI_", env_nested_delimiter="__", env_file=".env", extra="ignore"
    )

    data_dir: Path = Path("./data")
    base_url: str = "http://127.0.0.1:8000"
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    storage: StorageSettings = Field(default_factory=StorageSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    uploads: UploadSettings = Field(default_factory=UploadSettings)
    worker: WorkerSettings = Field(default_factory=WorkerSettings)
    extraction: ExtractionSettings = Field(default_factory=ExtractionSettings)
    analysis: AnalysisSettings = Field(default_factory=AnalysisSettings)
    search: SearchSettings = Field(default_factory=SearchSettings)
    realtime: RealtimeSettings = Field(default_factory=RealtimeSettings)
    webhooks: WebhookSettings = Field(default_factory=WebhookSettings)
    mcp: McpSettings = Field(default_factory=McpSettings)
    log: LogSettings = Field(default_factory=LogSettings)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)
    limits: LimitsSettings = Field(default_factory=LimitsSettings)
    quotas: QuotaSettings = Field(default_factory=QuotaSettings)
    mail: MailSettings = Field(default_factory=MailSettings)
    redis_url: str = "redis://127.0.0.1:6379/0"

    def secret_key(self) -> str:
        """The signing secret; `ensure_secret_key` must have run at startup."""
        if self.auth.secret_key is None:
            raise RuntimeError("auth.secret_key is not set; call ensure_secret_key(settings) at startup")
        return self.auth.secret_key.get_secret_value()


def ensure_secret_key(settings: Settings) -> Settings:
    """Fill in a persistent random secret for the embedded mode when none was configured."""
    if settings.auth.secret_key is not None:
        return settings
    import secrets

    path = settings.data_dir / ".secret_key"
    if not path.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    settings.auth.secret_key = SecretStr(path.read_text().strip())
    return settings
