"""One place that turns every error into a response.

``/api`` (and any request that asks for JSON, like the page script's fetches) gets
``{"error": code, "message": text}`` with the error's 4xx status; pages get the HTML error page,
except that a page needing a signed-in reader redirects to ``/login?next=…``. Validation errors
are 422 in the same shape. Anything else is a bug: a 500 with a generic message, logged.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from litfeed.errors import LitfeedError, RateLimited, Unauthorized, storage_error_from_os
from litfeed.web.render import render

log = logging.getLogger("litfeed.web")

HTTP_CODES = {400: "invalid_input", 401: "unauthorized", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "invalid_input",
              422: "invalid_input", 429: "rate_limited"}


def wants_json(request: Request) -> bool:
    if request.url.path.startswith("/api") or request.url.path == "/openapi.json":
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def error_response(request: Request, status: int, code: str, message: str,
                   headers: dict[str, str] | None = None) -> Response:
    if wants_json(request):
        return JSONResponse({"error": code, "message": message}, status_code=status,
                            headers=headers)
    auth = getattr(request.state, "auth", None)
    response = render(request, "pages/error.html",
                      {"status": status, "code": code, "message": message}, auth=auth,
                      status=status)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _describe(errors: Any) -> str:
    parts = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")]
        where = ".".join(loc)
        if err.get("type") == "json_invalid":
            parts.append("the body is not valid JSON")
        elif err.get("type") == "missing":
            parts.append(f"{where or 'the body'} is required")
        else:
            parts.append(f"{where}: {err.get('msg', 'invalid')}" if where else err.get("msg", ""))
    return "; ".join(dict.fromkeys(parts)) or "the request is not valid"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LitfeedError)
    async def litfeed_error(request: Request, exc: LitfeedError) -> Response:
        if isinstance(exc, Unauthorized) and not wants_json(request) and request.method == "GET":
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)
        if isinstance(exc, Unauthorized) and not wants_json(request):
            return RedirectResponse("/login", status_code=303)
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
        if exc.status >= 500:
            log.error("%s: %s", exc.code, exc.message)
        return error_response(request, exc.status, exc.code, exc.message, headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        return error_response(request, 422, "invalid_input", _describe(exc.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = HTTP_CODES.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else code
        if exc.status_code == 404 and message == "Not Found":
            message = f"nothing at {request.url.path}"
        return error_response(request, exc.status_code, code, message,
                              dict(exc.headers) if exc.headers else None)

    @app.exception_handler(OSError)
    async def unwritable(request: Request, exc: OSError) -> Response:
        """A full disk or read-only data directory met outside the store: 503, not a bug."""
        translated = storage_error_from_os(exc)
        if translated is None:
            return await unexpected(request, exc)
        log.error("%s: %s", translated.code, translated.message)
        return error_response(request, translated.status, translated.code, translated.message)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse({"error": "internal", "message": "internal error (a bug; it was "
                                                              "logged)"}, status_code=500)
