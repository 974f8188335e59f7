"""Readers of hash-list files: CSV, threatexchange's signal files and its CLI dataset files.

May import: stdlib, threatexchange, ``causerie.domain``.

Accepted, one hash per row (blank lines and lines starting with ``#`` are skipped):

* **CSV with a header** (``,``, ``;`` or tab): a column ``md5`` and/or ``pdq``, or a hash column
  (``hash``, ``signal``, ``value``, ``indicator``) with a type column (``type``, ``signal_type``,
  ``kind``, ``hash_type``, ``indicator_type``). Other columns are ignored.
* **CSV or text without a header**: the first cell is the hash, its kind told by its length (32 hex
  characters: MD5, 64: PDQ), or two cells ``type,hash`` / ``hash,type``.
* **threatexchange signal files** (read by its ``LocalFileSignalExchangeAPI``): ``<signal_type>
  <signal>`` per line, e.g. ``pdq f8f8f0ce…`` or ``video_md5 d41d8c…``.
* **threatexchange CLI dataset files** ``simple.<INDICATOR_TYPE>.te`` (e.g. ``simple.HASH_PDQ.te``):
  CSV rows whose first cell is the hash, the type coming from the file name.

Type names: ``md5``, ``photo_md5``, ``video_md5``, ``HASH_MD5``, ``pdq``, ``HASH_PDQ`` (any case).
PDQ hashes are validated with threatexchange's ``PdqSignal.validate_signal_str`` and MD5 with its
``VideoMD5Signal`` rules (the same as ours: 32 hex characters).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from threatexchange.signal_type.pdq.signal import PdqSignal

from causerie.domain.media import HashKind, guess_kind, kind_from_name, normalize_hash

HASH_COLUMNS = ("hash", "signal", "value", "indicator", "signal_value")
TYPE_COLUMNS = ("type", "signal_type", "kind", "hash_type", "indicator_type")
_TE_NAME = re.compile(r"^simple\.([^.]+)\.te$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class BankRow:
    """One data row: its number (1-based, counting every line), where the next line starts, and the
    hash found (``kind``/``value`` are None for an invalid row, with ``error`` saying why)."""

    line: int
    offset: int
    kind: HashKind | None = None
    value: str | None = None
    error: str | None = None


def _validated(kind: HashKind, text: str) -> str:
    value = normalize_hash(kind, text)
    if kind is HashKind.PDQ:
        PdqSignal.validate_signal_str(value)
    return value


def _row(line: int, offset: int, kind: HashKind | None, text: str) -> BankRow:
    kind = kind or guess_kind(text)
    if kind is None:
        return BankRow(line, offset, error=f"not an MD5 or PDQ hash: {text[:80]!r}")
    try:
        return BankRow(line, offset, kind, _validated(kind, text))
    except ValueError as exc:
        return BankRow(line, offset, error=str(exc))


def _split(line: str) -> list[str]:
    for delimiter in (",", "\t", ";"):
        if delimiter in line:
            return [c.strip() for c in next(csv.reader([line], delimiter=delimiter))]
    return line.split()


def _is_header(cells: list[str]) -> bool:
    lowered = [c.strip().lower() for c in cells]
    if any(guess_kind(c) for c in lowered):
        return False
    return any(c in HASH_COLUMNS or c in TYPE_COLUMNS or kind_from_name(c) for c in lowered)


def read_bank_file(path: Path, default_kind: HashKind | None = None) -> Iterator[BankRow]:
    """Every data row of a hash-list file, in order (invalid rows included, with their error)."""
    te = _TE_NAME.match(path.name)
    fixed = kind_from_name(te.group(1)) if te else default_kind
    header: list[str] | None = None
    offset = 0
    with path.open("rb") as f:
        for number, raw in enumerate(f, start=1):
            offset += len(raw)
            line = raw.decode("utf-8", errors="replace").strip().lstrip("\ufeff")
            if not line or line.startswith("#"):
                continue
            cells = _split(line)
            if te:
                yield _row(number, offset, fixed, cells[0])
                continue
            if header is None and _is_header(cells):
                header = [c.strip().lower() for c in cells]
                continue
            if header is not None:
                yield from _header_rows(number, offset, header, cells, fixed)
                continue
            yield _bare_row(number, offset, cells, fixed)


def _header_rows(
    number: int, offset: int, header: list[str], cells: list[str], fixed: HashKind | None
) -> Iterator[BankRow]:
    named = dict(zip(header, cells, strict=False))
    found = False
    for name, cell in named.items():
        column_kind = kind_from_name(name)
        if column_kind is not None and cell:
            found = True
            yield _row(number, offset, column_kind, cell)
    if found:
        return
    value = next((named[c] for c in HASH_COLUMNS if named.get(c)), None)
    if value is None:
        yield BankRow(number, offset, error="no hash in this row")
        return
    type_name = next((named[c] for c in TYPE_COLUMNS if named.get(c)), None)
    kind = kind_from_name(type_name) if type_name else fixed
    if type_name and kind is None:
        yield BankRow(number, offset, error=f"unknown hash type {type_name[:40]!r}")
        return
    yield _row(number, offset, kind, value)


def _bare_row(number: int, offset: int, cells: list[str], fixed: HashKind | None) -> BankRow:
    cells = [c for c in cells if c]
    if len(cells) >= 2:
        first, second = kind_from_name(cells[0]), kind_from_name(cells[1])
        if first is not None:
            return _row(number, offset, first, cells[1])
        if second is not None:
            return _row(number, offset, second, cells[0])
    return _row(number, offset, fixed, cells[0])
