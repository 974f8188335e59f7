"""The evidence bundle format: a zip of JSON files (and pictures), a manifest of their SHA-256
hashes, and an Ed25519 signature over the manifest's bytes. Writing, verifying and key handling.

May import: stdlib, cryptography.

Layout (docs/legal.md, "Bundle format")::

    manifest.json      {"format", "created_at", "request_ref", "scope", "period", "files": [{path, sha256, bytes}], "key_id"}
    manifest.sig       base64 of the 64-byte Ed25519 signature of manifest.json's exact bytes
    public_key.pem     the signing key's public half (also listed in the manifest)
    *.json, pictures/*, quarantine/*   the evidence, each listed in the manifest

``verify_bundle`` checks the signature (with a public key given by the verifier, or the bundle's
own ``public_key.pem``, which proves integrity but not origin), then every file's hash, and names
every altered, missing or extra file.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import io
import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

FORMAT = "causerie-evidence/1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
PUBLIC_KEY = "public_key.pem"
_FIXED_TIME = (2000, 1, 1, 0, 0, 0)  # zip entry times: the manifest carries the real one


class KeyError_(ValueError):
    """A signing or public key that cannot be read."""


def generate_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def private_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def key_id(key: Ed25519PublicKey) -> str:
    """A short fingerprint of a public key: the first 16 hex digits of the SHA-256 of its raw bytes."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def load_private_key(value: str | bytes) -> Ed25519PrivateKey:
    """A PEM private key, or base64 of the 32 raw bytes."""
    data = value.encode() if isinstance(value, str) else value
    data = data.strip()
    try:
        if data.startswith(b"-----BEGIN"):
            key = serialization.load_pem_private_key(data, password=None)
        else:
            key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(data, validate=True))
    except (ValueError, TypeError) as exc:
        raise KeyError_(f"not an Ed25519 private key: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyError_("not an Ed25519 private key")
    return key


def load_public_key(value: str | bytes) -> Ed25519PublicKey:
    """A PEM public key, or base64 of the 32 raw bytes."""
    data = value.encode() if isinstance(value, str) else value
    data = data.strip()
    try:
        if data.startswith(b"-----BEGIN"):
            key = serialization.load_pem_public_key(data)
        else:
            key = Ed25519PublicKey.from_public_bytes(base64.b64decode(data, validate=True))
    except (ValueError, TypeError) as exc:
        raise KeyError_(f"not an Ed25519 public key: {exc}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise KeyError_("not an Ed25519 public key")
    return key


def to_json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=str).encode("utf-8") + b"\n"


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.datetime.fromtimestamp(ts, tz=datetime.UTC).isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class Built:
    data: bytes  # the zip
    manifest: bytes
    manifest_sha256: str
    files: int


def build_bundle(files: Mapping[str, bytes], meta: Mapping[str, Any], key: Ed25519PrivateKey) -> Built:
    """Zip ``files`` (path → bytes) with a signed manifest. ``meta`` goes into the manifest."""
    public = key.public_key()
    contents = dict(files)
    contents[PUBLIC_KEY] = public_pem(public)
    listing = [
        {"path": path, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
        for path, data in sorted(contents.items())
    ]
    manifest = to_json({**meta, "format": FORMAT, "key_id": key_id(public), "files": listing})
    signature = base64.b64encode(key.sign(manifest)) + b"\n"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path, data in [(MANIFEST, manifest), (SIGNATURE, signature), *sorted(contents.items())]:
            info = zipfile.ZipInfo(path, date_time=_FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return Built(out.getvalue(), manifest, hashlib.sha256(manifest).hexdigest(), len(listing))


@dataclass
class Verification:
    ok: bool = False
    signature_ok: bool = False
    key_source: str = ""  # "given" | "bundle"
    key_id: str = ""
    checked: int = 0
    altered: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    manifest: dict[str, Any] = field(default_factory=dict)

    def lines(self) -> list[str]:
        out = [f"problem: {p}" for p in self.problems]
        out += [f"altered: {p}" for p in self.altered]
        out += [f"missing: {p}" for p in self.missing]
        out += [f"extra: {p}" for p in self.extra]
        return out


def verify_bundle(source: Path | bytes, public_key: Ed25519PublicKey | None = None) -> Verification:
    """Check a bundle: the manifest's signature, then every listed file's hash; name what is wrong."""
    result = Verification()
    try:
        zf = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)
    except (OSError, zipfile.BadZipFile) as exc:
        result.problems.append(f"not a readable zip file: {exc}")
        return result
    with zf:
        names = zf.namelist()
        duplicates = sorted({n for n in names if names.count(n) > 1})
        for name in duplicates:
            result.problems.append(f"{name} appears more than once in the zip")

        def read(name: str) -> bytes | None:
            try:
                return zf.read(name)
            except KeyError:
                return None
            except (zipfile.BadZipFile, OSError, ValueError) as exc:  # e.g. a CRC error: altered bytes
                result.problems.append(f"{name} cannot be read ({exc})")
                result.altered.append(name)
                return None

        manifest_bytes = read(MANIFEST)
        signature = read(SIGNATURE)
        if manifest_bytes is None:
            if MANIFEST not in result.altered:
                result.missing.append(MANIFEST)
            return result
        if signature is None and SIGNATURE not in result.altered:
            result.missing.append(SIGNATURE)
        try:
            manifest = json.loads(manifest_bytes)
            listing = manifest["files"]
            assert isinstance(listing, list)
        except (ValueError, KeyError, TypeError, AssertionError):
            result.problems.append("manifest.json is not a valid manifest")
            result.altered.append(MANIFEST)
            return result
        result.manifest = manifest
        key = public_key
        result.key_source = "given"
        if key is None:
            pem = read(PUBLIC_KEY)
            result.key_source = "bundle"
            if pem is not None:
                try:
                    key = load_public_key(pem)
                except KeyError_ as exc:
                    result.problems.append(f"public_key.pem: {exc}")
        if key is not None:
            result.key_id = key_id(key)
            if signature is not None:
                try:
                    key.verify(base64.b64decode(signature.strip(), validate=True), manifest_bytes)
                    result.signature_ok = True
                except (InvalidSignature, ValueError):
                    result.problems.append("the signature does not match manifest.json (manifest or signature altered)")
                    result.altered.append(MANIFEST)
        else:
            result.problems.append("no public key to check the signature with")
        listed: set[str] = set()
        for entry in listing:
            path = str(entry.get("path", "")) if isinstance(entry, dict) else ""
            if not path:
                result.problems.append("manifest entry without a path")
                continue
            listed.add(path)
            data = read(path)
            if data is None:
                if path not in result.altered:
                    result.missing.append(path)
                continue
            result.checked += 1
            if hashlib.sha256(data).hexdigest() != entry.get("sha256") or len(data) != entry.get("bytes"):
                result.altered.append(path)
        result.extra = sorted({n for n in names if n not in listed and n not in (MANIFEST, SIGNATURE)})
    result.ok = (
        result.signature_ok and not result.altered and not result.missing and not result.extra and not result.problems
    )
    return result
