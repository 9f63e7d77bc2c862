"""Photo evidence: decode a tablet photo (JPEG/PNG/HEIC), turn it upright, downscale it, stamp a
visible watermark (village, time, surveyor) and encode it as JPEG for storage.

The SHA-256 of the *original* bytes is kept beside the stored JPEG, so the county office can tell
which file a surveyor took even though the stored picture is smaller. The watermark is drawn with
a CJK font (Noto Sans CJK, found with ``fc-match`` or at Debian's path); without one, PIL's
built-in font is used and the Chinese characters may show as boxes (codes and times still read).
"""

from __future__ import annotations

import functools
import hashlib
import io
import math
import re
import shutil
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, NamedTuple

from PIL import Image, ImageDraw, ImageFont, ImageOps, UnidentifiedImageError

from core import limits
from core.errors import DataError, Problem, problem

#: Longest side of a stored photo, pixels.
MAX_SIDE = 1600
JPEG_QUALITY = 85
#: File name endings the upload accepts.
ACCEPTED = ("jpg", "jpeg", "png", "heic", "heif")
#: Where Debian's fonts-noto-cjk puts the font, tried when fc-match finds nothing.
KNOWN_CJK_FONTS = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"),
    Path("/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc"),
)
SC_FACE = 2  # Noto Sans CJK SC inside NotoSansCJK-*.ttc

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@dataclass(frozen=True)
class Photo:
    """A prepared photo: the stored JPEG, its size, and the SHA-256 (hex) of the original file."""

    jpeg: bytes
    width: int
    height: int
    sha256: str


@functools.cache
def _register_heif() -> None:
    from pillow_heif import register_heif_opener

    register_heif_opener()


class FontFile(NamedTuple):
    """A font file and the face inside it (a .ttc collection holds several)."""

    path: Path
    index: int = 0


@functools.cache
def cjk_font() -> FontFile | None:
    """A font with Chinese glyphs: ``fc-match`` first, then Debian's path of Noto Sans CJK
    (face 2 of the collection is Simplified Chinese). None when there is none."""
    if shutil.which("fc-match"):
        try:
            out = subprocess.run(["fc-match", "-f", "%{file}|%{index}", "Noto Sans CJK SC:lang=zh-cn"],
                                 capture_output=True, text=True, timeout=5, check=False).stdout
        except (OSError, subprocess.SubprocessError):
            out = ""
        file, _, index = out.strip().partition("|")
        if "CJK" in file and Path(file).is_file():
            return FontFile(Path(file), int(index or 0))
    path = next((p for p in KNOWN_CJK_FONTS if p.is_file()), None)
    return FontFile(path, SC_FACE) if path else None


def load_font(size: int, font: FontFile | None) -> Font:
    """``font`` in ``size`` pixels, or PIL's built-in font when there is none (or it fails)."""
    if font is not None:
        try:
            return ImageFont.truetype(str(font.path), size, index=font.index)
        except OSError:
            pass
    return ImageFont.load_default(size)


def open_image(data: bytes, filename: str = "photo", max_side: int = MAX_SIDE) -> Image.Image:
    """Decode ``data`` (JPEG, PNG, HEIC...) and turn it upright by its EXIF orientation.
    The byte size, then the width × height of the header are checked against
    :mod:`core.limits` *before* anything is decoded. Raises :class:`DataError`
    (``photo_too_large``, ``photo_pixels``, ``photo_unreadable``)."""
    if len(data) > limits.PHOTO_BYTES:
        raise DataError([problem("photo_too_large", filename, size=limits.human_bytes(len(data)),
                                 limit=limits.human_bytes(limits.PHOTO_BYTES))])
    _register_heif()
    try:
        with warnings.catch_warnings():  # PIL warns from 89 MP on; our own limit is lower
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data), formats=limits.PHOTO_FORMATS)  # reads the header only
        width, height = img.size
        if width * height > limits.PHOTO_PIXELS:
            raise DataError([_too_many_pixels(filename, width * height, f"{width}×{height}")])
        ratio = max_side / max(img.size)
        if img.format in ("JPEG", "MPO") and ratio < 1:  # decode at a reduced scale (≥ the target): faster
            img.draft("RGB", (math.ceil(img.width * ratio), math.ceil(img.height * ratio)))
        img.load()
        ImageOps.exif_transpose(img, in_place=True)  # not a copy of the whole picture
    except DataError:
        raise
    except Image.DecompressionBombError as exc:  # over 179 MP: PIL refuses before we see the size
        found = re.search(r"\((\d+) pixels\)", str(exc))
        raise DataError([_too_many_pixels(filename, int(found.group(1)) if found else 0, "")]) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError, ZeroDivisionError) as exc:
        raise DataError([problem("photo_unreadable", filename, detail=type(exc).__name__)]) from None
    return img


def _too_many_pixels(filename: str, pixels: int, size: str) -> Problem:
    return problem("photo_pixels", filename, mp=f"{pixels / 1e6:.1f}", size=f"（{size}）" if size else "",
                   size_en=f" ({size})" if size else "", limit=f"{limits.PHOTO_PIXELS / 1e6:.1f}")


def watermark(img: Image.Image, lines: list[str], font_file: FontFile | None) -> Image.Image:
    """``img`` (RGB) with ``lines`` written in white on a dark band along its bottom edge."""
    size = max(14, round(min(img.size) / 26))
    font = load_font(size, font_file)
    pad = max(4, size // 3)
    line_h = size + pad // 2
    band_h = min(img.height, pad * 2 + line_h * len(lines))
    # Only the band is blended (the rest of the picture is copied as it is): the same pixels as
    # blending a whole-picture overlay, in a fraction of the time.
    top = img.height - band_h
    band = img.crop((0, top, img.width, img.height)).convert("RGBA")
    overlay = Image.new("RGBA", band.size, (0, 0, 0, 140))
    draw = ImageDraw.Draw(overlay)
    for n, line in enumerate(lines):
        draw.text((pad, pad + n * line_h), line, font=font, fill=(255, 255, 255, 255))
    out = img.convert("RGB") if img.mode != "RGB" else img.copy()
    out.paste(Image.alpha_composite(band, overlay).convert("RGB"), (0, top))
    return out


def prepare(data: bytes, lines: list[str], filename: str = "photo", max_side: int = MAX_SIDE,
            font: FontFile | Literal["auto"] | None = "auto",
            original_sha256: str | None = None) -> Photo:
    """Upright, downscaled (longest side ``max_side``, never enlarged), watermarked JPEG of the
    picture ``data``. ``font``: a font file, None for PIL's font, "auto" to find a CJK font.
    ``original_sha256``: the SHA-256 of the original file when ``data`` is a copy made smaller
    on the tablet (which hashed the original before it shrank it); by default, of ``data``."""
    sha = original_sha256 or hashlib.sha256(data).hexdigest()
    img = open_image(data, filename, max_side)
    if img.mode not in ("RGB", "L", "RGBA", "LA"):
        img = img.convert("RGBA")
    # Shrink first, then flatten: copying a full-size picture (up to PHOTO_PIXELS) into RGBA and
    # RGB again took 900 MB at the pixel limit; resizing RGBA premultiplies alpha, so the result
    # is the same.
    img.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    if img.mode in ("RGBA", "LA"):
        background = Image.new("RGB", img.size, (255, 255, 255))
        rgba = img.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        img = background
    img = img.convert("RGB")
    stamped = watermark(img, lines, cjk_font() if font == "auto" else font)
    out = io.BytesIO()
    stamped.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return Photo(jpeg=out.getvalue(), width=stamped.width, height=stamped.height, sha256=sha)


def thumbnail(jpeg: bytes, side: int = 480) -> bytes:
    """A small JPEG copy (longest side ``side``) of a stored photo, for showing on the page."""
    img = Image.open(io.BytesIO(jpeg))
    img.draft("RGB", (side, side))
    img = img.convert("RGB")
    img.thumbnail((side, side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=80)
    return out.getvalue()


def stamp_lines(village: str, code: str, when: str, surveyor: str,
                position: Position | None = None, taken: str | None = None) -> list[str]:
    """The watermark text: village and code, time (the server's, when the photo arrived), the
    photo's own capture time from its EXIF when it has one (marked as such), surveyor, and the
    position when there is one (:class:`Position`: its source is said)."""
    lines = [f"{village} {code}", when]
    if taken:
        lines.append(f"拍摄 {taken}（照片EXIF）")
    lines.append(f"测评员 {surveyor}")
    if position is not None:
        lines.append(position.text())
    return lines


class Position(NamedTuple):
    """Where a photo was taken, for its watermark: WGS84 degrees, accuracy in metres (None when
    typed or unknown), and whose position it is: ``browser`` (the tablet's GPS), ``manual``
    (typed by the surveyor) or ``exif`` (the photo's own GPS tags)."""

    lon: float
    lat: float
    accuracy_m: float | None
    source: str

    def text(self) -> str:
        where = f"经度 {self.lon:.6f} 纬度 {self.lat:.6f}"
        if self.source == "exif":
            return f"{where}（照片EXIF）"
        if self.source == "manual" or self.accuracy_m is None:
            return f"{where}（手动输入）"
        return f"{where} ±{self.accuracy_m:.0f}米"
