"""Observability: structured JSON logs with redaction, Prometheus metrics, request ids."""
