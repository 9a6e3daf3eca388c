"""Intake: every channel lands here (诉求蓄水池). The request, its photos and its case (status
`received`, with its first event and audit row) are written together or not at all: one statement
on PostgreSQL (`sanshi.core.db.insert_together`), one transaction elsewhere."""

from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

from sanshi.audit.services import sealing_inline
from sanshi.core.crypto import lookup_hash, random_code
from sanshi.core.db import insert_together, reserve_ids, writing_together
from sanshi.core.errors import NotFound, ValidationFailed
from sanshi.core.i18n import stored_in_canonical_language
from sanshi.core.personal import normalise_phone
from sanshi.registry.selectors import forget_grid_ids, grid_for_address, grid_id_by_code
from sanshi.triage.services import suggest

from .channels import CHANNEL_OF, SubChannel
from .models import MAX_TEXT, Photo, Request

ALLOWED_IMAGE_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}


def new_tracking_code() -> str:
    """10 characters from 32 symbols: 2^50 codes, so a collision is not a practical concern; the
    unique index would refuse one (the resident then simply submits again)."""
    return random_code(10)


@dataclass(frozen=True)
class RequestInput:
    text: str
    title: str = ""
    sub_channel: str = SubChannel.WEB
    grid_code: str = ""
    address: str = ""
    reporter_name: str = ""
    reporter_phone: str = ""


def _validate(data: RequestInput, photos: list[UploadedFile]):
    errors: dict[str, str] = {}
    text = (data.text or "").strip()
    if not text:
        errors["text"] = _("请填写诉求内容")
    elif len(text) > MAX_TEXT:
        errors["text"] = format_lazy(_("诉求内容不能超过{limit}字（当前{n}字）"), limit=MAX_TEXT, n=len(text))
    if len(data.title or "") > 120:
        errors["title"] = _("标题不能超过120字")
    if data.sub_channel not in SubChannel.values:
        errors["channel"] = _("未知的来源渠道")
    if len(data.reporter_name or "") > 50:
        errors["reporter_name"] = _("姓名不能超过50字")
    if len(data.address or "") > 200:
        errors["address"] = _("地址不能超过200字")
    grid_id = None
    if data.grid_code:
        grid_id = grid_id_by_code(data.grid_code.strip())
        if grid_id is None:
            errors["grid"] = format_lazy(_("网格编码“{code}”不存在"), code=data.grid_code)
    elif data.address:
        grid = grid_for_address(data.address)
        grid_id = grid.pk if grid else None
    phone = ""
    try:
        phone = normalise_phone(data.reporter_phone)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if len(photos) > settings.SANSHI_MAX_PHOTOS:
        errors["photos"] = format_lazy(_("最多上传{n}张照片"), n=settings.SANSHI_MAX_PHOTOS)
    for upload in photos:
        problem = photo_problem(upload)
        if problem:
            errors["photos"] = problem
            break
    if errors:
        raise ValidationFailed(_("提交内容有误，请按提示修改"), errors=errors)
    return text, grid_id, phone


def photo_problem(upload: UploadedFile):
    """What is wrong with an uploaded photo (size, not an image, format), or None."""
    limit = settings.SANSHI_MAX_PHOTO_BYTES
    if upload.size > limit:
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


@stored_in_canonical_language
def request_submit(*, actor, data: RequestInput, photos: list[UploadedFile] | None = None) -> Request:
    """Validate and store a request with its case; return the request (case attached)."""
    photos = photos or []
    try:
        return _submit(actor=actor, data=data, photos=photos)
    except IntegrityError:
        # A grid deleted or re-coded by another process within the grid-code cache's lifetime
        # (its id no longer exists), or a tracking-code collision: nothing was stored. Once more,
        # asking the database: the resident gets "unknown grid" or a new code, never a 500.
        forget_grid_ids()
        return _submit(actor=actor, data=data, photos=photos)


def _submit(*, actor, data: RequestInput, photos: list[UploadedFile]) -> Request:
    from sanshi.cases.services import case_for_request, case_opening_rows

    text, grid_id, phone = _validate(data, photos)
    suggestion = suggest(text=text, title=data.title)
    request = Request(
        tracking_code=new_tracking_code(),
        title=(data.title or "").strip(),
        text=text,
        channel=CHANNEL_OF[SubChannel(data.sub_channel)],
        sub_channel=data.sub_channel,
        grid_id=grid_id,
        address=(data.address or "").strip(),
        reporter_name=(data.reporter_name or "").strip(),
        reporter_phone=phone,
        reporter_phone_hash=lookup_hash(phone),
        submitted_by=actor if getattr(actor, "is_authenticated", False) else None,
        received_at=timezone.now(),
        suggestion=suggestion.as_dict(),
    )
    case = case_for_request(request)
    photo_rows: list[Photo] = []
    try:
        # inline audit sealing takes the chain's lock, which lasts as long as a transaction
        with writing_together(transaction_needed=sealing_inline()):
            reserve_ids([case, request])
            request.case = case
            photo_rows = [Photo(request=request, image=upload) for upload in photos]  # the request's id is known now
            insert_together([case, request, *photo_rows, *case_opening_rows(actor=actor, case=case, request=request)])
    except BaseException:
        _delete_saved_files(photo_rows)  # the rows are not there: neither are their files
        raise
    return request


def _delete_saved_files(photo_rows: list[Photo]) -> None:
    """Files that saving the rows wrote to storage (an image field writes its file before the INSERT)."""
    for row in photo_rows:
        if row.image and row.image._committed and row.image.name:
            row.image.storage.delete(row.image.name)


def reporter_phone_reveal(*, actor, case, request_id: int, reason: str) -> str:
    """Show one reporter's full phone number to staff who can see the case, for a stated reason;
    the reveal is written to the audit trail (never the number itself)."""
    from sanshi.cases.permissions import can_see_case

    if not (reason or "").strip():
        raise ValidationFailed(_("查看完整号码需要填写理由"), errors={"reason": _("请填写查看理由")})
    request = case.requests.filter(pk=request_id).first()
    if request is None or not can_see_case(actor, case):
        raise NotFound(_("诉求不存在"))
    _audit_reveal(actor=actor, request=request, reason=reason)
    return request.reporter_phone


def _audit_reveal(*, actor, request, reason: str) -> None:
    from sanshi.audit.services import audit_record

    with transaction.atomic():
        audit_record(event="personal_data.reveal", actor=actor, obj_type="request", obj_id=str(request.pk))


ANONYMISE_EVENT = "personal_data.anonymise"


def requests_anonymise_closed(*, now=None) -> int:
    """Erase the reporter's name, phone (and its lookup hash) and address from requests whose case
    closed more than SANSHI_ANONYMISE_AFTER_DAYS days ago. One transaction; one audit row with the
    count (no personal data). Returns how many requests were anonymised."""
    from datetime import timedelta

    from django.db.models import Q

    from sanshi.audit.services import audit_lock, audit_record
    from sanshi.cases.models import Status

    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.SANSHI_ANONYMISE_AFTER_DAYS)
    with transaction.atomic():
        audit_lock()  # the audit lock first, as every audited transaction takes it
        pks = list(Request.objects.select_for_update()
                   .filter(case__status=Status.CLOSED, case__closed_at__lt=cutoff)
                   .filter(Q(reporter_name__gt="") | Q(reporter_phone_hash__gt="") | Q(address__gt=""))
                   .values_list("pk", flat=True))
        if pks:
            Request.objects.filter(pk__in=pks).update(reporter_name="", reporter_phone="", reporter_phone_hash="",
                                                      address="")
        audit_record(event=ANONYMISE_EVENT, obj_type="requests_anonymised", obj_id=str(len(pks)))  # a count
    return len(pks)
