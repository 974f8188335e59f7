"""Hash banks: file formats, idempotent and resumable imports, removal, and the index built from them."""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from causerie.clock import FakeClock
from causerie.config import Settings
from causerie.domain.media import HashKind, ImageHashes
from causerie.media.bankfiles import read_bank_file
from causerie.services.media import HashBankService
from causerie.storage import migrate
from causerie.storage.sql.media_store import SqlMediaRecords
from causerie.storage.sql.store import SqlStore
from support.require import POSTGRES_URL, require_postgres


def pdq(i: int) -> str:
    return f"{random.Random(i).getrandbits(256):064x}"


def md5(i: int) -> str:
    return f"{random.Random(-i).getrandbits(128):032x}"


@pytest.fixture(params=["sqlite", "postgresql"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SqlStore]:
    """The media tables on SQLite, and on PostgreSQL in a schema of their own (dropped afterwards)."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path}/banks.db"
        await migrate.upgrade(url)
        opened = SqlStore(url)
        try:
            yield opened
        finally:
            await opened.close()
        return
    require_postgres()
    schema = f"m_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(POSTGRES_URL)
    async with admin.begin() as conn:
        await conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    args = {"server_settings": {"search_path": schema}}
    try:
        await migrate.upgrade(POSTGRES_URL, connect_args=args)
        opened = SqlStore(POSTGRES_URL, connect_args=args)
        try:
            yield opened
        finally:
            await opened.close()
    finally:
        async with admin.begin() as conn:
            await conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


@pytest.fixture
def banks(store: SqlStore) -> HashBankService:
    return HashBankService(SqlMediaRecords(store), Settings(), FakeClock())


@pytest.fixture
async def sqlite_banks(tmp_path: Path) -> AsyncIterator[HashBankService]:
    url = f"sqlite+aiosqlite:///{tmp_path}/banks.db"
    await migrate.upgrade(url)
    opened = SqlStore(url)
    try:
        yield HashBankService(SqlMediaRecords(opened), Settings(), FakeClock())
    finally:
        await opened.close()


def test_the_file_formats(tmp_path: Path) -> None:
    files = {
        "header.csv": f"id,md5,pdq,label\n1,{md5(1)},{pdq(1)},x\n2,,{pdq(2)},y\n",
        "typed.csv": f"signal_type;signal\npdq;{pdq(3)}\nvideo_md5;{md5(3).upper()}\nnope;{pdq(4)}\n",
        "bare.txt": f"# a comment\n\n{pdq(5)}\n{md5(5)}\nnot-a-hash\n{'0' * 64}\n",
        "signals.txt": f"pdq {pdq(6)}\nvideo_md5 {md5(6)}\n",  # threatexchange LocalFileSignalExchangeAPI
        "simple.HASH_PDQ.te": f"{pdq(7)},100,2021-01-01,,\n",  # threatexchange CLI dataset file
    }
    found: dict[str, list[tuple[str | None, str | None, bool]]] = {}
    for name, text in files.items():
        path = tmp_path / name
        path.write_text(text)
        found[name] = [(r.kind.value if r.kind else None, r.value, r.error is None) for r in read_bank_file(path)]
    assert found["header.csv"] == [("md5", md5(1), True), ("pdq", pdq(1), True), ("pdq", pdq(2), True)]
    assert found["typed.csv"] == [("pdq", pdq(3), True), ("md5", md5(3), True), (None, None, False)]
    assert found["bare.txt"] == [("pdq", pdq(5), True), ("md5", md5(5), True), (None, None, False), (None, None, False)]
    assert found["signals.txt"] == [("pdq", pdq(6), True), ("md5", md5(6), True)]
    assert found["simple.HASH_PDQ.te"] == [("pdq", pdq(7), True)]


async def test_import_is_idempotent(banks: HashBankService, tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text("hash\n" + "".join(f"{pdq(i)}\n{md5(i)}\n" for i in range(300)) + f"{pdq(1)}\n")
    first = await banks.import_file("ncmec-test", path, batch=64)
    assert (first.added, first.bank.pdq_count, first.bank.md5_count) == (600, 300, 300)
    again = await banks.import_file("ncmec-test", path)
    assert again.already_done and again.added == 0
    # the same hashes in another file (another digest) add nothing either
    other = tmp_path / "other.txt"
    other.write_text("".join(f"{pdq(i)}\n" for i in range(300)))
    assert (await banks.import_file("ncmec-test", other)).added == 0
    bank = await banks.get("ncmec-test")
    assert (bank.pdq_count, bank.md5_count, bank.pdq_threshold) == (300, 300, 31)
    _fingerprint, index = await banks.build_index()  # streamed from the database
    assert (index.pdq_count, index.md5_count) == (300, 300)
    assert [h.bank_name for h in index.match_md5(md5(7))] == ["ncmec-test"]


async def test_an_interrupted_import_resumes_after_its_last_batch(
    sqlite_banks: HashBankService, tmp_path: Path
) -> None:
    path = tmp_path / "big.csv"
    path.write_text("".join(f"{pdq(i)}\n" for i in range(1000)))

    def crash_at_line_650(row: object, added: int, invalid: int) -> None:
        if getattr(row, "line", 0) == 650:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        await sqlite_banks.import_file("partial", path, batch=100, progress=crash_at_line_650)
    assert (await sqlite_banks.get("partial")).pdq_count == 600  # six batches committed
    report = await sqlite_banks.import_file("partial", path, batch=100)
    assert report.resumed_from == 600 and report.added == 400 and report.bank.pdq_count == 1000


async def test_bank_settings_removal_and_the_index(sqlite_banks: HashBankService, tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text(f"{pdq(1)}\n{md5(1)}\n")
    await sqlite_banks.import_file("alpha", path, pdq_threshold=10, match_mirrored=True, description="test list")
    bank = await sqlite_banks.get("alpha")
    assert (bank.pdq_threshold, bank.match_mirrored, bank.description) == (10, True, "test list")
    before = await sqlite_banks.fingerprint()
    _fp, index = await sqlite_banks.build_index()
    near = f"{int(pdq(1), 16) ^ 0b111:064x}"  # 3 bits away
    far = f"{int(pdq(1), 16) ^ (2**12 - 1):064x}"  # 12 bits away: over this bank's threshold
    assert [h.distance for h in index.match_pdq(near)] == [3]
    assert index.match_pdq(far) == []
    assert [h.kind for h in index.match(ImageHashes(sha256="", md5=md5(1)))] == [HashKind.MD5]
    await sqlite_banks.save("alpha", pdq_threshold=20)
    assert await sqlite_banks.fingerprint() != before
    _fp, index = await sqlite_banks.build_index()
    assert [h.distance for h in index.match_pdq(far)] == [12]
    await sqlite_banks.save("alpha", enabled=False)
    _fp, index = await sqlite_banks.build_index()
    assert index.pdq_count == 0
    assert await sqlite_banks.remove("alpha")
    assert not await sqlite_banks.remove("alpha")
    assert await sqlite_banks.all() == []


async def test_bad_bank_names_and_thresholds_are_refused(sqlite_banks: HashBankService) -> None:
    from causerie.errors import CauserieError

    for name, threshold in (("Bad Name!", None), ("ok", 64), ("ok", -1)):
        with pytest.raises(CauserieError):
            await sqlite_banks.save(name, pdq_threshold=threshold)


async def test_a_match_is_recorded_in_one_go(store: SqlStore) -> None:
    """Quarantine row, one row per hit, restriction, legal holds and bundle; then the case id."""
    from causerie.domain.entities import AccountKind
    from causerie.domain.media import BankHit, QuarantineRecord, RestrictionKind, UploadMeta, report_bundle
    from causerie.ids import AccountId

    account = await store.create_account(
        kind=AccountKind.GUEST,
        nickname="Suspect",
        nick_skel="suspect",
        age=30,
        gender="m",
        region="75",
        lang="fr",
        created_at=1.0,
        expires_at=None,
    )
    records = SqlMediaRecords(store)
    hashes = ImageHashes(sha256="a" * 64, md5="b" * 32, pdq=pdq(9), pdq_quality=100)
    hits = [
        BankHit(1, "one", HashKind.PDQ, pdq(9), 12, 31),
        BankHit(2, "two", HashKind.MD5, "b" * 32, 0, 0),
    ]
    quarantine = QuarantineRecord("q" * 22, account.id, "a" * 64, "b" * 32, 1234, "image/jpeg", "x.jpg", 5.0)
    meta = UploadMeta(ip="203.0.113.9", port=51234, user_agent="test")
    bundle = report_bundle(
        hits=hits,
        hashes=hashes,
        meta=meta,
        quarantine=quarantine,
        account={"account_id": int(account.id)},
        detected_at=5.0,
        detected_format="JPEG",
        service="causerie",
    )
    assert not await records.is_restricted(account.id, RestrictionKind.MEDIA_UPLOAD)
    match = await records.record_match(
        account_id=account.id, quarantine=quarantine, hits=hits, hashes=hashes, meta=meta, bundle=bundle, now=5.0
    )
    assert (match.bank_name, match.kind, match.distance) == ("two", HashKind.MD5, 0)  # MD5 is the best hit
    assert await records.is_restricted(account.id, RestrictionKind.MEDIA_UPLOAD)
    assert await records.legal_holds("account", str(int(account.id))) == 1
    assert await records.legal_holds("quarantine", quarantine.id) == 1
    await records.set_match_case(quarantine.id, 77)
    await records.mark_quarantine_viewed(quarantine.id)
    listed = await records.matches(10, AccountId(account.id))
    assert {m.bank_name for m in listed} == {"one", "two"} and {m.case_id for m in listed} == {77}
    assert all(m.ip == "203.0.113.9" and m.port == 51234 for m in listed)
    (row,) = await records.bundles("ready", 10)
    assert row.payload["case_id"] == 77 and row.payload["file"]["viewed_by_staff"] is True
    assert row.payload["match_id"] == match.id and row.payload["incident"]["detection"]["best"]["bank"] == "two"
    assert (await records.get_quarantine(quarantine.id)) == quarantine


async def test_a_message_keeps_its_picture(store: SqlStore) -> None:
    """``messages.media`` round-trips on both databases; a message without a picture stores NULL."""
    from causerie.domain.entities import AccountKind, NewMessage, RoomCategory, RoomKind
    from causerie.domain.media import MediaRef

    author = await store.create_account(
        kind=AccountKind.GUEST,
        nickname="Peintre",
        nick_skel="peintre",
        age=30,
        gender="f",
        region="75",
        lang="fr",
        created_at=1.0,
        expires_at=None,
    )
    room = await store.create_room(
        slug="galerie",
        name="Galerie",
        name_skel="galerie",
        category=RoomCategory.TOPIC,
        kind=RoomKind.PUBLIC,
        topic="",
        min_age=18,
        max_age=None,
        owner_id=None,
        position=1,
        created_at=1.0,
    )
    picture = MediaRef("Zm9vYmFyYmF6cXV4cXV1eA", 800, 600)
    await store.insert_messages(
        [
            NewMessage(room_id=room.id, author_id=author.id, client_id="a", text="", created_at=2.0, media=picture),
            NewMessage(room_id=room.id, author_id=author.id, client_id="b", text="hello", created_at=3.0),
        ]
    )
    views, _more = await store.messages_before(room.id, None, 10)
    assert [v.media for v in views] == [picture, None]
    async with store._ro() as conn:
        nulls = (await conn.execute(sa.text("SELECT count(*) FROM messages WHERE media IS NULL"))).scalar_one()
    assert nulls == 1
