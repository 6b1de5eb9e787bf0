"""`warroom users add|list|grant|disable|enable` and `warroom tokens create|revoke|list`.

They open the metadata store from Settings (WARROOM_METADATA_URL, or the SQLite file in WARROOM_HOME),
migrating it first. The audit log names the actor as cli:<operating-system user>.
"""

import getpass
from datetime import datetime

import typer
from rich.console import Console
from rich.table import Table as RichTable
from sqlalchemy.orm import Session

from warroom import access
from warroom.cli import app
from warroom.config import Settings
from warroom.meta import open_metadata

users_app = typer.Typer(help="Manage user accounts and their roles.", no_args_is_help=True)
tokens_app = typer.Typer(help="Manage API tokens (shown once when created).", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")


def _session() -> Session:
    return open_metadata(Settings().metadata_sqlalchemy_url)()


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _when(ts: datetime | None) -> str:
    return "" if ts is None else ts.astimezone(Settings().tz).strftime("%Y-%m-%d %H:%M")


@users_app.command("add")
def users_add(
    username: str = typer.Argument(..., help="Login name: 2-64 of a-z 0-9 . _ - (case-insensitive)."),
    role: str = typer.Option("viewer", "--role", help="admin, ops, finance, tech, viewer or a custom role."),
    display_name: str = typer.Option(
        None, "--display-name", help="Name shown on pages; default the user name."
    ),
    language: str = typer.Option("zh", "--language", help="Language of pages and alerts: zh or en."),
    password: str = typer.Option(
        ..., prompt=True, hide_input=True, confirmation_prompt=True, help="Asked for when not given."
    ),
) -> None:
    """Create a user account."""
    with _session() as session:
        user = access.create_user(
            session,
            username=username,
            password=password,
            role=role,
            display_name=display_name,
            language=language,
            actor=_actor(),
        )
        print(f"created user {user.username} with role {user.role}")


@users_app.command("list")
def users_list() -> None:
    """List user accounts with their role, language and state."""
    with _session() as session:
        grid = RichTable(title="users", title_justify="left")
        for head in ("user", "display name", "role", "language", "state", "created"):
            grid.add_column(head)
        for user in access.list_users(session):
            state = "disabled" if user.disabled else "active"
            grid.add_row(
                user.username, user.display_name, user.role, user.language, state, _when(user.created_at)
            )
        Console().print(grid)


@users_app.command("grant")
def users_grant(
    username: str = typer.Argument(..., help="The user."),
    role: str = typer.Argument(..., help="The role to give them (replaces their current role)."),
) -> None:
    """Give a user a role: what they may see follows from the role's policy."""
    with _session() as session:
        user = access.grant_role(session, username=username, role=role, actor=_actor())
        print(f"user {user.username} now has role {user.role}")


@users_app.command("disable")
def users_disable(username: str = typer.Argument(..., help="The user.")) -> None:
    """Stop a user's logins and tokens and end their sessions (nothing is deleted)."""
    with _session() as session:
        user = access.disable_user(session, username=username, actor=_actor())
        print(f"user {user.username} disabled")


@users_app.command("enable")
def users_enable(username: str = typer.Argument(..., help="The user.")) -> None:
    """Let a disabled user log in again."""
    with _session() as session:
        user = access.enable_user(session, username=username, actor=_actor())
        print(f"user {user.username} enabled")


@tokens_app.command("create")
def tokens_create(
    username: str = typer.Argument(..., help="The user the token acts as."),
    name: str = typer.Option(..., "--name", help="What the token is for, e.g. 'order pusher'."),
    scopes: list[str] = typer.Option(
        ["read"], "--scope", help="read, ingest or admin; repeat for several (admin needs an admin user)."
    ),
    expires: str = typer.Option(
        None, "--expires", help="Valid for this long, e.g. 90d, 12h, 2w, 30m; without it, until revoked."
    ),
) -> None:
    """Create an API token and print it: this is the only time it can be seen."""
    expires_in = access.parse_expiry(expires) if expires is not None else None
    with _session() as session:
        token, plaintext = access.create_token(
            session, username=username, name=name, scopes=scopes, actor=_actor(), expires_in=expires_in
        )
        until = f"expires {_when(token.expires_at)}" if token.expires_at else "never expires"
        Console(stderr=True).print(
            f"token {token.id} for {token.user.username} ({', '.join(token.scopes)}, {until}); "
            "store it now, it cannot be shown again:"
        )
        print(plaintext)


@tokens_app.command("revoke")
def tokens_revoke(
    token_id: int = typer.Argument(..., help="The token's id from `warroom tokens list`."),
) -> None:
    """Revoke a token for good."""
    with _session() as session:
        token = access.revoke_token(session, token_id=token_id, actor=_actor())
        print(f"token {token.id} ({token.name}) of {token.user.username} revoked")


@tokens_app.command("list")
def tokens_list(user: str = typer.Option(None, "--user", help="Only this user's tokens.")) -> None:
    """List tokens (never their values): owner, scopes, last use, expiry, revocation."""
    with _session() as session:
        grid = RichTable(title="API tokens", title_justify="left")
        for head in ("id", "user", "name", "scopes", "created", "last used", "expires", "revoked"):
            grid.add_column(head)
        for token in access.list_tokens(session, username=user):
            grid.add_row(
                str(token.id),
                token.user.username,
                token.name,
                ",".join(token.scopes),
                _when(token.created_at),
                _when(token.last_used_at),
                _when(token.expires_at) or "never",
                _when(token.revoked_at),
            )
        Console().print(grid)
