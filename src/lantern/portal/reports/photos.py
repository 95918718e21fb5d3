"""Photos from residents: checked by content (not by name), re-encoded so no metadata survives."""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from lantern.portal.i18n import mark as _

MAX_PHOTOS = 3
MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 5 MB file can still decode to gigabytes (decompression bombs)
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png"}


@dataclass(frozen=True)
class CleanPhoto:
    content_type: str
    data: bytes
    width: int
    height: int
    sha256: str


class PhotoRefused(ValueError):
    """Why a file is not accepted; the message is a portal message id with %(name)s placeholders."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params


def clean(raw: bytes, name: str = "") -> CleanPhoto:
    """Re-encode a JPEG or PNG without EXIF, GPS, text chunks or ICC profile; raises PhotoRefused."""
    if len(raw) > MAX_BYTES:
        raise PhotoRefused(_("%(name)s is larger than 5 MB"), name=name or "photo")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw)) as probe:
                kind = probe.format
                probe.verify()  # structure check; the image must be reopened afterwards
            image = Image.open(io.BytesIO(raw))
            if kind not in FORMATS:
                raise PhotoRefused(_("%(name)s is not a JPEG or PNG photo"), name=name or "photo")
            if image.width * image.height > MAX_PIXELS:
                raise PhotoRefused(_("%(name)s has too many pixels (at most 40 million)"), name=name or "photo")
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise PhotoRefused(_("%(name)s is not a JPEG or PNG photo"), name=name or "photo") from None
    # Apply the EXIF orientation to the pixels first: dropping the tag must not turn photos on their side.
    image = ImageOps.exif_transpose(image)
    out = io.BytesIO()
    if kind == "JPEG":
        image.convert("RGB").save(out, "JPEG", quality=88, optimize=True)
    else:
        if image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
            image = image.convert("RGBA")
        image.save(out, "PNG", optimize=True)  # no pnginfo, exif or icc_profile: none is written
    data = out.getvalue()
    return CleanPhoto(FORMATS[kind], data, image.width, image.height, hashlib.sha256(data).hexdigest())
