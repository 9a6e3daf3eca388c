"""Uploaded photos are checked and re-encoded into new files: a random name with the extension of the
format found, no metadata, only pixels — a script hidden behind an image header never comes back,
and an image of absurd dimensions (a decompression bomb) is refused with a clear message."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from sanshi.intake.models import Photo, Request


def _gif_with_script() -> bytes:
    buffer = io.BytesIO()
    Image.new("P", (4, 4), 1).save(buffer, format="GIF")
    return buffer.getvalue() + b"<script>alert(document.cookie)</script>"


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (16, 16), "blue")
    exif = Image.Exif()
    exif[0x8825] = {2: (29.0, 31.0, 12.0), 4: (106.0, 33.0, 0.0)}  # GPSInfo: latitude, longitude
    exif[0x010F] = "PhoneMaker"  # Make
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


def _report(client, *files):
    return client.post("/report/", {"text": "楼道里堆满杂物，堵住了消防通道", "sub_channel": "web", "photos": list(files)})


def test_a_script_behind_an_image_header_is_stored_as_a_plain_png_under_a_random_name(world, client):
    response = _report(client, SimpleUploadedFile("poly.html", _gif_with_script(), content_type="text/html"))
    assert response.status_code == 302
    photo = Photo.objects.get()
    assert photo.image.name.endswith(".png") and "poly" not in photo.image.name
    data = photo.image.read()
    assert b"<script>" not in data and data.startswith(b"\x89PNG")


def test_exif_and_gps_are_stripped(world, client):
    original = _jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif()  # given: the upload carries EXIF with GPS
    _report(client, SimpleUploadedFile("IMG_0001.jpg", original, content_type="image/jpeg"))
    stored = Photo.objects.get().image
    assert stored.name.endswith(".jpg") and "IMG_0001" not in stored.name
    assert not Image.open(stored).getexif()


def test_an_image_of_too_many_pixels_is_refused_with_a_message_and_nothing_is_stored(world, client, settings):
    settings.SANSHI_MAX_IMAGE_PIXELS = 1_000_000
    buffer = io.BytesIO()
    Image.new("1", (2000, 2000)).save(buffer, format="PNG")  # 4 Mpx in a few hundred bytes
    response = _report(client, SimpleUploadedFile("big.png", buffer.getvalue(), content_type="image/png"))
    assert response.status_code == 400 and "像素过多" in response.content.decode()
    assert not Request.objects.exists() and not Photo.objects.exists()


def test_a_decompression_bomb_is_refused_not_a_500(world, client):
    buffer = io.BytesIO()
    Image.new("1", (30000, 30000)).save(buffer, format="PNG")  # 900 Mpx, ~100 KB: Pillow's bomb error
    response = _report(client, SimpleUploadedFile("bomb.png", buffer.getvalue(), content_type="image/png"))
    assert response.status_code == 400 and "像素过多" in response.content.decode()
    assert not Request.objects.exists()
