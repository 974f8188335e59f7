"""Evidence exports for the authorities: a bundle round-trips through ``verify`` (in process and
with ``causerie legal verify``), and altering one byte of a file or of the manifest, removing a
file or adding one is detected and named. Exports are audited."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from causerie.errors import CauserieError, ErrorCode
from causerie.services.evidence import load_public_key, verify_bundle
from causerie.services.legal import ExportRequest
from legal.conftest import Make, World

DAY = 86400.0


def rewrite(data: bytes, change: dict[str, bytes | None]) -> bytes:
    """The same zip with some entries replaced (bytes), removed (None) or added."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            if info.filename in change:
                if change[info.filename] is not None:
                    dst.writestr(info.filename, change[info.filename])  # type: ignore[arg-type]
                continue
            dst.writestr(info, src.read(info.filename))
        for name, value in change.items():
            if name not in src.namelist() and value is not None:
                dst.writestr(name, value)
    return out.getvalue()


def flip(data: bytes, at: int = 0) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


async def scenario(w: World) -> tuple[bytes, str]:
    """A suspect who writes in a room and to someone privately, is reported and acted on; an export."""
    suspect, victim, bystander = await w.guest(), await w.guest(ip="198.51.100.20"), await w.guest()
    room = await w.room(bystander)
    await w.say(bystander, room, "bonjour à tous")
    ack = await w.say(suspect, room, "message du suspect")
    await w.say(bystander, room, "réponse")
    await w.dm(suspect, victim, "message privé du suspect")
    await w.dm(victim, suspect, "réponse privée")
    await w.report(victim, "harassment_hate", message_id=ack.id)
    result = await w.legal.export(
        w.admin,
        ExportRequest("account", suspect.nickname, w.clock.now() - DAY, w.clock.now() + DAY, "PV 2026/123 OPJ Lyon"),
    )
    return result.data, suspect.nickname


async def test_an_export_round_trips_through_verify(world: World) -> None:
    data, suspect = await scenario(world)
    key = load_public_key(world.public_pem)
    result = verify_bundle(data, key)
    assert result.ok, result.lines()
    assert result.key_source == "given" and result.signature_ok
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = set(zf.namelist())
        manifest = json.loads(zf.read("manifest.json"))
        messages = json.loads(zf.read("messages.json"))
        accounts = json.loads(zf.read("accounts.json"))
        connections = json.loads(zf.read("connection_records.json"))
        reports = json.loads(zf.read("reports.json"))
    assert {"manifest.json", "manifest.sig", "public_key.pem", "accounts.json", "messages.json"} <= names
    assert {f["path"] for f in manifest["files"]} == names - {"manifest.json", "manifest.sig"}
    assert manifest["request_ref"] == "PV 2026/123 OPJ Lyon"
    assert [a["nickname"] for a in accounts] == [suspect]
    assert "password_hash" not in accounts[0]
    texts = {m["text"] for m in messages}
    # own messages, the whole private conversation, and the room context around the suspect's message
    assert {"message du suspect", "message privé du suspect", "réponse privée", "bonjour à tous", "réponse"} <= texts
    assert connections and connections[0]["ip"] == "203.0.113.5" and connections[0]["port"] == 40000
    assert connections[0]["created_at_utc"].endswith("+00:00")
    assert reports[0]["source"] == "user"
    # the audit trail says who exported what, for which request
    entries = await world.s.audit.entries(0, 1000)
    export = [e for e in entries if e.action == "legal_export"]
    assert len(export) == 1 and export[0].actor_id == world.admin.id
    assert export[0].reason == "PV 2026/123 OPJ Lyon" and export[0].target.startswith("account:")
    assert (await world.s.audit.verify()).ok


@pytest.mark.parametrize("target", ["messages.json", "accounts.json", "public_key.pem"])
async def test_one_altered_byte_in_a_file_is_named(world: World, target: str) -> None:
    data, _ = await scenario(world)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        original = zf.read(target)
    result = verify_bundle(
        rewrite(data, {target: flip(original, len(original) // 2)}), load_public_key(world.public_pem)
    )
    assert not result.ok
    assert result.altered == [target]
    assert result.missing == [] and result.extra == []


async def test_an_altered_manifest_or_signature_is_detected(world: World) -> None:
    data, _ = await scenario(world)
    key = load_public_key(world.public_pem)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        manifest = zf.read("manifest.json")
        signature = zf.read("manifest.sig")
    # one byte of the manifest (inside the request reference: still valid JSON)
    at = manifest.index(b"PV 2026") + 3
    broken = verify_bundle(rewrite(data, {"manifest.json": flip(manifest, at)}), key)
    assert not broken.ok and not broken.signature_ok and "manifest.json" in broken.altered
    # a manifest rewritten to match a tampered file still fails: the signature covers it
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        messages = zf.read("messages.json").replace(b"message du suspect", b"message innocent!!")
    listing = json.loads(manifest)
    import hashlib

    for entry in listing["files"]:
        if entry["path"] == "messages.json":
            entry["sha256"] = hashlib.sha256(messages).hexdigest()
            entry["bytes"] = len(messages)
    forged = rewrite(data, {"messages.json": messages, "manifest.json": json.dumps(listing).encode()})
    result = verify_bundle(forged, key)
    assert not result.ok and not result.signature_ok and result.altered == ["manifest.json"]
    # a signature by another key (the bundle's own public key swapped too) fails against the operator's key
    other = verify_bundle(rewrite(data, {"manifest.sig": flip(signature, 5)}), key)
    assert not other.ok and not other.signature_ok


async def test_a_removed_or_added_file_is_named(world: World) -> None:
    data, _ = await scenario(world)
    key = load_public_key(world.public_pem)
    removed = verify_bundle(rewrite(data, {"reports.json": None}), key)
    assert not removed.ok and removed.missing == ["reports.json"] and removed.altered == []
    added = verify_bundle(rewrite(data, {"note.txt": b"ajout"}), key)
    assert not added.ok and added.extra == ["note.txt"] and added.altered == [] and added.missing == []
    no_sig = verify_bundle(rewrite(data, {"manifest.sig": None}), key)
    assert not no_sig.ok and no_sig.missing == ["manifest.sig"]


async def test_cli_verify_exits_non_zero_and_names_the_file(world: World, tmp_path: Path) -> None:
    data, _ = await scenario(world)
    good, bad, pem = tmp_path / "good.zip", tmp_path / "bad.zip", tmp_path / "operator.pem"
    good.write_bytes(data)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        original = zf.read("statements.json")
    bad.write_bytes(rewrite(data, {"statements.json": flip(original, 1)}))
    pem.write_bytes(world.public_pem)
    env = {**os.environ, "CAUSERIE_CONFIG": str(tmp_path / "none.toml")}

    def run(path: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "causerie", "legal", "verify", str(path), "--public-key", str(pem)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    ok = run(good)
    assert ok.returncode == 0 and "bundle OK" in ok.stdout, ok.stdout + ok.stderr
    broken = run(bad)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "altered: statements.json" in broken.stdout


async def test_exports_are_for_administrators_with_a_request_reference(world: World) -> None:
    someone = await world.guest()
    req = ExportRequest("account", someone.nickname, 0, world.clock.now(), "réf. 1")
    with pytest.raises(CauserieError) as info:
        await world.legal.export(someone, req)
    assert info.value.code is ErrorCode.FORBIDDEN
    with pytest.raises(CauserieError) as info:
        await world.legal.export(world.admin, ExportRequest("account", someone.nickname, 0, 1e10, "  "))
    assert info.value.code is ErrorCode.BAD_REQUEST


async def test_without_a_signing_key_nothing_is_exported(make: Make) -> None:
    w = await make(legal_signing_key=None)
    someone = await w.guest()
    with pytest.raises(CauserieError) as info:
        await w.legal.export(w.admin, ExportRequest("account", someone.nickname, 0, 1e10, "réf."))
    assert info.value.code is ErrorCode.SIGNING_KEY_MISSING
    assert not [e for e in await w.s.audit.entries(0, 1000) if e.action == "legal_export"]


@pytest.mark.postgres
async def test_an_export_round_trips_on_postgresql(make: Make) -> None:
    w = await make(backend="postgresql")
    data, suspect = await scenario(w)
    result = verify_bundle(data, load_public_key(w.public_pem))
    assert result.ok, result.lines()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert [a["nickname"] for a in json.loads(zf.read("accounts.json"))] == [suspect]
        assert "message privé du suspect" in zf.read("messages.json").decode()


async def test_pictures_are_included_and_quarantined_files_only_when_the_request_allows(world: World) -> None:
    import hashlib

    from causerie.domain.media import HashKind, UploadMeta
    from media.images import encode, natural

    media = world.s.media
    assert media is not None
    await media.reload_index()  # what the server does at start-up
    suspect = await world.guest()
    shown = encode(natural(1, (320, 240)))
    record = await media.upload(suspect, shown, UploadMeta(ip="203.0.113.5", port=40000))
    forbidden = encode(natural(2, (320, 240)))
    await media.banks.save("test-bank")
    await media.banks.add_hash("test-bank", HashKind.MD5, hashlib.md5(forbidden).hexdigest())
    await media.reload_index()
    with pytest.raises(CauserieError):
        await media.upload(suspect, forbidden, UploadMeta(ip="203.0.113.5", port=40001, filename="x.jpg"))
    key = load_public_key(world.public_pem)
    span = (world.clock.now() - DAY, world.clock.now() + DAY)
    plain = await world.legal.export(world.admin, ExportRequest("account", suspect.nickname, *span, "réf. photos"))
    allowed = await world.legal.export(
        world.admin, ExportRequest("account", suspect.nickname, *span, "réf. quarantaine", include_quarantine=True)
    )
    for bundle in (plain, allowed):
        assert verify_bundle(bundle.data, key).ok
    with zipfile.ZipFile(io.BytesIO(plain.data)) as zf:
        names = zf.namelist()
        [quarantined] = json.loads(zf.read("quarantine.json"))
        assert json.loads(zf.read("hash_matches.json"))[0]["bank_name"] == "test-bank"
        picture = next(n for n in names if n.startswith(f"pictures/{record.id}.") and ".thumb" not in n)
        assert hashlib.sha256(zf.read(picture)).hexdigest() == record.sha256
    assert not [n for n in names if n.startswith("quarantine/")]
    with zipfile.ZipFile(io.BytesIO(allowed.data)) as zf:
        assert zf.read(f"quarantine/{quarantined['id']}.bin") == forbidden  # decrypted, byte for byte
