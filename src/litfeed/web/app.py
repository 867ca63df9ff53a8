"""The web app: ``create_app(settings)`` builds it; nothing is created at import time.

``app_from_env`` is the factory uvicorn imports when ``litfeed serve --workers N`` starts
several processes (each builds its own app and store from the environment).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from litfeed.config import Settings
from litfeed.store import Store
from litfeed.web import fulltext_view
from litfeed.web.blocks import add_block
from litfeed.web.errors import install_error_handlers
from litfeed.web.openapi import install_error_schemas
from litfeed.web.ratelimit import RateLimitMiddleware, TokenBuckets
from litfeed.web.render import STATIC_DIR, make_templates
from litfeed.web.routes import (
    api_auth,
    api_cme,
    api_feed,
    api_library_io,
    api_links,
    api_me,
    api_papers,
    api_privacy,
    api_related,
    api_saved,
    api_search,
    feeds,
    pages_account,
    pages_cme,
    pages_feed,
    pages_institutions,
    pages_library_io,
    pages_meta,
    pages_papers,
    pages_privacy,
    pages_saved,
    pages_search,
    pages_searches,
)
from litfeed.web.security import SecurityHeadersMiddleware

DESCRIPTION = """The litfeed JSON API. Authenticate with the session cookie from
`POST /api/auth/login` or with `Authorization: Bearer TOKEN` (`POST /api/tokens`).
Errors are `{"error": code, "message": text}` with a 4xx status."""


def create_app(settings: Settings, store: Store | None = None) -> FastAPI:
    """The app for ``settings``; pass ``store`` to share an open one (tests, the CLI).

    :raise ConfigError: production settings with the development secret key.
    """
    settings.check_production()
    owns_store = store is None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        for close in app.state.on_shutdown:
            close()
        index = getattr(app.state, "search_index", None)
        if index is not None:
            index.close()
        if owns_store:
            app.state.store.close()

    app = FastAPI(title="litfeed", version="0.1.0", description=DESCRIPTION,
                  docs_url=None, redoc_url=None, openapi_url="/openapi.json", lifespan=lifespan)
    app.state.settings = settings
    app.state.store = store if store is not None else Store.open(settings)
    app.state.templates = make_templates()
    app.state.paper_blocks = []  # PaperBlocks under the abstract; see web/blocks.add_block
    app.state.on_shutdown = []  # callables run when the app stops (close HTTP clients…)
    app.state.user_buckets = (TokenBuckets(settings.rate_api_per_user)
                              if settings.rate_api_per_user > 0 else None)
    install_error_handlers(app)
    for module in (api_auth, api_papers, api_saved, pages_meta, pages_account, pages_papers,
                   pages_saved, api_feed):
        app.include_router(module.router)
    for module in (api_cme, pages_cme):
        app.include_router(module.router)
    add_block(app, pages_cme.CLAIM_BLOCK)
    app.include_router(api_links.router)
    app.include_router(api_me.router)
    app.include_router(api_privacy.router)  # DELETE /api/me, DELETE /api/me/history
    pages_privacy.install(app)  # /privacy, the privacy section of /settings
    app.include_router(pages_institutions.router)
    fulltext_view.install(app)
    app.include_router(api_related.router)
    add_block(app, api_related.BLOCK)
    # search, saved searches and their alerts
    for module in (api_search, pages_search, pages_searches, feeds):
        app.include_router(module.router)
    app.include_router(api_library_io.router)
    pages_library_io.install(app)  # /saved export, cite, import; the paper page's Cite block
    pages_feed.install(app)  # mute / follow buttons, the settings page's feed preferences
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    pages_meta.mount_docs_assets(app)
    install_error_schemas(app)
    # the last added runs first: the proxy's headers say who the client is and whether it came
    # over https, then the security headers wrap every answer, a 429 included
    app.add_middleware(RateLimitMiddleware, per_minute=settings.rate_api_per_ip)
    app.add_middleware(SecurityHeadersMiddleware, hsts_max_age=settings.hsts_max_age)
    if settings.proxy_list:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.proxy_list)
    return app


def app_from_env() -> FastAPI:
    """Factory for uvicorn's import string (``litfeed.web.app:app_from_env``)."""
    return create_app(Settings.from_env())

