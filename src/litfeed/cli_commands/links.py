"""``litfeed links`` and ``litfeed institution add|list|remove``: full-text links from the shell."""

from __future__ import annotations

from typing import Any

import click

from litfeed.cli import Context, cli, command_options, emit
from litfeed.fulltext.institutions import Institution
from litfeed.service import accounts, institutions
from litfeed.service.links import links_for


def _human_links(data: dict[str, Any]) -> str:
    lines = [f"{data['pmid']}" + (f" (through {data['institution']})"
                                  if data.get("institution") else "")]
    for link in data["links"]:
        free = " [free]" if link["open_access"] else ""
        lines.append(f"  {link['kind']:<12} {link['label']}{free}\n               {link['url']}")
    return "\n".join(lines)


@cli.command()
@click.argument("pmid")
@click.option("--user", "email", default=None, metavar="EMAIL",
              help="Include this reader's institution (their choice, else their email domain).")
@command_options
def links(ctx: Context, as_json: bool, pmid: str, email: str | None) -> None:
    """Full-text links for PMID, best first: open access, the reader's library, DOI, PubMed.
    Asks Unpaywall only when UNPAYWALL_EMAIL is set (answers cached in the store)."""
    reader = accounts.get_user_by_email(ctx.store, email) if email else None
    emit(links_for(ctx.store, ctx.settings, pmid, reader), as_json, _human_links)


def _human_institution(data: dict[str, Any]) -> str:
    lines = [f"{data['name']} (id {data['id']})"]
    for key, label in (("ezproxy_prefix", "EZproxy"), ("openurl_base", "OpenURL"),
                       ("ill_url", "ILL")):
        if data.get(key):
            lines.append(f"  {label + ':':<9} {data[key]}")
    if data.get("email_domains"):
        lines.append(f"  {'domains:':<9} {', '.join(data['email_domains'])}")
    return "\n".join(lines)


@cli.group()
def institution() -> None:
    """Manage institutions (libraries that give readers full-text access)."""


@institution.command("add")
@click.argument("name")
@click.option("--ezproxy", default=None, metavar="PREFIX",
              help="EZproxy prefix: https://login.ezproxy.x.edu/login?url= (or ?qurl=), or a "
                   "proxy host name such as ezproxy.x.edu.")
@click.option("--openurl", default=None, metavar="BASE",
              help="OpenURL 1.0 link resolver base URL (SFX, 360 Link, Alma…).")
@click.option("--ill", default=None, metavar="URL", help="Interlibrary-loan request form URL.")
@click.option("--email-domain", "domains", multiple=True, metavar="DOMAIN",
              help="Readers with an address in this domain (or its subdomains) belong to the "
                   "institution; repeat for several.")
@command_options
def institution_add(ctx: Context, as_json: bool, name: str, ezproxy: str | None,
                    openurl: str | None, ill: str | None, domains: tuple[str, ...]) -> None:
    """Add an institution. Every field is checked first; a bad one exits 2 with a message."""
    saved = institutions.add_institution(ctx.store, Institution(
        name=name, ezproxy_prefix=ezproxy, openurl_base=openurl, ill_url=ill,
        email_domains=domains))
    emit(saved.to_json(), as_json, _human_institution)


@institution.command("list")
@command_options
def institution_list(ctx: Context, as_json: bool) -> None:
    """Every institution, by name."""
    found = [i.to_json() for i in institutions.list_institutions(ctx.store)]
    emit({"institutions": found}, as_json,
         lambda d: "\n".join(_human_institution(i) for i in d["institutions"])
         or "no institutions")


@institution.command("remove")
@click.argument("name_or_id")
@command_options
def institution_remove(ctx: Context, as_json: bool, name_or_id: str) -> None:
    """Remove an institution (by name or id); its readers fall back to their email domain."""
    removed = institutions.remove_institution(ctx.store, name_or_id)
    emit({**removed.to_json(), "removed": True}, as_json,
         lambda d: f"removed {d['name']} (id {d['id']})")
