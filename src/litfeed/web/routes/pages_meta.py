"""The app around the pages: PWA files at the root, the offline page, API docs served locally.

The service worker must be served from ``/`` to control every page; /docs uses a Swagger UI
copy shipped as a Python package, so the docs page makes no third-party request either.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles

from litfeed.web.deps import OptionalUser
from litfeed.web.render import STATIC_DIR, render

router = APIRouter(include_in_schema=False)
DOCS_ASSETS = "/docs-assets"


@router.get("/sw.js")
def service_worker() -> Response:
    return FileResponse(STATIC_DIR / "sw.js", media_type="text/javascript",
                        headers={"Cache-Control": "no-cache"})


@router.get("/manifest.webmanifest")
def manifest() -> Response:
    return FileResponse(STATIC_DIR / "manifest.webmanifest",
                        media_type="application/manifest+json",
                        headers={"Cache-Control": "public, max-age=3600"})


@router.get("/favicon.ico")
def favicon() -> Response:
    return FileResponse(STATIC_DIR / "icons" / "icon-192.png", media_type="image/png",
                        headers={"Cache-Control": "public, max-age=86400"})


@router.get("/offline")
def offline() -> Response:
    return FileResponse(STATIC_DIR / "offline.html", media_type="text/html")


@router.get("/docs")
def docs(request: Request, auth: OptionalUser) -> Response:
    return render(request, "pages/docs.html", {"assets": DOCS_ASSETS}, auth=auth)


def mount_docs_assets(app: FastAPI) -> None:
    """Serve the packaged Swagger UI files (skipped, with a plain docs page, when absent)."""
    try:
        import swagger_ui_bundle
    except ImportError:  # pragma: no cover - a declared dependency
        return
    app.mount(DOCS_ASSETS, StaticFiles(directory=swagger_ui_bundle.swagger_ui_path),
              name="docs-assets")
