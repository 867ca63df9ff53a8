"""``litfeed serve`` (the web app under uvicorn) and ``litfeed demo`` (a ready-to-try app)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from litfeed.cli import Context, cli, command_options, err_console
from litfeed.config import Settings
from litfeed.service import demo as demo_service

PROJECT_ROOT = Path(__file__).resolve().parents[3]


def run_server(settings: Settings, host: str, port: int, workers: int, access_log: bool) -> None:
    import uvicorn

    from litfeed.store import Store

    Store.open(settings).close()  # create or upgrade the schema once, before any worker starts
    # X-Forwarded-For/-Proto are read by the app itself, from LITFEED_TRUSTED_PROXIES only
    # (uvicorn's own reading would trust 127.0.0.1 whatever the setting says)
    if workers > 1:
        # each worker process builds its own app (and store) from the environment
        os.environ["LITFEED_DATA_DIR"] = str(settings.data_dir)
        os.environ["LITFEED_DATABASE_URL"] = settings.database_url
        uvicorn.run("litfeed.web.app:app_from_env", factory=True, host=host, port=port,
                    workers=workers, access_log=access_log, proxy_headers=False)
        return
    from litfeed.web.app import create_app

    uvicorn.run(create_app(settings), host=host, port=port, access_log=access_log,
                proxy_headers=False)


def serve_options(func: click.decorators.FC) -> click.decorators.FC:
    for option in reversed([
        click.option("--host", default="127.0.0.1", show_default=True,
                     help="Address to listen on (0.0.0.0 for every interface)."),
        click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True),
        click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
                     help="Worker processes."),
        click.option("--access-log/--no-access-log", default=True, show_default=True,
                     help="Log every request on stderr."),
    ]):
        func = option(func)
    return func


@cli.command()
@serve_options
@command_options
def serve(ctx: Context, as_json: bool, host: str, port: int, workers: int,
          access_log: bool) -> None:
    """Run the web app (Ctrl-C stops it)."""
    err_console.print(f"litfeed on http://{host}:{port} (database {ctx.settings.database_url})",
                      highlight=False)
    run_server(ctx.settings, host, port, workers, access_log)


def default_sources() -> list[Path]:
    for candidate in (Path.cwd() / ".." / "shared" / "data" / "pubmed-xml",
                      PROJECT_ROOT / ".." / "shared" / "data" / "pubmed-xml"):
        if candidate.is_dir():
            return [candidate.resolve()]
    return []


@cli.command()
@click.option("--data-dir", type=click.Path(path_type=Path, file_okay=False),
              default=Path(".demo-data"), show_default=True,
              help="Where the demo keeps its database (wiped and refilled).")
@click.option("--pubmed", "sources", multiple=True, type=click.Path(path_type=Path, exists=True),
              help="PubMed XML files or folders to load (default: ../shared/data/pubmed-xml "
                   "when present).")
@click.option("--no-fetch", is_flag=True,
              help="Without local PubMed files, start empty instead of fetching from PubMed.")
@click.option("--no-serve", is_flag=True, help="Prepare the data and exit.")
@serve_options
@click.pass_context
def demo(click_ctx: click.Context, data_dir: Path, sources: tuple[Path, ...], no_fetch: bool,
         no_serve: bool, host: str, port: int, workers: int, access_log: bool) -> None:
    """A fresh demo: sample corpus, a demo reader, then the app on http://HOST:PORT."""
    settings: Settings = click_ctx.obj or Settings.from_env()
    paths = list(sources) or default_sources()
    if not paths:
        err_console.print("no PubMed files in ../shared/data/pubmed-xml"
                          + ("" if no_fetch else "; fetching recent papers from PubMed"),
                          highlight=False)
    with err_console.status("loading the sample corpus…") as status:
        ready = demo_service.prepare(
            settings, data_dir.resolve(), paths,
            on_file=lambda p: status.update(f"loading {p.name}…"), fetch=not no_fetch)
    url = f"http://{host}:{port}"
    click.echo(f"\nlitfeed demo: {ready.papers} papers in {ready.settings.data_dir}\n"
               f"  open      {url}\n"
               f"  email     {ready.email}\n"
               f"  password  {ready.password}\n")
    if not no_serve:
        run_server(ready.settings, host, port, workers, access_log)
