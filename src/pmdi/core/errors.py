"""Typed domain errors carry their HTTP status; one renderer for JSON, one for htmx/HTML."""

from __future__ import annotations

import html
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

logger = logging.getLogger(__name__)


class PmdiError(Exception):
    status_code = 400
    default_detail = "The request could not be processed."
    headers: dict[str, str] | None = None
    extra: dict[str, Any] | None = None  # more fields of the JSON body, e.g. `retry_after`

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


class Redirect(PmdiError):
    """Sends a browser elsewhere (the sign-in form, the new-organisation form); APIs never raise it."""

    status_code = 303

    def __init__(self, location: str) -> None:
        super().__init__(f"See {location}", headers={"Location": location})


_LOGIN_PATH = "/login"
_PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title} · pmdi</title>'
    '<link rel="stylesheet" href="/static/app.css"></head><body><main id="main"><h1>{title}</h1>'
    '<p class="error" role="alert">{detail}</p><p><a href="/projects">Back to your projects</a></p>'
    "</main></body></html>"
)


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _wants_html(request: Request) -> bool:
    if _is_htmx(request):
        return True
    # Pages answer in HTML unless a client asks for JSON; the API answers in JSON.
    accept = request.headers.get("accept", "")
    return not request.url.path.startswith("/api/") and "application/json" not in accept


def _render_html(
    request: Request, status_code: int, code: str, detail: str, headers: dict[str, str]
) -> Response:
    """htmx requests get a toast appended to the page's toast area; page loads get a page (or a redirect)."""
    location = headers.get("Location") or (_LOGIN_PATH if status_code == 401 else None)
    if _is_htmx(request):
        if location is not None:
            return Response(status_code=204, headers={"HX-Redirect": location})
        toast = (
            f'<div class="toast toast-error" role="alert"><strong>{html.escape(code)}</strong> '
            f"{html.escape(detail)}</div>"
        )
        toast_headers = {**headers, "HX-Retarget": "#toasts", "HX-Reswap": "beforeend"}
        return HTMLResponse(toast, status_code=status_code, headers=toast_headers)
    if location is not None:
        return RedirectResponse(location, status_code=303)
    page = _PAGE.format(title=html.escape(code), detail=html.escape(detail))
    return HTMLResponse(page, status_code=status_code, headers=headers)


def render_error(
    request: Request,
    status_code: int,
    code: str,
    detail: str,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    if _wants_html(request):
        return _render_html(request, status_code, code, detail, dict(headers or {}))
    payload: dict[str, Any] = {"error": code, "detail": detail, **(extra or {})}
    return JSONResponse(payload, status_code=status_code, headers=headers)


async def _pmdi_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PmdiError)
    return render_error(request, exc.status_code, exc.code, exc.detail, exc.headers, exc.extra)


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
