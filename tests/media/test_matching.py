"""PDQ and MD5 matching: transformed copies match, unrelated pictures do not, the index is exact."""

from __future__ import annotations

import io
import random
import time

import numpy as np
import pytest
from PIL import Image, ImageOps

from causerie.domain.media import DEFAULT_PDQ_THRESHOLD, HashKind, ImageHashes, hamming
from causerie.media.hashing import byte_hashes, pdq_of
from causerie.media.index import LINEAR_BELOW, BankMeta, HashIndex, IndexBuilder, PdqMultiIndex
from media.images import encode, natural, tiny_naturals

ORIGINALS = range(1, 9)  # eight 1024×768 pictures


def hashes_of(image: Image.Image, data: bytes = b"") -> ImageHashes:
    pdq, quality, mirror = pdq_of(image)
    sha256, md5 = byte_hashes(data or image.tobytes())
    return ImageHashes(sha256=sha256, md5=md5, pdq=pdq, pdq_quality=quality, pdq_mirror=mirror)


def index_of(images: dict[int, Image.Image], *, mirrored: bool = False) -> HashIndex:
    builder = IndexBuilder([BankMeta(1, "known", DEFAULT_PDQ_THRESHOLD, mirrored)])
    for image in images.values():
        builder.add(1, HashKind.PDQ, pdq_of(image)[0])
    return builder.build()


def recompressed(image: Image.Image, quality: int) -> Image.Image:
    return Image.open(io.BytesIO(encode(image, "JPEG", quality=quality))).convert("RGB")


def transforms(image: Image.Image) -> dict[str, Image.Image]:
    w, h = image.size
    return {
        "resized to 50%": image.resize((w // 2, h // 2), Image.Resampling.LANCZOS),
        "resized to 150%": image.resize((w * 3 // 2, h * 3 // 2), Image.Resampling.BICUBIC),
        "re-compressed (JPEG q=40)": recompressed(image, 40),
        "resized and re-compressed": recompressed(image.resize((w * 2 // 3, h * 2 // 3)), 60),
        "cropped 0.5% on every side": image.crop((w // 200, h // 200, w - w // 200, h - h // 200)),
        "cropped 1% off the top": image.crop((0, h // 100, w, h)),
        "cropped 1% off the right": image.crop((0, 0, w - w // 100, h)),
    }


@pytest.fixture(scope="module")
def originals() -> dict[int, Image.Image]:
    return {seed: natural(seed) for seed in ORIGINALS}


def test_transformed_copies_match_at_the_default_threshold(originals: dict[int, Image.Image]) -> None:
    index = index_of(originals)
    worst: dict[str, int] = {}
    for image in originals.values():
        for name, variant in transforms(image).items():
            hits = index.match_pdq(pdq_of(variant)[0])
            assert hits, f"{name} copy did not match"
            worst[name] = max(worst.get(name, 0), min(h.distance for h in hits))
    print("\nlargest PDQ distance per transformation (threshold 31):", worst)
    assert all(d <= DEFAULT_PDQ_THRESHOLD for d in worst.values())


def test_a_mirror_image_matches_only_banks_that_ask_for_it(originals: dict[int, Image.Image]) -> None:
    plain = index_of(originals, mirrored=False)
    mirroring = index_of(originals, mirrored=True)
    for image in originals.values():
        flipped = ImageOps.mirror(image)
        pdq, _quality, mirror = pdq_of(flipped)
        assert plain.match_pdq(pdq, mirror) == []
        hits = mirroring.match_pdq(pdq, mirror)
        assert hits and hits[0].mirrored and hits[0].distance <= DEFAULT_PDQ_THRESHOLD


def test_md5_matches_the_exact_file_only() -> None:
    data = encode(natural(20, (200, 150)), "JPEG", quality=90)
    _sha, md5 = byte_hashes(data)
    builder = IndexBuilder([BankMeta(3, "md5list", 31)])
    builder.add(3, HashKind.MD5, md5)
    for i in range(1000):
        builder.add(3, HashKind.MD5, f"{random.Random(i).getrandbits(128):032x}")
    index = builder.build()
    assert [h.bank_name for h in index.match_md5(md5)] == ["md5list"]
    assert index.match_md5(byte_hashes(data + b"\x00")[1]) == []


def test_a_thousand_unrelated_pictures_produce_no_match(originals: dict[int, Image.Image]) -> None:
    """The false-match measurement: 1,000 pictures in a bank, 1,000 others queried against it."""
    started = time.perf_counter()
    bank = [pdq_of(image) for image in tiny_naturals(10_000, 1000)]
    queries = [pdq_of(image) for image in tiny_naturals(20_000, 1000)]
    queries += [pdq_of(image) for image in originals.values()]
    builder = IndexBuilder([BankMeta(1, "synthetic", DEFAULT_PDQ_THRESHOLD, True)])
    for pdq, _quality, _mirror in bank:
        builder.add(1, HashKind.PDQ, pdq)
    index = builder.build()
    false_matches = sum(bool(index.match_pdq(pdq, mirror)) for pdq, _quality, mirror in queries)
    bits = np.array([bytearray.fromhex(p) for p, _q, _m in bank + queries], dtype=np.uint8)
    words = bits.view(np.uint64)
    nearest = min(int(np.bitwise_count(words[i + 1 :] ^ words[i]).sum(axis=1).min()) for i in range(len(words) - 1))
    low_quality = sum(q < 50 for _p, q, _m in bank + queries)
    comparisons = len(bank) * len(queries) * 2  # each query and its mirror image
    print(
        f"\nfalse matches: {false_matches} of {len(queries)} queries ({comparisons:,} comparisons, "
        f"mirror images included); nearest pair of distinct pictures: {nearest} bits; "
        f"{low_quality} of {len(bank) + len(queries)} below PDQ quality 50; {time.perf_counter() - started:.1f} s"
    )
    assert false_matches == 0
    assert nearest > DEFAULT_PDQ_THRESHOLD


@pytest.mark.parametrize("size", [500, LINEAR_BELOW + 5000])
def test_the_index_finds_exactly_what_a_linear_scan_finds(size: int) -> None:
    rng = np.random.default_rng(size)
    codes = rng.integers(0, 256, (size, 32), dtype=np.uint8)
    index = PdqMultiIndex(codes)
    words = codes.view(np.uint64).reshape(size, 4)
    for radius in (0, 15, 31, 47, 63):
        for _ in range(10):
            query = codes[rng.integers(size)].copy()
            for bit in rng.choice(256, int(rng.integers(0, radius + 8)), replace=False):
                query[bit // 8] ^= 1 << (bit % 8)
            rows, distances = index.search(query.tobytes(), radius)
            expected = np.bitwise_count(words ^ query.view(np.uint64)).sum(axis=1)
            assert sorted(rows.tolist()) == np.flatnonzero(expected <= radius).tolist()
            assert (expected[rows] == distances).all()


def test_hamming_of_hex_hashes() -> None:
    assert hamming("00" * 32, "ff" * 32) == 256
    assert hamming("0f" + "00" * 31, "00" * 32) == 4
