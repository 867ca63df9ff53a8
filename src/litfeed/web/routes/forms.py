"""What every form-handling page route shares: where to go back to, and how to answer.

A form POST answers a redirect (303, so a reload does not resubmit) for a plain browser, and
JSON for the page script's ``fetch`` (which asks with ``Accept: application/json``): the same
route serves the no-JavaScript page and the instant one.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from litfeed.service.text import is_plain
from litfeed.web.errors import wants_json


def safe_next(value: object, default: str) -> str:
    """A local path to return to; anything else (another host, a scheme) gives ``default``."""
    if not isinstance(value, str) or not value.startswith("/") or value.startswith("//"):
        return default
    if "\\" in value or not is_plain(value) or "\n" in value or len(value) > 2000:
        return default
    return value


def field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def done(request: Request, form: FormData, default: str, data: dict[str, Any]) -> Response:
    if wants_json(request):
        return JSONResponse(data)
    return RedirectResponse(safe_next(form.get("next"), default), status_code=303)
