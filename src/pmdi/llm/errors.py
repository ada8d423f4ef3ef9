"""Failures of a language-model call; the analyzer turns each into a recorded fallback, never a lost
document."""


class LLMError(Exception):
    reason = "llm_error"


class UnknownProvider(LLMError):
    reason = "unknown_provider"


class LLMUnavailable(LLMError):
    """Timeout, connection failure, rate limit or server error after the retries, or a refused request."""

    reason = "llm_unavailable"


class LLMOutputInvalid(LLMError):
    """The model's answer did not match the schema, even after one repair attempt."""

    reason = "llm_output_invalid"


class SDKMissing(LLMError):
    reason = "sdk_missing"
