"""Picture files on disk: content-addressed storage, and the encrypted quarantine.

May import: stdlib, cryptography, ``causerie.storage.media``, ``causerie.errors``.

``FileMediaStore`` keeps each file under ``<root>/<aa>/<bb>/<sha256>`` (written to a temporary name,
fsynced, then renamed: a reader never sees half a file). ``QuarantineVault`` keeps the original
bytes of matched uploads in another folder, each encrypted with AES-256-GCM: a 12-byte random
nonce, the quarantine id as associated data (a file cannot be swapped for another's), and a key id
so that keys can be rotated. Files start with ``CQ1``. Disk I/O runs in worker threads.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import re
import secrets
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from causerie.errors import CauserieError, ErrorCode

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_QID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
MAGIC = b"CQ1"
NONCE_BYTES = 12


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # the rename itself survives a power cut
    finally:
        os.close(dir_fd)


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


class FileMediaStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str) -> Path:
        if not _SHA256.match(sha256):
            raise CauserieError(ErrorCode.NOT_FOUND)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    async def put(self, sha256: str, data: bytes) -> None:
        if hashlib.sha256(data).hexdigest() != sha256:
            raise ValueError("content does not match its address")
        path = self.path(sha256)
        if await asyncio.to_thread(path.exists):
            return
        await asyncio.to_thread(_write_atomic, path, data)

    async def get(self, sha256: str) -> bytes | None:
        return await asyncio.to_thread(_read, self.path(sha256))

    async def delete(self, sha256: str) -> None:
        await asyncio.to_thread(self.path(sha256).unlink, True)

    async def exists(self, sha256: str) -> bool:
        return await asyncio.to_thread(self.path(sha256).exists)


def parse_key(text: str) -> bytes:
    """A 256-bit key given as 64 hex characters or URL-safe base64 (43-44 characters)."""
    value = text.strip()
    if re.fullmatch(r"[0-9a-fA-F]{64}", value):
        return bytes.fromhex(value)
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise ValueError("the quarantine key must be 32 bytes: 64 hex characters or base64")
    return raw


def load_or_create_key(path: Path) -> bytes:
    """A key file created on first use (mode 0600). Operators should set the key in the settings and
    keep it away from the data instead; this default keeps one-command starts working."""
    try:
        return parse_key(path.read_text(encoding="ascii"))
    except FileNotFoundError:
        key = secrets.token_bytes(32)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(key.hex() + "\n")
        return key


def key_id(key: bytes) -> bytes:
    return hashlib.sha256(b"causerie-quarantine-key-id" + key).digest()[:8]


class QuarantineVault:
    """AES-256-GCM encrypted files, one per quarantined upload.

    ``key`` may be a function that returns it: it is then called on first use (so that building the
    application creates no key file; see ``load_or_create_key``).
    """

    def __init__(self, root: Path, key: bytes | Callable[[], bytes], old_keys: tuple[bytes, ...] = ()) -> None:
        self.root = root
        self._key_source = key
        self._old_keys = old_keys
        self._key = b""
        self._keys: dict[bytes, AESGCM] = {}
        if isinstance(key, bytes):
            self._load()

    def _load(self) -> None:
        if self._keys:
            return
        key = self._key_source if isinstance(self._key_source, bytes) else self._key_source()
        if len(key) != 32:
            raise ValueError("the quarantine key must be 32 bytes")
        self._key = key
        self._keys = {key_id(k): AESGCM(k) for k in (key, *self._old_keys)}

    def path(self, quarantine_id: str) -> Path:
        if not _QID.match(quarantine_id):
            raise CauserieError(ErrorCode.NOT_FOUND)
        return self.root / f"{quarantine_id}.bin"

    def seal(self, quarantine_id: str, data: bytes) -> bytes:
        self._load()
        nonce = secrets.token_bytes(NONCE_BYTES)
        kid = key_id(self._key)
        return MAGIC + kid + nonce + self._keys[kid].encrypt(nonce, data, quarantine_id.encode())

    def open(self, quarantine_id: str, blob: bytes) -> bytes:
        self._load()
        if not blob.startswith(MAGIC):
            raise ValueError("not a quarantine file")
        kid = blob[3:11]
        nonce = blob[11 : 11 + NONCE_BYTES]
        cipher = self._keys.get(kid)
        if cipher is None:
            raise ValueError("quarantine file encrypted with an unknown key")
        return cipher.decrypt(nonce, blob[11 + NONCE_BYTES :], quarantine_id.encode())

    async def put(self, quarantine_id: str, data: bytes) -> None:
        blob = self.seal(quarantine_id, data)
        await asyncio.to_thread(_write_atomic, self.path(quarantine_id), blob)

    async def get(self, quarantine_id: str) -> bytes | None:
        blob = await asyncio.to_thread(_read, self.path(quarantine_id))
        return None if blob is None else self.open(quarantine_id, blob)

    async def delete(self, quarantine_id: str) -> None:
        await asyncio.to_thread(self.path(quarantine_id).unlink, True)
