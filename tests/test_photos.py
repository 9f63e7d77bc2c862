"""Photo evidence: upright, downscaled, hashed, watermarked JPEG; HEIC accepted."""

import hashlib
import io

import pytest
from PIL import Image, ImageChops

from core.errors import DataError
from survey import photos

LINES = photos.stamp_lines("李庄村", "429901100001", "2026-05-20 10:31", "王芳")


def encode(img: Image.Image, fmt: str, **kw) -> bytes:
    out = io.BytesIO()
    img.save(out, fmt, **kw)
    return out.getvalue()


def decode(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    assert img.format == "JPEG"
    return img.convert("RGB")


def test_large_photo_is_downscaled_to_1600_and_keeps_the_original_hash():
    original = encode(Image.new("RGB", (4000, 3000), (90, 140, 60)), "JPEG", quality=95)
    photo = photos.prepare(original, LINES)
    assert (photo.width, photo.height) == (1600, 1200)
    assert decode(photo.jpeg).size == (1600, 1200)
    assert photo.sha256 == hashlib.sha256(original).hexdigest()
    assert len(photo.jpeg) < len(original)


def test_small_photo_is_not_enlarged_and_png_with_alpha_becomes_jpeg():
    original = encode(Image.new("RGBA", (640, 480), (200, 10, 10, 128)), "PNG")
    photo = photos.prepare(original, LINES)
    assert (photo.width, photo.height) == (640, 480)
    assert decode(photo.jpeg).getpixel((10, 10))[0] > 200  # composited over white, not black


def test_exif_orientation_is_applied():
    img = Image.new("RGB", (400, 200), (255, 0, 0))
    img.paste((0, 0, 255), (200, 0, 400, 200))  # left red, right blue
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    photo = photos.prepare(encode(img, "JPEG", exif=exif.tobytes(), quality=95), LINES)
    upright = decode(photo.jpeg)
    assert upright.size == (200, 400)
    # after a clockwise turn the left (red) half is on top
    r, _, b = upright.getpixel((100, 20))
    assert r > 200 and b < 60


def _band_changed(font) -> tuple[Image.Image, Image.Image]:
    plain = Image.new("RGB", (1200, 900), (128, 128, 128))
    stamped = decode(photos.prepare(encode(plain, "PNG"), LINES, font=font).jpeg)
    return plain, stamped


@pytest.mark.parametrize("which", ["cjk", "builtin"])
def test_watermark_darkens_the_bottom_band_and_writes_text(which):
    font = photos.cjk_font() if which == "cjk" else None
    if which == "cjk" and font is None:
        pytest.skip("no CJK font on this machine (fonts-noto-cjk)")
    plain, stamped = _band_changed(font)
    top = ImageChops.difference(plain.crop((0, 0, 1200, 500)), stamped.crop((0, 0, 1200, 500)))
    assert max(hi for _, hi in top.getextrema()) < 16  # the picture itself is untouched
    band = stamped.crop((0, 760, 1200, 900)).convert("L")
    low, high = band.getextrema()
    assert low < 100 and high > 200  # dark band with white letters


def test_cjk_font_draws_real_chinese_glyphs():
    font = photos.cjk_font()
    if font is None:
        pytest.skip("no CJK font on this machine (fonts-noto-cjk)")
    base = Image.new("RGB", (600, 300), (128, 128, 128))
    a = photos.watermark(base, ["李庄村"], font)
    b = photos.watermark(base, ["张家湾"], font)
    assert ImageChops.difference(a, b).getbbox() is not None  # distinct glyphs, not boxes


def test_heic_is_accepted():
    pillow_heif = pytest.importorskip("pillow_heif")
    img = Image.new("RGB", (2400, 1800), (30, 90, 160))
    out = io.BytesIO()
    try:
        pillow_heif.from_pillow(img).save(out, format="HEIF", quality=80)
    except (ValueError, RuntimeError) as exc:  # libheif built without an encoder
        pytest.skip(f"pillow_heif cannot write HEIC here: {exc}")
    photo = photos.prepare(out.getvalue(), LINES, filename="IMG_0001.HEIC")
    assert (photo.width, photo.height) == (1600, 1200)
    r, _g, b = decode(photo.jpeg).getpixel((800, 300))
    assert b > 120 and r < 70


def test_not_a_picture_is_a_data_error_in_chinese():
    with pytest.raises(DataError) as exc:
        photos.prepare(b"%PDF-1.4 not a photo", LINES, filename="报告.pdf")
    assert "报告.pdf" in str(exc.value) and "无法识别的图片" in str(exc.value)


def test_without_any_cjk_font_the_builtin_font_still_stamps(monkeypatch):
    monkeypatch.setattr(photos.shutil, "which", lambda name: None)
    monkeypatch.setattr(photos, "KNOWN_CJK_FONTS", ())
    photos.cjk_font.cache_clear()
    try:
        assert photos.cjk_font() is None
        plain = Image.new("RGB", (800, 600), (128, 128, 128))
        stamped = decode(photos.prepare(encode(plain, "PNG"), LINES).jpeg)
        assert stamped.crop((0, 500, 800, 600)).convert("L").getextrema()[1] > 200
    finally:
        photos.cjk_font.cache_clear()


def test_thumbnail_is_a_small_jpeg_of_the_stored_photo():
    stored = photos.prepare(encode(Image.new("RGB", (4000, 3000), (10, 200, 10)), "JPEG"), LINES)
    small = decode(photos.thumbnail(stored.jpeg))
    assert small.size == (480, 360)
    assert small.getpixel((240, 50))[1] > 180
