"""Decode an uploaded picture safely, then re-encode it without metadata, plus a thumbnail.

May import: stdlib, Pillow, ``causerie.media.hashing``, ``causerie.domain``, ``causerie.errors``.

The order matters (SAFETY.md, "Image uploads"):
1. a byte cap, checked by the caller before the body is even read, and again here;
2. ``Image.open(f, formats=["JPEG", "PNG", "WEBP", "GIF"])`` reads the header only; anything else is
   ``unsupported_image``;
3. the pixel count from the header is checked against the cap **before decoding** (a 1×1 PNG that
   claims 100,000×100,000 is refused without allocating anything). Pillow's own
   ``MAX_IMAGE_PIXELS`` is set to the same cap as a second guard (it raises at twice the value);
4. a JPEG is decoded at a reduced scale when it is larger than what is kept (``draft``); a GIF's
   first frame only is decoded (later frames are never read, whatever their extents);
5. ``exif_transpose`` applies the orientation tag, then the pixels are re-encoded into a new file
   with no metadata at all (EXIF with GPS, XMP, IPTC, comments, ICC profile). Re-encoding from
   pixels is what kills polyglots: nothing of the uploaded file but its pixels survives, so a
   JPEG+ZIP or JPEG+HTML file becomes a plain JPEG with no trailing bytes.

Pictures without transparency are stored as JPEG (quality 85), with transparency as PNG. The ICC
profile is dropped without colour conversion: colour management would parse one more untrusted
structure for a small gain in fidelity.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, replace

from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from causerie.domain.media import ImageHashes
from causerie.errors import CauserieError, ErrorCode
from causerie.media.hashing import image_hashes, pdq_of

FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
JPEG_QUALITY = 85
THUMB_QUALITY = 80

ImageFile.LOAD_TRUNCATED_IMAGES = False  # a truncated file is refused, never half-decoded

# Everything Pillow may raise on hostile input: refused as unsupported, never a 500.
_DECODE_ERRORS = (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError)


@dataclass(frozen=True, slots=True)
class ImageLimits:
    max_bytes: int = 8_000_000
    max_pixels: int = 40_000_000
    store_max_side: int = 2560
    thumb_side: int = 320


@dataclass(frozen=True, slots=True)
class Encoded:
    data: bytes
    content_type: str
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class ProcessedImage:
    source_format: str
    width: int  # of the upload, after orientation
    height: int
    stored: Encoded
    thumb: Encoded
    hashes: ImageHashes


def configure(limits: ImageLimits) -> None:
    """Pillow's own decompression-bomb guard, at our cap (it warns above it, raises at twice it)."""
    Image.MAX_IMAGE_PIXELS = max(1, limits.max_pixels)


def too_large(limits: ImageLimits, what: str) -> CauserieError:
    return CauserieError(
        ErrorCode.IMAGE_TOO_LARGE, data={"max_bytes": limits.max_bytes, "max_pixels": limits.max_pixels, "why": what}
    )


def unsupported() -> CauserieError:
    return CauserieError(ErrorCode.UNSUPPORTED_IMAGE, data={"formats": list(FORMATS)})


def open_checked(data: bytes, limits: ImageLimits) -> Image.Image:
    """Open (header only) and check format and pixel count. Nothing is decoded yet."""
    if len(data) > limits.max_bytes:
        raise too_large(limits, "bytes")
    try:
        image = Image.open(io.BytesIO(data), formats=list(FORMATS))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_large(limits, "pixels") from None
    except _DECODE_ERRORS:
        raise unsupported() from None
    width, height = image.size
    if width <= 0 or height <= 0:
        image.close()
        raise unsupported()
    if width * height > limits.max_pixels:
        image.close()
        raise too_large(limits, "pixels")
    return image


def decode(data: bytes, limits: ImageLimits) -> tuple[Image.Image, str]:
    """The first frame, decoded and turned upright, and the source format."""
    image = open_checked(data, limits)
    fmt = str(image.format)
    try:
        if fmt == "JPEG" and max(image.size) > 2 * limits.store_max_side:
            # DCT scaling: decode at 1/2, 1/4 or 1/8 size, never below what we keep or PDQ needs
            image.draft(image.mode if image.mode in ("L", "RGB") else "RGB", (limits.store_max_side,) * 2)
        image.load()  # a GIF: frame 0 only
        if image.size[0] * image.size[1] > limits.max_pixels:
            raise too_large(limits, "pixels")
        upright = ImageOps.exif_transpose(image)
    except CauserieError:
        image.close()
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning, MemoryError):
        image.close()
        raise too_large(limits, "pixels") from None
    except _DECODE_ERRORS:
        image.close()
        raise unsupported() from None
    if upright is not image:
        image.close()
    return upright, fmt


def _has_alpha(image: Image.Image) -> bool:
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        return True
    return image.mode == "P" and "transparency" in image.info


def _normalise(image: Image.Image) -> Image.Image:
    if _has_alpha(image):
        return image.convert("RGBA")
    if image.mode in ("RGB", "L"):
        return image
    return image.convert("RGB")


def encode(image: Image.Image, max_side: int, quality: int) -> Encoded:
    """Re-encode from pixels only: a fresh image whose ``info`` is empty, saved with no metadata."""
    out = image.copy()
    if max(out.size) > max_side:
        out.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    out.info = {}
    buf = io.BytesIO()
    if out.mode == "RGBA":
        out.save(buf, "PNG", optimize=False, compress_level=6)
        content_type = "image/png"
    else:
        out.save(buf, "JPEG", quality=quality, optimize=True, progressive=True, exif=b"", icc_profile=None)
        content_type = "image/jpeg"
    return Encoded(buf.getvalue(), content_type, out.size[0], out.size[1])


def process(data: bytes, limits: ImageLimits, *, pdq: bool = True, known: ImageHashes | None = None) -> ProcessedImage:
    """Decode, hash, re-encode and thumbnail one upload. Raises ``image_too_large``/``unsupported_image``.

    ``known``: the byte hashes already computed (SHA-256, MD5), so that they are not computed twice.
    """
    image, fmt = decode(data, limits)
    try:
        clean = _normalise(image)
        if known is not None:
            hashes = known
            if pdq:
                value, quality, mirror = pdq_of(clean)
                hashes = replace(known, pdq=value, pdq_quality=quality, pdq_mirror=mirror)
        else:
            hashes = image_hashes(data, clean if pdq else None)
        stored = encode(clean, limits.store_max_side, JPEG_QUALITY)
        thumb = encode(clean, limits.thumb_side, THUMB_QUALITY)
        return ProcessedImage(fmt, clean.size[0], clean.size[1], stored, thumb, hashes)
    finally:
        image.close()
