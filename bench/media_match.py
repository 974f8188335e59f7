"""Benchmark of picture hash matching with a bank of one million PDQ hashes.

    .venv/bin/python bench/media_match.py [--hashes 1000000] [--queries 2000] [--pictures 200]
                                          [--with-db] [--compare-faiss] [--seed 1]

What it measures:
1. building the in-memory index (``causerie.media.index``) of ``--hashes`` random PDQ hashes (plus
   one MD5 per ten), its size and the process's resident memory before and after;
2. matching alone (``HashIndex.match``: MD5 lookup, PDQ radius search at the default threshold 31,
   and the mirror-image probe of a bank that asks for it, so two PDQ searches): per query
   p50/p99/p99.9/max, for queries that match nothing (the common case) and for near-duplicates of
   listed hashes (up to 31 bits flipped); every near-duplicate must be found and no random query may
   match; then one PDQ search alone, to compare with threatexchange's index;
3. hash + match, what an upload costs before it is stored: ``media.imaging.process`` (decode,
   orientation, PDQ with its mirror, re-encode without metadata, thumbnail) on ``--pictures``
   synthetic photographs (1024×768 JPEG, 1/f noise) followed by the match;
4. ``--with-db``: the same hashes imported into a fresh SQLite bank through
   ``HashBankService.import_file`` (what ``causerie media import-bank`` runs), then the index built
   from the database as a server does at start-up and on reload;
5. ``--compare-faiss``: the same build and queries through threatexchange's ``PDQIndex`` (faiss
   ``IndexBinaryMultiHash``), for the record.

Latencies are by the wall clock and by the CPU time of the thread (the latter leaves out time the
process spent descheduled, which dominates the tail on a busy shared machine; the load average is
printed with the figures).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import io
import os
import platform
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from causerie.clock import SystemClock
from causerie.config import Settings
from causerie.domain.media import DEFAULT_PDQ_THRESHOLD, HashKind, ImageHashes
from causerie.media.hashing import byte_hashes
from causerie.media.imaging import ImageLimits, configure, process
from causerie.media.index import BankMeta, IndexBuilder


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentiles(samples: list[float]) -> str:
    s = sorted(samples)
    pick = lambda q: s[min(len(s) - 1, int(q * len(s)))] * 1e6  # noqa: E731
    return f"p50 {pick(0.5):8.0f}  p99 {pick(0.99):8.0f}  p99.9 {pick(0.999):8.0f}  max {s[-1] * 1e6:8.0f}  µs"


def timed(fn: Callable[[], object], n: int) -> tuple[list[float], list[float]]:
    wall: list[float] = []
    cpu: list[float] = []
    gc.disable()
    try:
        for _ in range(n):
            w, c = time.perf_counter(), time.thread_time()
            fn()
            cpu.append(time.thread_time() - c)
            wall.append(time.perf_counter() - w)
    finally:
        gc.enable()
    return wall, cpu


def natural(rng: np.random.Generator, size: tuple[int, int] = (1024, 768)) -> Image.Image:
    """A synthetic photograph: three 1/f noise fields mixed into colours (see tests/media/images.py)."""
    w, h = size
    f = np.sqrt(np.fft.rfftfreq(w)[None, :] ** 2 + np.fft.fftfreq(h)[:, None] ** 2)
    f[0, 0] = 1.0
    noise = rng.standard_normal((2, 3, *f.shape))
    fields = np.fft.irfft2((noise[0] + 1j * noise[1]) / f, s=(h, w), axes=(-2, -1))
    fields = (fields - fields.mean(axis=(1, 2), keepdims=True)) / fields.std(axis=(1, 2), keepdims=True)
    mix = rng.normal(size=(3, 3)) * 0.5 + np.eye(3)
    pixels = np.tensordot(np.moveaxis(fields, 0, -1), mix, axes=1) * 40 + rng.uniform(80, 170, 3)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")


def flip_bits(code: bytes, bits: int, rng: np.random.Generator) -> str:
    arr = bytearray(code)
    for bit in rng.choice(256, bits, replace=False):
        arr[bit // 8] ^= 1 << (bit % 8)
    return bytes(arr).hex()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--hashes", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--pictures", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--with-db", action="store_true")
    parser.add_argument("--compare-faiss", action="store_true")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    print(
        f"# media_match: {args.hashes:,} PDQ hashes, Python {platform.python_version()}, numpy {np.__version__}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}"
    )

    codes = rng.integers(0, 256, (args.hashes, 32), dtype=np.uint8)
    md5s = rng.integers(0, 256, (args.hashes // 10, 16), dtype=np.uint8)
    hex_codes = [c.tobytes().hex() for c in codes]
    gc.collect()
    before = rss_mb()
    started = time.perf_counter()
    builder = IndexBuilder([BankMeta(1, "bench", DEFAULT_PDQ_THRESHOLD, True)])
    for h in hex_codes:
        builder.add(1, HashKind.PDQ, h)
    for m in md5s:
        builder.add(1, HashKind.MD5, m.tobytes().hex())
    collected = time.perf_counter() - started
    index = builder.build()
    del builder
    gc.collect()
    built = time.perf_counter() - started
    print(
        f"index: {index.pdq_count:,} PDQ + {index.md5_count:,} MD5 built in {built:.2f} s "
        f"({collected:.2f} s collecting hex rows, {built - collected:.2f} s building); "
        f"index arrays {index.nbytes / 2**20:.0f} MiB; RSS {before:.0f} → {rss_mb():.0f} MiB (+{rss_mb() - before:.0f})"
    )

    random_queries = [rng.integers(0, 256, 32, dtype=np.uint8).tobytes().hex() for _ in range(args.queries)]
    picks = rng.integers(0, args.hashes, args.queries)
    near = [flip_bits(codes[i].tobytes(), int(rng.integers(0, DEFAULT_PDQ_THRESHOLD + 1)), rng) for i in picks]
    found = sum(bool(index.match_pdq(q)) for q in near)
    false = sum(bool(index.match_pdq(q, q)) for q in random_queries)
    print(f"recall on near-duplicates (≤31 bits flipped): {found}/{len(near)}; random queries matching: {false}")
    assert found == len(near) and false == 0

    def query_stream(queries: list[str]) -> Callable[[], object]:
        it = iter(queries * 2)

        def one() -> object:
            q = next(it)
            return index.match(ImageHashes(sha256="", md5=q[:32], pdq=q, pdq_quality=100, pdq_mirror=q[::-1]))

        return one

    for label, queries in (("no match (random)", random_queries), ("near-duplicate", near)):
        wall, cpu = timed(query_stream(queries), len(queries))
        print(f"match, {label:18s} wall {percentiles(wall)}")
        print(f"match, {label:18s} cpu  {percentiles(cpu)}")
    it_single = iter(random_queries)
    wall, cpu = timed(lambda: index.match_pdq(next(it_single)), len(random_queries))
    print(f"one PDQ search alone (random)   cpu  {percentiles(cpu)}")

    limits = ImageLimits()
    configure(limits)
    uploads = []
    for _ in range(args.pictures):
        buf = io.BytesIO()
        natural(rng).save(buf, "JPEG", quality=90)
        uploads.append(buf.getvalue())
    it = iter(uploads)

    def upload() -> object:
        data = next(it)
        sha256, md5 = byte_hashes(data)
        out = process(data, limits, known=ImageHashes(sha256=sha256, md5=md5))
        return index.match(out.hashes)

    wall, cpu = timed(upload, len(uploads))
    size = sum(map(len, uploads)) / len(uploads) / 1024
    print(f"hash + match, 1024×768 JPEG ({size:.0f} KiB)  wall {percentiles(wall)}")
    print(f"hash + match, 1024×768 JPEG ({size:.0f} KiB)  cpu  {percentiles(cpu)}")
    print(f"peak RSS {peak_mb():.0f} MiB")

    if args.with_db:
        asyncio.run(with_db(hex_codes))
    if args.compare_faiss:
        compare_faiss(hex_codes, random_queries, near)


async def with_db(hex_codes: list[str]) -> None:
    from causerie.services.media import HashBankService
    from causerie.storage import migrate
    from causerie.storage.sql.media_store import SqlMediaRecords
    from causerie.storage.sql.store import SqlStore

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        await migrate.upgrade(url)
        store = SqlStore(url)
        try:
            banks = HashBankService(SqlMediaRecords(store), Settings(), SystemClock())
            path = Path(tmp) / "bank.csv"
            path.write_text("pdq\n" + "\n".join(hex_codes) + "\n")
            started = time.perf_counter()
            report = await banks.import_file("bench", path, batch=5000)
            imported = time.perf_counter() - started
            started = time.perf_counter()
            _fp, index = await banks.build_index()
            loaded = time.perf_counter() - started
            print(
                f"database (SQLite): import of {report.added:,} hashes {imported:.1f} s "
                f"({report.added / imported:,.0f}/s); index built from the database {loaded:.1f} s "
                f"({index.pdq_count:,} PDQ)"
            )
        finally:
            await store.close()


def compare_faiss(hex_codes: list[str], random_queries: list[str], near: list[str]) -> None:
    import faiss
    from threatexchange.signal_type.pdq.pdq_index import PDQIndex

    faiss.omp_set_num_threads(1)
    before = rss_mb()
    started = time.perf_counter()
    index = PDQIndex(entries=((h, i) for i, h in enumerate(hex_codes)))
    print(
        f"threatexchange PDQIndex (faiss IndexBinaryMultiHash): built in {time.perf_counter() - started:.1f} s, "
        f"RSS +{rss_mb() - before:.0f} MiB"
    )
    for label, queries in (("no match (random)", random_queries), ("near-duplicate", near)):
        it = iter(queries)
        wall, cpu = timed(lambda: index.query(next(it)), len(queries))  # noqa: B023
        print(f"  faiss match, {label:18s} wall {percentiles(wall)}")
        print(f"  faiss match, {label:18s} cpu  {percentiles(cpu)}")


if __name__ == "__main__":
    sys.exit(main())
