"""Synthetic pictures for the media tests, made in-process (no fixtures on disk).

``natural(seed)`` makes a picture with the statistics of a photograph: three random fields whose
amplitude falls as 1/f (the "pink" spectrum of natural images), mixed into colours. Two seeds give
two unrelated pictures; PDQ sees in them the kind of structure it sees in photographs (smooth
regions, edges at every scale), unlike flat synthetic shapes, which have a low PDQ quality.
``tiny_naturals`` makes thousands of small ones at once.
"""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image


def natural(seed: int, size: tuple[int, int] = (1024, 768), beta: float = 2.0) -> Image.Image:
    rng = np.random.default_rng(seed)
    w, h = size
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.rfftfreq(w)[None, :]
    f = np.sqrt(fx**2 + fy**2)
    f[0, 0] = 1.0
    amplitude = 1.0 / f ** (beta / 2)
    noise = rng.standard_normal((2, 3, *f.shape))
    fields = np.fft.irfft2(amplitude * (noise[0] + 1j * noise[1]), s=(h, w), axes=(-2, -1))
    fields = (fields - fields.mean(axis=(1, 2), keepdims=True)) / fields.std(axis=(1, 2), keepdims=True)
    mix = rng.normal(size=(3, 3)) * 0.5 + np.eye(3)
    pixels = np.tensordot(np.moveaxis(fields, 0, -1), mix, axes=1) * 40 + rng.uniform(80, 170, 3)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")


def tiny_naturals(seed: int, count: int) -> list[Image.Image]:
    """``count`` unrelated 128×96 pictures like ``natural``'s, made in one batch: the fields are drawn
    at 64×48 (one FFT call for all) and scaled up."""
    rng = np.random.default_rng(seed)
    w, h = 64, 48
    f = np.sqrt(np.fft.rfftfreq(w)[None, :] ** 2 + np.fft.fftfreq(h)[:, None] ** 2)
    f[0, 0] = 1.0
    noise = rng.standard_normal((2, count, 3, *f.shape))
    fields = np.fft.irfft2((noise[0] + 1j * noise[1]) / f, s=(h, w), axes=(-2, -1))
    fields = (fields - fields.mean(axis=(2, 3), keepdims=True)) / fields.std(axis=(2, 3), keepdims=True)
    mixes = rng.normal(size=(count, 1, 3, 3)) * 0.5 + np.eye(3)
    pixels = np.matmul(np.moveaxis(fields, 1, -1), mixes) * 40 + rng.uniform(80, 170, (count, 1, 1, 3))
    return [
        Image.fromarray(p, "RGB").resize((128, 96), Image.Resampling.BICUBIC)
        for p in np.clip(pixels, 0, 255).astype(np.uint8)
    ]


def encode(image: Image.Image, fmt: str = "JPEG", **params: object) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **params)
    return buf.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A tiny PNG whose header claims ``width`` × ``height`` pixels (a decompression bomb)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 16)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


def gif_huge_frame() -> bytes:
    """A GIF whose canvas is 10×10 but whose first frame claims 65535×65535."""
    header = b"GIF89a" + struct.pack("<HHBBB", 10, 10, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    descriptor = b"\x2c" + struct.pack("<HHHHB", 0, 0, 65535, 65535, 0)
    data = b"\x02\x02\x44\x01\x00"  # LZW minimum code size 2, one tiny block
    return header + descriptor + data + b"\x3b"


def jpeg_with_metadata(image: Image.Image) -> bytes:
    """A JPEG with GPS EXIF, an orientation tag, XMP, an ICC profile and a comment."""
    from PIL import ImageCms

    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (48.0, 51.0, 24.0)
    gps[3] = "E"
    gps[4] = (2.0, 21.0, 3.0)
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    xmp = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b"<rdf:Description>secret-xmp-location</rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    return encode(image, "JPEG", exif=exif.tobytes(), icc_profile=icc, xmp=xmp, comment=b"secret-comment")
