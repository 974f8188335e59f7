"""The in-memory index of the hash banks: exact MD5 lookup and PDQ search within a Hamming radius.

May import: stdlib, numpy, ``causerie.domain``.

PDQ search is multi-index hashing (Norouzi, Punjani and Fleet, "Fast search in Hamming space with
multi-index hashing", CVPR 2012), the technique behind faiss's ``IndexBinaryMultiHash`` that
threatexchange's ``PDQIndex`` wraps. A 256-bit hash is cut into 16 chunks of 16 bits; two hashes
within distance r agree to within ⌊r/16⌋ bits on at least one chunk (pigeonhole), so probing each
chunk's table at every key within ⌊r/16⌋ flips of the query's chunk finds **every** hash within r
(exact recall, no approximation); the candidates are then checked with a full popcount. For the
default radius 31 that is 16 × 17 = 272 table probes and, with one million random hashes, about
4,000 candidates to check.

We build the 16 tables with numpy (a counting sort per chunk: one ``argsort`` and one ``bincount``)
rather than through threatexchange's ``PDQIndex`` (faiss ``IndexBinaryMultiHash``): measured on one
million hashes on this project's machine, that index took 21 s to build and 634 MiB, and searched in
1.6 ms (median CPU time, one thread); this one builds in 1-4 s, takes 114 MiB and searches in
0.5 ms (``bench/media_match.py``, docs/performance.md). Below ``LINEAR_BELOW`` hashes a plain
vectorised scan is faster than the tables and needs no memory of its own.

An index is immutable: a reload builds a new one and swaps the reference, so a query never sees a
half-built index.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from causerie.domain.media import MAX_PDQ_THRESHOLD, BankHit, HashKind, ImageHashes

CHUNKS = 16
CHUNK_BITS = 16
LINEAR_BELOW = 20_000
_FLIPS: dict[int, np.ndarray] = {}


def _flip_masks(nflip: int) -> np.ndarray:
    """Every 16-bit mask with at most ``nflip`` bits set."""
    masks = _FLIPS.get(nflip)
    if masks is None:
        values = [0]
        for k in range(1, nflip + 1):
            for bits in combinations(range(CHUNK_BITS), k):
                values.append(sum(1 << b for b in bits))
        masks = _FLIPS[nflip] = np.array(values, dtype=np.int64)
    return masks


class PdqMultiIndex:
    """Exact radius search over 256-bit codes ((n, 32) uint8)."""

    def __init__(self, codes: np.ndarray) -> None:
        codes = np.ascontiguousarray(codes, dtype=np.uint8).reshape(-1, 32)
        self.size = n = int(codes.shape[0])
        self._codes = codes
        self._words = codes.view(np.uint64).reshape(n, 4)
        self._tables = n >= LINEAR_BELOW
        if not self._tables:
            return
        chunks = codes.view(np.uint16).reshape(n, CHUNKS)
        ids = np.empty((CHUNKS, n), dtype=np.uint32)
        offsets = np.empty((CHUNKS, 65537), dtype=np.int64)
        for c in range(CHUNKS):
            column = chunks[:, c]
            ids[c] = np.argsort(column, kind="stable")
            offsets[c, 0] = 0
            np.cumsum(np.bincount(column, minlength=65536), out=offsets[c, 1:])
        offsets += (np.arange(CHUNKS, dtype=np.int64) * n)[:, None]  # into the flattened id table
        self._ids = ids.reshape(-1)
        self._offsets = offsets.reshape(-1)
        self._row_base = (np.arange(CHUNKS, dtype=np.int64) * 65537)[:, None]

    @property
    def nbytes(self) -> int:
        total = self._codes.nbytes
        if self._tables:
            total += self._ids.nbytes + self._offsets.nbytes
        return total

    def code_hex(self, row: int) -> str:
        return str(self._codes[row].tobytes().hex())

    def search(self, code: bytes, radius: int) -> tuple[np.ndarray, np.ndarray]:
        """(rows, distances) of every code within ``radius`` bits (rows may repeat once per chunk hit)."""
        if self.size == 0:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        query = np.frombuffer(code, dtype=np.uint8)
        q_words = query.view(np.uint64)
        if not self._tables:
            distances = np.bitwise_count(self._words ^ q_words).sum(axis=1, dtype=np.int64)
            rows = np.flatnonzero(distances <= radius)
            return rows, distances[rows]
        masks = _flip_masks(radius // CHUNKS)
        keys = query.view(np.uint16).astype(np.int64)[:, None] ^ masks[None, :]
        slots = (keys + self._row_base).reshape(-1)
        starts = self._offsets[slots]
        lengths = self._offsets[slots + 1] - starts
        ends = np.cumsum(lengths)
        total = int(ends[-1])
        if total == 0:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        positions = np.repeat(starts - (ends - lengths), lengths) + np.arange(total, dtype=np.int64)
        candidates = self._ids[positions].astype(np.int64)
        distances = np.bitwise_count(self._words[candidates] ^ q_words).sum(axis=1, dtype=np.int64)
        keep = np.flatnonzero(distances <= radius)
        rows, first = np.unique(candidates[keep], return_index=True)
        return rows, distances[keep][first]


@dataclass(frozen=True, slots=True)
class BankMeta:
    id: int
    name: str
    pdq_threshold: int
    match_mirrored: bool = False


class IndexBuilder:
    """Collects bank entries (streamed from the database), then builds a ``HashIndex``."""

    def __init__(self, banks: Iterable[BankMeta]) -> None:
        self.banks = {b.id: b for b in banks}
        self._md5 = bytearray()
        self._md5_bank: list[int] = []
        self._pdq = bytearray()
        self._pdq_bank: list[int] = []

    def add(self, bank_id: int, kind: HashKind, value: str) -> None:
        if bank_id not in self.banks:
            return
        if kind is HashKind.MD5:
            self._md5 += bytes.fromhex(value)
            self._md5_bank.append(bank_id)
        else:
            self._pdq += bytes.fromhex(value)
            self._pdq_bank.append(bank_id)

    def build(self) -> HashIndex:
        md5 = np.frombuffer(bytes(self._md5), dtype=np.uint8).reshape(-1, 16)
        pdq = np.frombuffer(bytes(self._pdq), dtype=np.uint8).reshape(-1, 32)
        return HashIndex(
            self.banks,
            md5,
            np.array(self._md5_bank, dtype=np.int32),
            pdq,
            np.array(self._pdq_bank, dtype=np.int32),
        )


class HashIndex:
    """Every enabled bank's hashes. ``match`` answers which banks an upload's hashes hit."""

    def __init__(
        self,
        banks: Mapping[int, BankMeta],
        md5: np.ndarray,
        md5_bank: np.ndarray,
        pdq: np.ndarray,
        pdq_bank: np.ndarray,
    ) -> None:
        self.banks = dict(banks)
        # MD5: sorted by (high, low) 64-bit halves, looked up with two binary searches
        halves = np.ascontiguousarray(md5, dtype=np.uint8).view(">u8").reshape(-1, 2).astype(np.uint64)
        order = np.lexsort((halves[:, 1], halves[:, 0]))
        self._md5_hi = np.ascontiguousarray(halves[order, 0])
        self._md5_lo = np.ascontiguousarray(halves[order, 1])
        self._md5_bank = md5_bank[order]
        self._pdq = PdqMultiIndex(pdq)
        self._pdq_bank = np.ascontiguousarray(pdq_bank, dtype=np.int32)
        thresholds = [min(b.pdq_threshold, MAX_PDQ_THRESHOLD) for b in self.banks.values()]
        mirrored = [min(b.pdq_threshold, MAX_PDQ_THRESHOLD) for b in self.banks.values() if b.match_mirrored]
        self._radius = max(thresholds, default=0)
        self._mirror_radius = max(mirrored, default=-1)
        self._threshold = np.zeros(max(self.banks, default=0) + 1, dtype=np.int64)
        self._mirrors = np.zeros(max(self.banks, default=0) + 1, dtype=bool)
        for b in self.banks.values():
            self._threshold[b.id] = min(b.pdq_threshold, MAX_PDQ_THRESHOLD)
            self._mirrors[b.id] = b.match_mirrored

    @classmethod
    def empty(cls) -> HashIndex:
        return IndexBuilder(()).build()

    @property
    def md5_count(self) -> int:
        return int(self._md5_hi.size)

    @property
    def pdq_count(self) -> int:
        return self._pdq.size

    @property
    def nbytes(self) -> int:
        return int(
            self._md5_hi.nbytes + self._md5_lo.nbytes + self._md5_bank.nbytes + self._pdq.nbytes + self._pdq_bank.nbytes
        )

    def match(self, hashes: ImageHashes, *, pdq: bool = True) -> list[BankHit]:
        hits = self.match_md5(hashes.md5)
        if pdq and hashes.pdq_usable:
            assert hashes.pdq is not None
            hits += self.match_pdq(hashes.pdq, hashes.pdq_mirror)
        return hits

    def match_md5(self, md5: str) -> list[BankHit]:
        if self._md5_hi.size == 0:
            return []
        raw = bytes.fromhex(md5)
        hi = np.uint64(int.from_bytes(raw[:8], "big"))
        lo = np.uint64(int.from_bytes(raw[8:], "big"))
        start = int(np.searchsorted(self._md5_hi, hi, side="left"))
        end = int(np.searchsorted(self._md5_hi, hi, side="right"))
        hits: dict[int, BankHit] = {}
        for i in range(start, end):
            if self._md5_lo[i] == lo:
                bank = self.banks[int(self._md5_bank[i])]
                hits[bank.id] = BankHit(bank.id, bank.name, HashKind.MD5, md5, 0, 0)
        return list(hits.values())

    def match_pdq(self, pdq: str, mirror: str | None = None) -> list[BankHit]:
        best: dict[int, BankHit] = {}
        probes: list[tuple[str, int, bool]] = [(pdq, self._radius, False)]
        if mirror is not None and self._mirror_radius >= 0:
            probes.append((mirror, self._mirror_radius, True))
        for code, radius, mirrored in probes:
            if self._pdq.size == 0:
                break
            rows, distances = self._pdq.search(bytes.fromhex(code), radius)
            if rows.size == 0:
                continue
            banks = self._pdq_bank[rows]
            ok = distances <= self._threshold[banks]
            if mirrored:
                ok &= self._mirrors[banks]
            for row, distance, bank_id in zip(
                rows[ok].tolist(), distances[ok].tolist(), banks[ok].tolist(), strict=True
            ):
                bank = self.banks[bank_id]
                current = best.get(bank_id)
                if current is None or distance < current.distance:
                    best[bank_id] = BankHit(
                        bank_id,
                        bank.name,
                        HashKind.PDQ,
                        self._pdq.code_hex(row),
                        int(distance),
                        bank.pdq_threshold,
                        mirrored,
                    )
        return list(best.values())
