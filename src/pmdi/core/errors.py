"""Typed domain errors carry their HTTP status; one renderer for JSON, one for htmx/HTML."""

from __future__ import annotations

import html
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

logger = logging.getLogger(__name__)


class PmdiError(Exception):
    status_code = 400
    default_detail = "The request could not be processed."
    headers: dict[str, str] | None = None

    def __init__(self, detail: str | None = None, *, headers: dict[str, str] | None = None) -> None:
        self.detail = detail or self.default_detail
        if headers is not None:
            self.headers = headers
        super().__init__(self.detail)

    @property
    def code(self) -> str:
        return type(self).__name__


class BadRequest(PmdiError):
    status_code = 400


class NotAuthenticated(PmdiError):
    status_code = 401
    default_detail = "Authentication required."
    headers = {"WWW-Authenticate": "Bearer"}


class Forbidden(PmdiError):
    status_code = 403
    default_detail = "You do not have permission to do this."


class NotFound(PmdiError):
    status_code = 404
    default_detail = "Not found."


class Conflict(PmdiError):
    status_code = 409


class PayloadTooLarge(PmdiError):
    status_code = 413


class UnsupportedMediaType(PmdiError):
    status_code = 415


class TooManyRequests(PmdiError):
    status_code = 429
    default_detail = "Too many requests; try again later."


_HTTP_CODES = {
    400: "BadRequest",
    401: "NotAuthenticated",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    413: "PayloadTooLarge",
    415: "UnsupportedMediaType",
    429: "TooManyRequests",
}


def _wants_html(request: Request) -> bool:
    if request.headers.get("hx-request") == "true":
        return True
    accept = request.headers.get("accept", "")
    return "text/html" in accept and not request.url.path.startswith("/api/")


def render_error(
    request: Request,
    status_code: int,
    code: str,
    detail: str,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    if _wants_html(request):
        body = (
            f'<div class="toast toast-error" role="alert"><strong>{html.escape(code)}</strong> '
            f"{html.escape(detail)}</div>"
        )
        return HTMLResponse(body, status_code=status_code, headers=headers)
    payload: dict[str, Any] = {"error": code, "detail": detail, **(extra or {})}
    return JSONResponse(payload, status_code=status_code, headers=headers)


async def _pmdi_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PmdiError)
    return render_error(request, exc.status_code, exc.code, exc.detail, exc.headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "HTTPError")
    return render_error(request, exc.status_code, code, str(exc.detail), dict(exc.headers or {}))


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": list(err.get("loc", ())), "msg": str(err.get("msg", "")), "type": str(err.get("type", ""))}
        for err in exc.errors()
    ]
    detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors) or "Invalid request."
    return render_error(request, 422, "ValidationError", detail, extra={"errors": errors})


async def _unhandled_error(request: Request, exc: Exception) -> Response:
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return render_error(request, 500, "InternalError", "An unexpected error occurred.")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(PmdiError, _pmdi_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unhandled_error)
