"""Logging: every line, from pmdi, uvicorn or any library using `logging`, is rendered by one formatter.

The formatter adds the timestamp, level, logger name, the request's id and identity (or the job's ids), then
masks secrets and renders one JSON object per line (or a readable line on a terminal). `pmdi serve` hands
this configuration to uvicorn, so each of its worker processes applies it; `pmdi worker` applies it itself.
"""

from __future__ import annotations

import logging.config
import sys
from typing import Any

import structlog
from structlog.typing import EventDict, Processor

from pmdi.config import LogSettings
from pmdi.observability.context import add_request_context
from pmdi.observability.redaction import REDACTOR

_ENRICH: list[Processor] = [
    structlog.contextvars.merge_contextvars,
    add_request_context,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
]


def _drop_color_message(_logger: Any, _method: str, event: EventDict) -> EventDict:
    """uvicorn attaches an ANSI-coloured copy of some messages; the plain `event` is the same text."""
    event.pop("color_message", None)
    return event


def resolve_format(settings: LogSettings) -> str:
    if settings.format != "auto":
        return settings.format
    return "console" if sys.stderr.isatty() else "json"


def formatter(fmt: str = "json") -> logging.Formatter:
    """The one formatter (dictConfig factory). Redaction runs after tracebacks are formatted into text."""
    _configure_structlog()
    renderer: Processor = (
        structlog.dev.ConsoleRenderer(colors=False)
        if fmt == "console"
        else structlog.processors.JSONRenderer(default=str)
    )
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*_ENRICH, structlog.stdlib.ExtraAdder(), _drop_color_message],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            REDACTOR,
            renderer,
        ],
    )


def _configure_structlog() -> None:
    """`structlog.get_logger()` loggers hand their events to stdlib logging, hence to the same formatter."""
    structlog.configure(
        processors=[*_ENRICH, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def logging_config(settings: LogSettings, stream: Any = "ext://sys.stderr") -> dict[str, Any]:
    level = settings.level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"pmdi": {"()": f"{__name__}.formatter", "fmt": resolve_format(settings)}},
        "handlers": {"default": {"class": "logging.StreamHandler", "formatter": "pmdi", "stream": stream}},
        "root": {"handlers": ["default"], "level": level},
        "loggers": {
            # uvicorn's own handlers would print a second, unstructured copy of each of its lines.
            "uvicorn": {"handlers": [], "propagate": True, "level": level},
            "uvicorn.error": {"handlers": [], "propagate": True, "level": level},
            # pmdi's access line (pmdi.access) replaces uvicorn's.
            "uvicorn.access": {"handlers": [], "propagate": False, "level": "WARNING"},
        },
    }


def configure_logging(settings: LogSettings) -> None:
    logging.config.dictConfig(logging_config(settings))
