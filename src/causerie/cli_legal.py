"""Command line for the legal duties of issue 7 part B, added to the ``causerie legal`` group
(``cli_records.legal_app``): ``keygen | public-key | export | verify | authority-report | exports |
flagger-add | flaggers | flagger-revoke``; and ``causerie transparency export | report``.

May import: everything (through ``bootstrap``).

What an operator does when the authorities ask: docs/legal.md.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from causerie.cli_records import legal_app
from causerie.config import Settings

transparency_app = typer.Typer(
    help="DSA transparency: statements of reasons as EU database records, report figures.", no_args_is_help=True
)
console = Console(stderr=True)

DatabaseOption = Annotated[str | None, typer.Option(help="sqlite:///path or postgresql://…")]
FromOption = Annotated[str, typer.Option("--from", help="Start: YYYY-MM-DD (whole day, UTC) or ISO 8601.")]
ToOption = Annotated[str, typer.Option("--to", help="End: YYYY-MM-DD (whole day, UTC) or ISO 8601.")]


def _settings(database: str | None) -> Settings:
    overrides: dict[str, Any] = {"database_url": database} if database else {}
    return Settings(**overrides)


def _refused(exc: Exception) -> typer.Exit:
    from causerie.errors import CauserieError

    if isinstance(exc, CauserieError):
        console.print(f"[red]refused: {exc.code.value}: {exc.text('en')}[/red]")
    else:
        console.print(f"[red]{exc}[/red]")
    return typer.Exit(2)


@legal_app.command("keygen")
def keygen(
    output: Annotated[Path, typer.Option(help="Write the private key (PEM, mode 0600) here.")],
) -> None:
    """Create an Ed25519 key that signs evidence bundles; print its public half (publish it)."""
    from causerie.services.evidence import generate_key, key_id, private_pem, public_pem

    if output.exists():
        console.print(f"[red]{output} exists: not overwritten[/red]")
        raise typer.Exit(2)
    key = generate_key()
    fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(private_pem(key))
    console.print(f"[green]private key written to {output}[/green]: set legal_signing_key_file to it")
    typer.echo(public_pem(key.public_key()).decode(), nl=False)
    typer.echo(f"key id: {key_id(key.public_key())}")


@legal_app.command("public-key")
def public_key() -> None:
    """Print the public key of the configured signing key (give it to whoever verifies bundles)."""
    from causerie.errors import CauserieError, ErrorCode
    from causerie.services.evidence import KeyError_, key_id, load_private_key, public_pem

    s = _settings(None)
    try:
        if s.legal_signing_key is not None:
            key = load_private_key(s.legal_signing_key.get_secret_value())
        elif s.legal_signing_key_file is not None:
            key = load_private_key(s.legal_signing_key_file.read_bytes())
        else:
            raise CauserieError(ErrorCode.SIGNING_KEY_MISSING)
    except (OSError, KeyError_, CauserieError) as exc:
        raise _refused(exc) from None
    typer.echo(public_pem(key.public_key()).decode(), nl=False)
    typer.echo(f"key id: {key_id(key.public_key())}")


@legal_app.command("export")
def export(
    request_ref: Annotated[str, typer.Option("--request-ref", help="The authority's request reference.")],
    date_from: FromOption,
    date_to: ToOption,
    output: Annotated[Path, typer.Option(help="The bundle to write (.zip).")],
    account: Annotated[str | None, typer.Option(help="Account: nickname or id.")] = None,
    room: Annotated[str | None, typer.Option(help="Room: slug.")] = None,
    case: Annotated[int | None, typer.Option(help="Case id.")] = None,
    include_quarantine: Annotated[
        bool,
        typer.Option("--include-quarantine", help="Add quarantined files, decrypted (only if the request allows)."),
    ] = False,
    database: DatabaseOption = None,
) -> None:
    """Export a signed evidence bundle for the authorities (audited: who, what, which request)."""
    from causerie.bootstrap import offline_services
    from causerie.errors import CauserieError
    from causerie.services.legal import ExportRequest, parse_date

    targets = [(k, v) for k, v in (("account", account), ("room", room), ("case", case)) if v is not None]
    if len(targets) != 1:
        console.print("[red]give exactly one of --account, --room, --case[/red]")
        raise typer.Exit(2)
    kind, target = targets[0]
    if output.exists():
        console.print(f"[red]{output} exists: not overwritten[/red]")
        raise typer.Exit(2)

    async def run() -> Any:
        async with offline_services(_settings(database)) as services:
            assert services.legal is not None
            req = ExportRequest(
                target_kind=kind,
                target=str(target),
                start=parse_date(date_from),
                end=parse_date(date_to, end=True),
                request_ref=request_ref,
                include_quarantine=include_quarantine,
            )
            return await services.legal.export(None, req)

    try:
        result = asyncio.run(run())
    except CauserieError as exc:
        raise _refused(exc) from None
    output.write_bytes(result.data)
    typer.echo(f"{output}: {result.scope}, {result.files} files, manifest sha256 {result.manifest_sha256}")
    typer.echo(f"signed with key {result.key_id}; export #{result.export_id} recorded in the audit trail")


@legal_app.command("verify")
def verify(
    bundle: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The bundle (.zip).")],
    public_key_arg: Annotated[
        str | None,
        typer.Option("--public-key", help="PEM file or base64 public key (default: the bundle's own, weaker)."),
    ] = None,
) -> None:
    """Check a bundle's signature and every file's hash; name what was altered, removed or added."""
    from causerie.services.evidence import KeyError_, load_public_key, verify_bundle

    key = None
    if public_key_arg:
        candidate = Path(public_key_arg)
        try:
            key = load_public_key(candidate.read_bytes() if candidate.is_file() else public_key_arg)
        except KeyError_ as exc:
            raise _refused(exc) from None
    result = verify_bundle(bundle, key)
    for line in result.lines():
        typer.echo(line)
    manifest = result.manifest
    if result.ok:
        typer.echo(
            f"bundle OK: {result.checked} files, signature by key {result.key_id} "
            f"({'given key' if result.key_source == 'given' else 'key inside the bundle: check it is the operator’s'}); "
            f"request {manifest.get('request_ref')}, {manifest.get('scope')}, created {manifest.get('created_at')}"
        )
        return
    typer.echo(
        f"bundle BROKEN: {len(result.altered)} altered, {len(result.missing)} missing, {len(result.extra)} extra"
    )
    raise typer.Exit(1)


@legal_app.command("authority-report")
def authority_report(
    case: Annotated[int, typer.Option(help="The case the report is made from.")],
    output: Annotated[Path | None, typer.Option(help="Also write it here (JSON).")] = None,
    database: DatabaseOption = None,
) -> None:
    """Make the report to the authorities (DSA art. 18; NCMEC / PHAROS fields) from a case; store it."""
    from causerie.bootstrap import offline_services
    from causerie.errors import CauserieError

    async def run() -> dict[str, Any]:
        async with offline_services(_settings(database)) as services:
            assert services.legal is not None
            return await services.legal.authority_report(None, case)

    try:
        report = asyncio.run(run())
    except CauserieError as exc:
        raise _refused(exc) from None
    text = json.dumps(report, ensure_ascii=False, indent=2)
    if output:
        output.write_text(text + "\n", encoding="utf-8")
        typer.echo(f"report #{report['id']} for case {case} written to {output}")
    else:
        typer.echo(text)
    if report.get("gaps"):
        console.print(f"[yellow]fill in before sending: {', '.join(report['gaps'])}[/yellow]")


@legal_app.command("exports")
def exports(database: DatabaseOption = None) -> None:
    """List the evidence bundles exported (who, what, which request, manifest hash)."""
    from causerie.bootstrap import offline_services
    from causerie.services.evidence import iso

    async def run() -> list[dict[str, Any]]:
        async with offline_services(_settings(database)) as services:
            assert services.legal is not None
            return await services.legal.exports(None)

    for row in asyncio.run(run()):
        typer.echo(
            f"#{row['id']} {iso(row['created_at'])} {row['scope']} ref={row['request_ref']!r} "
            f"files={row['files']} manifest={row['manifest_sha256']} by={row['actor_id'] or 'cli'}"
        )


@legal_app.command("flagger-add")
def flagger_add(
    name: Annotated[str, typer.Argument(help="The organisation (DSA art. 22 trusted flagger).")],
    email: Annotated[str | None, typer.Option(help="Its contact email.")] = None,
    database: DatabaseOption = None,
) -> None:
    """Register a trusted flagger; print its API key ONCE (only a hash is stored)."""
    from causerie.bootstrap import offline_services
    from causerie.errors import CauserieError

    async def run() -> tuple[int, str]:
        async with offline_services(_settings(database)) as services:
            assert services.legal is not None
            flagger, key = await services.legal.register_flagger(None, name, email)
            return flagger.id, key

    try:
        flagger_id, key = asyncio.run(run())
    except CauserieError as exc:
        raise _refused(exc) from None
    console.print(f"[green]trusted flagger #{flagger_id} registered; its key (shown once):[/green]")
    typer.echo(key)


@legal_app.command("flaggers")
def flaggers(database: DatabaseOption = None) -> None:
    """List trusted flaggers (active and revoked)."""
    from causerie.bootstrap import offline_services
    from causerie.services.evidence import iso

    async def run() -> list[Any]:
        async with offline_services(_settings(database)) as services:
            assert services.legal is not None
            return await services.legal.flaggers(None)

    for f in asyncio.run(run()):
        state = f"revoked {iso(f.revoked_at)}" if f.revoked_at else "active"
        typer.echo(f"#{f.id} {f.name} <{f.contact_email or '-'}> key ctf_{f.key_prefix}_… {state}")


@legal_app.command("flagger-revoke")
def flagger_revoke(flagger_id: Annotated[int, typer.Argument()], database: DatabaseOption = None) -> None:
    """Revoke a trusted flagger's key (its notices are then refused)."""
    from causerie.bootstrap import offline_services
    from causerie.errors import CauserieError

    async def run() -> str:
        async with offline_services(_settings(database)) as services:
            assert services.legal is not None
            return (await services.legal.revoke_flagger(None, flagger_id)).name

    try:
        name = asyncio.run(run())
    except CauserieError as exc:
        raise _refused(exc) from None
    typer.echo(f"revoked: #{flagger_id} {name}")


@transparency_app.command("export")
def transparency_export(
    date_from: FromOption,
    date_to: ToOption,
    output: Annotated[Path | None, typer.Option(help="Write the JSON lines here (default: standard output).")] = None,
    database: DatabaseOption = None,
) -> None:
    """Statements of reasons of the period as DSA Transparency Database records (JSON lines)."""
    from causerie.bootstrap import offline_services
    from causerie.services.legal import parse_date

    async def run() -> list[str]:
        async with offline_services(_settings(database)) as services:
            assert services.transparency is not None
            lines = await services.transparency.json_lines(parse_date(date_from), parse_date(date_to, end=True))
            return list(lines)

    lines = asyncio.run(run())
    text = "".join(line + "\n" for line in lines)
    if output:
        output.write_text(text, encoding="utf-8")
        console.print(f"{len(lines)} records written to {output}")
    else:
        sys.stdout.write(text)


@transparency_app.command("report")
def transparency_report(
    date_from: FromOption,
    date_to: ToOption,
    html: Annotated[Path | None, typer.Option("--html", help="Write the readable HTML page here.")] = None,
    json_file: Annotated[Path | None, typer.Option("--json", help="Write the figures (JSON) here.")] = None,
    database: DatabaseOption = None,
) -> None:
    """The figures of a DSA transparency report for the period (JSON on standard output by default)."""
    from causerie.bootstrap import offline_services
    from causerie.services.legal import parse_date
    from causerie.services.transparency import render_html

    async def run() -> dict[str, Any]:
        async with offline_services(_settings(database)) as services:
            assert services.transparency is not None
            return await services.transparency.report(parse_date(date_from), parse_date(date_to, end=True))

    report = asyncio.run(run())
    text = json.dumps(report, ensure_ascii=False, indent=2)
    if json_file:
        json_file.write_text(text + "\n", encoding="utf-8")
    if html:
        html.write_text(render_html(report), encoding="utf-8")
    if not json_file and not html:
        typer.echo(text)
    else:
        console.print("[green]transparency report written[/green]")
