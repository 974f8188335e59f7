"""The upload pipeline on hostile and ordinary input (SAFETY.md, "Image uploads")."""

from __future__ import annotations

import io
import zipfile

import pytest
from PIL import Image
from threatexchange.signal_type.pdq.pdq_hasher import pdq_from_bytes

from causerie.errors import CauserieError, ErrorCode
from causerie.media.hashing import pdq_of
from causerie.media.imaging import ImageLimits, configure, process
from media.images import encode, gif_huge_frame, jpeg_with_metadata, natural, png_bomb

LIMITS = ImageLimits(max_bytes=8_000_000, max_pixels=40_000_000, store_max_side=2560, thumb_side=320)
configure(LIMITS)


def refused(data: bytes, code: ErrorCode, limits: ImageLimits = LIMITS) -> None:
    with pytest.raises(CauserieError) as caught:
        process(data, limits)
    assert caught.value.code is code


def test_a_picture_is_re_encoded_with_a_thumbnail() -> None:
    image = natural(1, (800, 600))
    out = process(encode(image, "PNG"), LIMITS)
    assert out.source_format == "PNG"
    assert (out.stored.width, out.stored.height) == (800, 600)
    assert out.stored.content_type == "image/jpeg"
    assert max(out.thumb.width, out.thumb.height) == 320
    assert Image.open(io.BytesIO(out.thumb.data)).size == (out.thumb.width, out.thumb.height)


def test_transparency_is_kept_as_png() -> None:
    image = natural(2, (120, 90)).convert("RGBA")
    image.putpixel((0, 0), (0, 0, 0, 0))
    out = process(encode(image, "WEBP", lossless=True), LIMITS)
    assert out.stored.content_type == "image/png"
    assert Image.open(io.BytesIO(out.stored.data)).mode == "RGBA"


def test_large_pictures_are_scaled_down_when_stored() -> None:
    out = process(encode(natural(3, (300, 100)).resize((3000, 1000)), "JPEG"), LIMITS)
    assert (out.stored.width, out.stored.height) == (2560, 853)
    assert (out.width, out.height) == (3000, 1000)


def test_every_piece_of_metadata_is_gone_and_the_orientation_applied() -> None:
    data = jpeg_with_metadata(natural(4, (200, 100)))
    assert b"secret-xmp-location" in data and b"secret-comment" in data
    out = process(data, LIMITS)
    stored = Image.open(io.BytesIO(out.stored.data))
    # orientation 6: the 200×100 picture is shown (and now stored) upright, 100×200
    assert stored.size == (100, 200)
    exif = stored.getexif()
    assert len(exif) == 0
    assert exif.get_ifd(0x8825) == {}
    assert "icc_profile" not in stored.info and "xmp" not in stored.info and "comment" not in stored.info
    for raw in (out.stored.data, out.thumb.data):
        for needle in (b"Exif", b"PhoneMaker", b"secret-xmp-location", b"secret-comment", b"xmpmeta", b"ICC_PROFILE"):
            assert needle not in raw


def test_a_decompression_bomb_is_refused_before_decoding() -> None:
    bomb = png_bomb(100_000, 100_000)
    assert len(bomb) < 100
    refused(bomb, ErrorCode.IMAGE_TOO_LARGE)
    # below Pillow's own guard but above ours: our header check refuses it
    refused(png_bomb(8000, 6000), ErrorCode.IMAGE_TOO_LARGE)


def test_a_gif_frame_larger_than_its_canvas_is_refused() -> None:
    refused(gif_huge_frame(), ErrorCode.IMAGE_TOO_LARGE)


def test_a_gif_keeps_its_first_frame_only() -> None:
    frames = [Image.new("RGB", (64, 48), c) for c in ((250, 0, 0), (0, 250, 0), (0, 0, 250))]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    out = process(buf.getvalue(), LIMITS)
    r, g, b = Image.open(io.BytesIO(out.stored.data)).convert("RGB").getpixel((32, 24))
    assert r > 200 and g < 50 and b < 50


@pytest.mark.parametrize(
    "trailer",
    [
        pytest.param("zip", id="jpeg+zip"),
        pytest.param(b"<html><body><script>alert(document.cookie)</script></body></html>", id="jpeg+html"),
    ],
)
def test_polyglots_are_neutralised(trailer: object) -> None:
    if trailer == "zip":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("evil.html", "<script>alert(1)</script>")
        extra = buf.getvalue()
    else:
        assert isinstance(trailer, bytes)
        extra = trailer
    polyglot = encode(natural(5, (320, 240)), "JPEG") + extra
    out = process(polyglot, LIMITS)
    for data in (out.stored.data, out.thumb.data):
        assert data.startswith(b"\xff\xd8") and data.endswith(b"\xff\xd9")  # a JPEG, ending where a JPEG ends
        assert b"PK\x03\x04" not in data and b"<script" not in data and b"<html" not in data


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(encode(natural(6, (40, 30)), "BMP"), id="bmp"),
        pytest.param(encode(natural(6, (40, 30)), "TIFF"), id="tiff"),
        pytest.param(b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', id="svg"),
        pytest.param(b"<html><script>alert(1)</script></html>" + encode(natural(6, (40, 30))), id="html+jpeg"),
        pytest.param(b"\x00" * 1000, id="zeros"),
        pytest.param(encode(natural(6, (400, 300)))[:600], id="truncated-jpeg"),
    ],
)
def test_other_formats_and_broken_files_are_unsupported(data: bytes) -> None:
    refused(data, ErrorCode.UNSUPPORTED_IMAGE)


def test_the_byte_cap_is_enforced_here_too() -> None:
    small = ImageLimits(max_bytes=1000, max_pixels=40_000_000)
    refused(encode(natural(7, (400, 300)), "PNG"), ErrorCode.IMAGE_TOO_LARGE, small)


def test_pdq_is_threatexchange_s_own_for_pictures_up_to_1024_pixels() -> None:
    image = natural(8, (1000, 700))
    ours, quality, _mirror = pdq_of(image)
    theirs, their_quality = pdq_from_bytes(encode(image, "PNG"))
    assert (ours, quality) == (theirs, their_quality)
