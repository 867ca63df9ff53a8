"""``litfeed user add|delete|clear-history`` and ``litfeed token create``: accounts and API
tokens from the shell."""

from __future__ import annotations

import secrets
import sys

import click

from litfeed.cli import Context, cli, command_options, emit
from litfeed.errors import InvalidInput
from litfeed.service import accounts, privacy


def read_password() -> str:
    """The password on stdin's first line (``--password-stdin``)."""
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise InvalidInput("--password-stdin: stdin was empty; pipe the password in")
    return line


@cli.group()
def user() -> None:
    """Manage accounts."""


@user.command("add")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin.")
@click.option("--admin", is_flag=True, help="Make the account an administrator.")
@click.option("--name", default=None, help="The reader's name, shown on the home page.")
@command_options
def user_add(ctx: Context, as_json: bool, email: str, password_stdin: bool, admin: bool,
             name: str | None) -> None:
    """Create an account (works when LITFEED_REGISTRATION=closed too). Without
    --password-stdin a random password is generated and printed once."""
    generated = None if password_stdin else secrets.token_urlsafe(12)
    password = generated or read_password()
    created = accounts.register(ctx.store, ctx.settings, email=email, password=password,
                                name=name, is_admin=admin, by_admin=True)
    out: dict[str, object] = {"email": created.email, "id": created.id}
    if generated:
        out["password"] = generated

    def human(d: dict[str, object]) -> str:
        line = f"created {'admin ' if admin else ''}account {d['email']} (id {d['id']})"
        return line + (f"\npassword: {d['password']}" if "password" in d else "")

    emit(out, as_json, human)


@cli.group()
def token() -> None:
    """Manage API tokens."""


@token.command("create")
@click.argument("email")
@click.option("--name", default=None, help="A label to recognise the token by.")
@command_options
def token_create(ctx: Context, as_json: bool, email: str, name: str | None) -> None:
    """Create a Bearer token for EMAIL's scripts (printed once)."""
    owner = accounts.get_user_by_email(ctx.store, email)
    _id, value = accounts.create_token(ctx.store, owner.id, name)
    emit({"token": value}, as_json, lambda d: str(d["token"]))


@user.command("delete")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@command_options
def user_delete(ctx: Context, as_json: bool, email: str, yes: bool) -> None:
    """Delete an account and every row that refers to it in any table (asks first unless
    --yes). Prints the rows removed per table."""
    owner = accounts.get_user_by_email(ctx.store, email)
    if not yes:
        click.confirm(f"Delete {owner.email} and everything stored about them? This cannot be "
                      "undone", abort=True, err=True)
    counts = privacy.erase_user(ctx.store, owner)

    listed = ", ".join(f"{name} {n}" for name, n in sorted(counts.items()))
    emit({"email": owner.email, "deleted": counts}, as_json,
         lambda d: f"deleted {d['email']} ({listed})")


@user.command("clear-history")
@click.argument("email")
@click.option("--reactions", is_flag=True, help="Also delete their likes and dislikes.")
@click.option("--saves", is_flag=True, help="Also delete their collections and saved papers.")
@command_options
def user_clear_history(ctx: Context, as_json: bool, email: str, reactions: bool,
                       saves: bool) -> None:
    """Delete a reader's reading history (and, when asked, reactions and saved papers)."""
    owner = accounts.get_user_by_email(ctx.store, email)
    cleared = privacy.clear_history(ctx.store, owner.id, reactions=reactions, saves=saves)
    emit(cleared.to_json(), as_json,
         lambda d: f"cleared {d['views']} views, {d['reactions']} reactions, "
                   f"{d['saved']} saved items")
