"""Command line for pictures: ``causerie media import-bank | remove-bank | banks | matches``.

May import: everything (through ``bootstrap``).

A running server notices bank changes within ``media_bank_check_seconds`` (default 30 s) and
reloads its index without a restart; ``POST /api/v1/moderation/media/banks/reload`` does it at once.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from causerie.config import Settings

media_app = typer.Typer(help="Pictures: hash banks of known abuse material, matches.", no_args_is_help=True)
console = Console(stderr=True)

DatabaseOption = Annotated[str | None, typer.Option(help="sqlite:///path or postgresql://…")]


def _settings(database: str | None) -> Settings:
    overrides: dict[str, Any] = {"database_url": database} if database else {}
    return Settings(**overrides)


@media_app.command("import-bank")
def import_bank(
    name: Annotated[str, typer.Argument(help="Bank name (a-z, 0-9, _ . -), created if new.")],
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="Hash-list file.")],
    threshold: Annotated[
        int | None, typer.Option(help="PDQ distance threshold of this bank (default: media_pdq_threshold, 31).")
    ] = None,
    mirrored: Annotated[
        bool | None, typer.Option("--mirrored/--no-mirrored", help="Also match mirror images of uploads.")
    ] = None,
    description: Annotated[str | None, typer.Option(help="What this list is and where it comes from.")] = None,
    kind: Annotated[str | None, typer.Option(help="md5 or pdq, for bare rows whose kind is ambiguous.")] = None,
    batch: Annotated[int, typer.Option(min=1, help="Rows committed per transaction (the resume points).")] = 5000,
    database: DatabaseOption = None,
) -> None:
    """Import a hash list (CSV of MD5/PDQ hashes, or threatexchange's formats) into a bank.

    Idempotent (a hash already in the bank is not added twice) and resumable (an interrupted import
    continues after its last committed batch when run again with the same file).
    """
    from causerie.bootstrap import offline_services
    from causerie.domain.media import HashKind
    from causerie.errors import CauserieError
    from causerie.media.bankfiles import BankRow

    default_kind = HashKind(kind) if kind else None
    size = file.stat().st_size

    async def run() -> Any:
        async with offline_services(_settings(database)) as services:
            assert services.media is not None
            with Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TextColumn("added {task.fields[added]:,} · invalid {task.fields[invalid]:,}"),
                TimeRemainingColumn(),
                console=console,
            ) as progress:
                task = progress.add_task(f"{name} ← {file.name}", total=size, added=0, invalid=0)

                def tick(row: BankRow, added: int, invalid: int) -> None:
                    if row.line % 2000 == 0:
                        progress.update(task, completed=row.offset, added=added, invalid=invalid)

                report = await services.media.banks.import_file(
                    name,
                    file,
                    pdq_threshold=threshold,
                    match_mirrored=mirrored,
                    description=description,
                    default_kind=default_kind,
                    batch=batch,
                    progress=tick,
                )
                progress.update(task, completed=size, added=report.added, invalid=report.invalid)
            return report

    try:
        report = asyncio.run(run())
    except CauserieError as exc:
        console.print(f"[red]refused: {exc.code.value}: {exc.text('en')}[/red]")
        raise typer.Exit(2) from None
    bank = report.bank
    if report.already_done:
        console.print(f"[yellow]{file} was already imported into {bank.name}: nothing to do[/yellow]")
    else:
        resumed = f" (resumed after line {report.resumed_from:,})" if report.resumed_from else ""
        console.print(
            f"[green]{bank.name}: {report.added:,} new hashes{resumed}, {report.invalid:,} invalid rows; "
            f"bank holds {bank.md5_count:,} MD5 and {bank.pdq_count:,} PDQ (threshold {bank.pdq_threshold}"
            f"{', mirrored' if bank.match_mirrored else ''})[/green]"
        )
    console.print("running servers reload their index within media_bank_check_seconds")


@media_app.command("remove-bank")
def remove_bank(
    name: Annotated[str, typer.Argument(help="Bank name.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    database: DatabaseOption = None,
) -> None:
    """Remove a bank and all its hashes (past matches and their evidence are kept)."""
    from causerie.bootstrap import offline_services

    if not yes:
        typer.confirm(f"Remove the hash bank {name!r} and all its hashes?", abort=True)

    async def run() -> bool:
        async with offline_services(_settings(database)) as services:
            assert services.media is not None
            return await services.media.banks.remove(name)

    if not asyncio.run(run()):
        console.print(f"[red]no bank named {name!r}[/red]")
        raise typer.Exit(1)
    console.print(f"[green]removed {name}[/green]")


@media_app.command("banks")
def banks(database: DatabaseOption = None) -> None:
    """List the hash banks."""
    from causerie.bootstrap import offline_services

    async def run() -> Any:
        async with offline_services(_settings(database)) as services:
            assert services.media is not None
            return await services.media.banks.all()

    table = Table("bank", "MD5", "PDQ", "threshold", "mirrored", "enabled", "description")
    for b in asyncio.run(run()):
        table.add_row(
            b.name,
            f"{b.md5_count:,}",
            f"{b.pdq_count:,}",
            str(b.pdq_threshold),
            "yes" if b.match_mirrored else "no",
            "yes" if b.enabled else "no",
            b.description,
        )
    Console().print(table)
