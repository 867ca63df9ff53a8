"""``litfeed demo``: a fresh data directory with the sample corpus and a demo reader.

The data directory is wiped only when it is empty or was made by an earlier demo (it carries a
marker file), so pointing ``--data-dir`` at real data by mistake refuses instead of deleting.
"""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, replace
from pathlib import Path

from litfeed.config import Settings
from litfeed.errors import InvalidInput, LitfeedError
from litfeed.service import accounts
from litfeed.store import Store

DEMO_EMAIL = "demo@litfeed.local"
MARKER = ".litfeed-demo"
#: what the demo fetches from PubMed when no local sample files are there (online only)
DEMO_QUERY = ('(depression OR hypertension OR "type 2 diabetes" OR sepsis) AND hasabstract '
              'AND "last 90 days"[dp]')
DEMO_FETCH_MAX = 300


@dataclass(frozen=True)
class Demo:
    settings: Settings
    email: str
    password: str
    papers: int


def fresh_data_dir(data_dir: Path) -> None:
    """Empty ``data_dir`` for a new demo.

    :raise InvalidInput: it holds files that an earlier demo did not make.
    """
    if data_dir.exists() and any(data_dir.iterdir()):
        if not (data_dir / MARKER).exists():
            raise InvalidInput(f"{data_dir} is not empty and was not made by `litfeed demo`; "
                               "choose another --data-dir (nothing was deleted)")
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / MARKER).write_text("made by litfeed demo; deleted by the next demo run\n")


def prepare(settings: Settings, data_dir: Path, sources: list[Path],
            on_file: Callable[[Path], None] | None = None, fetch: bool = True) -> Demo:
    """Wipe and fill ``data_dir``: ingest ``sources`` (PubMed XML files or folders) or, with
    none and ``fetch``, a recent PubMed query (when offline the demo starts empty); add the demo
    reader with a new random password. Returns what to tell the person."""
    fresh_data_dir(data_dir)
    demo_settings = replace(settings, data_dir=data_dir,
                            database_url=f"sqlite:///{data_dir / 'litfeed.db'}")
    store = Store.open(demo_settings)
    try:
        if sources:
            # imported here: the parser is a heavy import the other commands do not need
            from litfeed.service.ingest import ingest_paths

            ingest_paths(store, sources, batch_size=settings.ingest_batch_size, on_file=on_file)
        elif fetch:
            from litfeed.service.fetch import fetch_query

            # offline: an empty demo still shows the app; `litfeed ingest` fills it later
            with suppress(LitfeedError):
                fetch_query(store, demo_settings, DEMO_QUERY, max_results=DEMO_FETCH_MAX)
        from litfeed.service import embeddings, search

        search.refresh(store, demo_settings)  # searchable at once
        if demo_settings.embed_after_ingest:  # related papers and the feed improve as it works
            embeddings.start_background_embed(demo_settings)
        password = secrets.token_urlsafe(9)
        accounts.register(store, demo_settings, email=DEMO_EMAIL, password=password,
                          name="Demo reader", by_admin=True)
        from litfeed.service.papers import stats

        papers = int(stats(store)["papers"])
    finally:
        store.close()
    return Demo(settings=demo_settings, email=DEMO_EMAIL, password=password, papers=papers)
