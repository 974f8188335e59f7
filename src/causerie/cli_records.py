"""Command line for records (issue 7, part A): ``causerie retention run | policy`` and
``causerie legal hold | release | holds``.

May import: everything (through ``bootstrap``).

``legal_app`` is the ``causerie legal`` group: the evidence export commands (part B) belong in it too.
A running server purges on its own every ``retention_run_interval`` seconds; ``causerie retention run``
does it now (safe while servers run: every batch is its own transaction, and a second purge at the
same time finds nothing more to delete).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from causerie.config import Settings

retention_app = typer.Typer(help="Retention: purge what has expired, show the policy.", no_args_is_help=True)
legal_app = typer.Typer(help="Legal duties: holds that keep data beyond its retention.", no_args_is_help=True)
console = Console(stderr=True)

DatabaseOption = Annotated[str | None, typer.Option(help="sqlite:///path or postgresql://…")]


def _settings(database: str | None) -> Settings:
    overrides: dict[str, Any] = {"database_url": database} if database else {}
    return Settings(**overrides)


def _when(ms: int | None) -> str:
    if ms is None:
        return "—"
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


@retention_app.command("run")
def retention_run(
    database: DatabaseOption = None,
    quiet: Annotated[bool, typer.Option(help="No progress lines, only the totals.")] = False,
) -> None:
    """Delete what has expired now, in batches (resumable: run it again after an interruption)."""
    from causerie.bootstrap import offline_services
    from causerie.storage.retention import Batch, DataKind

    async def progress(kind: DataKind, batch: Batch) -> None:
        if batch.deleted and not quiet:
            typer.echo(f"{kind.value}: {batch.deleted} deleted", err=True)

    async def run() -> dict[str, int]:
        async with offline_services(_settings(database)) as services:
            assert services.retention is not None
            return await services.retention.run(after_batch=progress)

    deleted = asyncio.run(run())
    for kind, count in deleted.items():
        typer.echo(f"{kind} {count}")
    if deleted.get("errors"):
        raise typer.Exit(1)  # some kind failed (logged); what was deleted stays deleted


@retention_app.command("policy")
def retention_policy() -> None:
    """How many days each kind of data is kept (settings ``retention_*_days``; 0: kept)."""
    from causerie.services.retention import policy

    for kind, days in policy(_settings(None)).items():
        typer.echo(f"{kind.value} {days}")


@legal_app.command("hold")
def legal_hold(
    kind: Annotated[str, typer.Argument(help="account, room or case.")],
    target: Annotated[str, typer.Argument(help="Account id or nickname, room id or slug, case id.")],
    reason: Annotated[str, typer.Option(help="Why (a request reference, a case): kept in the audit trail.")],
    until: Annotated[
        str | None, typer.Option(help="End of the hold, YYYY-MM-DD (UTC); default: until released.")
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """Keep an account's, a room's or a case's data beyond its retention (audited)."""
    from causerie.bootstrap import offline_services
    from causerie.errors import CauserieError
    from causerie.services.retention import hold_json
    from causerie.storage.retention import HoldKind

    if kind not in ("account", "room", "case"):
        console.print("[red]kind: account, room or case[/red]")
        raise typer.Exit(2)
    expires = None
    if until:
        try:
            expires = dt.datetime.strptime(until, "%Y-%m-%d").replace(tzinfo=dt.UTC).timestamp()
        except ValueError:
            console.print("[red]--until: a date YYYY-MM-DD[/red]")
            raise typer.Exit(2) from None

    async def run() -> dict[str, Any]:
        async with offline_services(_settings(database)) as services:
            assert services.holds is not None
            hold, _new = await services.holds.place(HoldKind(kind), target, reason, actor=None, expires_at=expires)
            return hold_json(hold)

    try:
        hold = asyncio.run(run())
    except CauserieError as exc:
        console.print(f"[red]{exc.text()}[/red]")
        raise typer.Exit(1) from None
    typer.echo(f"hold {hold['id']} on {hold['kind']} {hold['target_id']} until {_when(hold['expires_at'])}")


@legal_app.command("release")
def legal_release(
    hold_id: Annotated[int, typer.Argument(help="The hold's id (causerie legal holds).")],
    reason: Annotated[str, typer.Option(help="Why it is released (audited).")] = "",
    database: DatabaseOption = None,
) -> None:
    """Release a hold (audited): its data follows the retention policy again."""
    from causerie.bootstrap import offline_services
    from causerie.errors import CauserieError

    async def run() -> None:
        async with offline_services(_settings(database)) as services:
            assert services.holds is not None
            await services.holds.release(hold_id, None, reason)

    try:
        asyncio.run(run())
    except CauserieError as exc:
        console.print(f"[red]{exc.text()}[/red]")
        raise typer.Exit(1) from None
    typer.echo(f"hold {hold_id} released")


@legal_app.command("holds")
def legal_holds(
    all_holds: Annotated[bool, typer.Option("--all", help="Include released and ended holds.")] = False,
    database: DatabaseOption = None,
) -> None:
    """List the holds, newest first."""
    from causerie.bootstrap import offline_services
    from causerie.services.retention import hold_json

    async def run() -> list[dict[str, Any]]:
        async with offline_services(_settings(database)) as services:
            assert services.holds is not None
            return [hold_json(h) for h in await services.holds.list(active_only=not all_holds, limit=10_000)]

    holds = asyncio.run(run())
    table = Table("id", "kind", "target", "source", "placed", "until", "released", "reason")
    for h in holds:
        table.add_row(
            str(h["id"]),
            h["kind"],
            h["target_id"],
            h["source"],
            _when(h["created_at"]),
            _when(h["expires_at"]),
            _when(h["released_at"]),
            h["reason"],
        )
    Console(width=200).print(table)
