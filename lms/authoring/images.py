"""Uploaded course images, checked by their content: PNG, JPEG, WebP or GIF only, at most 1600 px wide, no metadata. Pure."""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import PurePath

from lms.text import fold

# Pillow format -> (content type, file extension)
FORMATS = {"PNG": ("image/png", "png"), "JPEG": ("image/jpeg", "jpg"), "WEBP": ("image/webp", "webp"), "GIF": ("image/gif", "gif")}
MAX_WIDTH = 1600
# refuse decompression bombs before decoding: a small file can claim a huge canvas
MAX_PIXELS = 40_000_000
QUALITY = {"JPEG": {"quality": 85, "optimize": True}, "WEBP": {"quality": 85}, "PNG": {"optimize": True}}


@dataclass(eq=False)  # exceptions stay hashable
class ImageRejected(ValueError):
    """The upload is not an acceptable image."""

    reason: str  # too_large, svg, not_image or too_many_pixels


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    content_type: str
    extension: str
    width: int
    height: int


def clean_image(data: bytes, max_bytes: int) -> CleanImage:
    """Check an upload by its content, shrink it to MAX_WIDTH keeping the ratio, and re-encode it without metadata."""
    if len(data) > max_bytes:
        raise ImageRejected("too_large")
    if _looks_like_svg(data):
        raise ImageRejected("svg")
    image = _open_verified(data)
    with image:
        if image.width * image.height > MAX_PIXELS:
            raise ImageRejected("too_many_pixels")
        try:
            encoded, size = _reencode(image)
        except Exception as error:  # damaged pixel data shows only when decoding
            raise ImageRejected("not_image") from error
    content_type, extension = FORMATS[image.format]
    return CleanImage(encoded, content_type, extension, *size)


def image_name(filename: str, extension: str) -> str:
    """A safe asset name from the uploaded file's name: 'Ảnh Nhãn 1.PNG' -> 'anh-nhan-1.png'."""
    stem = re.sub(r"[^a-z0-9]+", "-", fold(PurePath(filename or "").stem)).strip("-")[:60]
    return f"{stem or 'image'}.{extension}"


def _looks_like_svg(data: bytes) -> bool:
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<?xml", b"<svg", b"<!doctype svg")) or b"<svg" in head


def _open_verified(data: bytes):
    from PIL import Image  # imported here: only uploads need Pillow

    try:
        with Image.open(io.BytesIO(data), formats=list(FORMATS)) as probe:
            probe.verify()
        # verify() leaves the image unusable: open it again to read the pixels
        return Image.open(io.BytesIO(data), formats=list(FORMATS))
    except Exception as error:  # Pillow raises many kinds for files that are not images
        raise ImageRejected("not_image") from error


def _reencode(image) -> tuple[bytes, tuple[int, int]]:
    from PIL import ImageSequence

    image_format = image.format
    frames = [_shrink(frame.copy(), image_format) for frame in ImageSequence.Iterator(image)]
    options = dict(QUALITY.get(image_format, {}))
    # the colour profile is not personal data and photos look wrong without it; everything else (EXIF, GPS, text) goes
    if image.info.get("icc_profile"):
        options["icc_profile"] = image.info["icc_profile"]
    if "transparency" in frames[0].info:
        options["transparency"] = frames[0].info["transparency"]
    if len(frames) > 1:
        options.update(save_all=True, append_images=frames[1:], loop=image.info.get("loop", 0),
                       duration=[frame.info.get("duration", 100) for frame in frames])
    for frame in frames:
        frame.info = {}
    output = io.BytesIO()
    frames[0].save(output, format=image_format, **options)
    return output.getvalue(), frames[0].size


def _shrink(frame, image_format: str):
    from PIL import Image, ImageOps

    frame = ImageOps.exif_transpose(frame)  # phones store photos sideways plus an orientation tag
    if frame.width <= MAX_WIDTH:
        return frame
    if frame.mode in ("1", "P") and image_format != "GIF":
        frame = frame.convert("RGBA")  # palette images resize badly
    height = max(1, round(frame.height * MAX_WIDTH / frame.width))
    return frame.resize((MAX_WIDTH, height), Image.Resampling.LANCZOS)
