"""Uploaded images (request photos, a response team's site photo): checked, then re-encoded into a
new file — a random name, the extension of the format found, no metadata (EXIF GPS is personal
data) — so that what is stored is only ever pixels, whatever the upload claimed to be."""

import io
import secrets

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

ALLOWED_IMAGE_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
# what each format is stored as: a GIF keeps its first frame only, as a PNG (no script, no animation)
STORED_AS = {"JPEG": ("JPEG", "jpg"), "PNG": ("PNG", "png"), "WEBP": ("WEBP", "webp"), "GIF": ("PNG", "png")}


def _pixels_limit() -> int:
    return settings.SANSHI_MAX_IMAGE_PIXELS


def photo_problem(upload: UploadedFile):
    """What is wrong with an uploaded photo (size, not an image, format, too many pixels), or None."""
    limit = settings.SANSHI_MAX_PHOTO_BYTES
    name = upload.name or ""
    if upload.size is not None and upload.size > limit:
        return format_lazy(_("照片“{name}”超过{mb}MB"), name=name, mb=limit // (1024 * 1024))
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            fmt, (width, height) = image.format, image.size
            if width * height > _pixels_limit():
                return format_lazy(_("照片“{name}”像素过多（{w}×{h}），请缩小到{mp}百万像素以内"), name=name,
                                   w=width, h=height, mp=_pixels_limit() // 1_000_000)
            image.verify()
    except Image.DecompressionBombError:
        return format_lazy(_("照片“{name}”像素过多，请缩小后再上传"), name=name)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return format_lazy(_("文件“{name}”不是图片"), name=name)
    finally:
        upload.seek(0)
    if fmt not in ALLOWED_IMAGE_FORMATS:
        return format_lazy(_("文件“{name}”格式不支持（请上传JPG、PNG、WEBP或GIF）"), name=name)
    return None


def reencoded(upload: UploadedFile) -> tuple[bytes, str]:
    """The image's pixels written anew (no EXIF, no comments, no trailing bytes) and the extension
    to store it under. Call after `photo_problem` found nothing."""
    upload.seek(0)
    with Image.open(upload) as image:
        fmt, ext = STORED_AS[image.format or "PNG"]
        image.seek(0)
        pixels = image.convert("RGB") if fmt == "JPEG" and image.mode not in ("RGB", "L") else image
        if fmt == "PNG" and pixels.mode not in ("RGB", "RGBA", "L", "LA", "P"):
            pixels = pixels.convert("RGBA")
        out = io.BytesIO()
        pixels.save(out, format=fmt, **({"quality": 90} if fmt in ("JPEG", "WEBP") else {}))
    upload.seek(0)
    return out.getvalue(), ext


def store_image(upload: UploadedFile, folder: str) -> str:
    """Re-encode `upload` and save it under `folder/YYYY/MM/<random>.<ext>`; return the stored name."""
    data, ext = reencoded(upload)
    path = f"{folder}/{timezone.localdate():%Y/%m}/{secrets.token_urlsafe(16)}.{ext}"
    return default_storage.save(path, ContentFile(data))


def delete_stored(names: list[str]) -> None:
    """Remove files stored for rows that were not written (the transaction rolled back)."""
    for name in names:
        default_storage.delete(name)
