"""Checks on uploaded images (request photos, a response team's site photo)."""

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

ALLOWED_IMAGE_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}


def photo_problem(upload: UploadedFile):
    """What is wrong with an uploaded photo (size, not an image, format), or None."""
    limit = settings.SANSHI_MAX_PHOTO_BYTES
    if upload.size is not None and upload.size > limit:
        return format_lazy(_("照片“{name}”超过{mb}MB"), name=upload.name, mb=limit // (1024 * 1024))
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            fmt = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return format_lazy(_("文件“{name}”不是图片"), name=upload.name)
    finally:
        upload.seek(0)
    if fmt not in ALLOWED_IMAGE_FORMATS:
        return format_lazy(_("文件“{name}”格式不支持（请上传JPG、PNG、WEBP或GIF）"), name=upload.name)
    return None
