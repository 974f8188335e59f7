"""Hashes of an upload: SHA-256 and MD5 of the bytes, PDQ (with its quality) of the pixels.

May import: stdlib, numpy, pdqhash, Pillow, ``causerie.domain``.

PDQ is computed with ``pdqhash``, the binding threatexchange's own PDQ hasher
(``threatexchange.signal_type.pdq.pdq_hasher``) calls, on the decoded, orientation-corrected RGB
pixels. For a picture at most ``PDQ_MAX_SIDE`` pixels on its long side the hash is bit-for-bit the
one threatexchange computes from the same pixels (a test checks it); a larger picture is first
reduced to that size with a Lanczos filter (PDQ reduces every picture to 64×64 anyway; hashing a
40-megapixel array directly would need over a gigabyte of temporary floats). ``compute_dihedral``
gives the hashes of the eight rotations and flips in one pass: index 5 is the left-right mirror.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pdqhash
from PIL import Image

from causerie.domain.media import ImageHashes

PDQ_MAX_SIDE = 1024
MIRROR_INDEX = 5  # in pdqhash.compute_dihedral's list: the image flipped left-right


def byte_hashes(data: bytes) -> tuple[str, str]:
    """(sha256, md5) of the bytes, hex."""
    return hashlib.sha256(data).hexdigest(), hashlib.md5(data, usedforsecurity=False).hexdigest()


def _hex(bits: np.ndarray) -> str:
    return np.packbits(bits.astype(np.uint8)).tobytes().hex()


def pdq_of(image: Image.Image) -> tuple[str, int, str]:
    """(pdq, quality, pdq of the mirror image) of a decoded picture."""
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    if max(rgb.size) > PDQ_MAX_SIDE:
        rgb = rgb.copy()
        rgb.thumbnail((PDQ_MAX_SIDE, PDQ_MAX_SIDE), Image.Resampling.LANCZOS)
    pixels = np.ascontiguousarray(np.asarray(rgb, dtype=np.uint8))
    vectors, quality = pdqhash.compute_dihedral(pixels)
    return _hex(vectors[0]), int(quality), _hex(vectors[MIRROR_INDEX])


def image_hashes(data: bytes, image: Image.Image | None) -> ImageHashes:
    sha256, md5 = byte_hashes(data)
    if image is None:
        return ImageHashes(sha256=sha256, md5=md5)
    pdq, quality, mirror = pdq_of(image)
    return ImageHashes(sha256=sha256, md5=md5, pdq=pdq, pdq_quality=quality, pdq_mirror=mirror)
