"""An uploaded file (a request's photo, a team's site photo, a ballot's scan) answered to a browser.
The views that call this have already found the file through the user's scope; this only answers
it so that no browser keeps it or reads it as anything but an image or a PDF (docs/security.md,
"Uploaded photos")."""

from pathlib import PurePosixPath

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, HttpResponse
from django.utils.translation import gettext as _

# what is stored is re-encoded (core.images) under the extension of the format found; a PDF scan is
# kept as it is. Anything else (a file stored before re-encoding, under the name it came with) is
# never shown in the browser: it is offered as a download of opaque bytes.
CONTENT_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".webp": "image/webp",
                 ".gif": "image/gif", ".pdf": "application/pdf"}
OPAQUE = "application/octet-stream"


def private_file(stored: FieldFile) -> HttpResponse:
    """The file's bytes, typed by its extension from a short list; never cached (`private, no-store`:
    it is personal data and the next user of a shared computer must not find it), never sniffed."""
    suffix = PurePosixPath(stored.name or "").suffix.lower()
    content_type = CONTENT_TYPES.get(suffix, OPAQUE)
    try:
        handle = stored.storage.open(stored.name, "rb")
    except OSError:
        # the record is there, the file is not (a restore without the photos' tar): not a refusal
        response = HttpResponse(_("这个文件已不在存储中，请联系系统管理员从备份中恢复照片。"),
                                content_type="text/plain; charset=utf-8", status=410)
    else:
        opaque = content_type == OPAQUE
        response = FileResponse(handle, content_type=content_type, as_attachment=opaque,
                                filename="file.bin" if opaque else PurePosixPath(stored.name).name)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
