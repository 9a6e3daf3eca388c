"""Intake: every channel lands here (诉求蓄水池). The request, its photos and its case (status
`received`, with its first event and audit row) are written together or not at all: one
transaction. What intake does when a case moves elsewhere — record the operator's triage decision
for learning, move a merged case's requests, feed the result back to every reporter on closing —
is registered on those moves (`intake.hooks`)."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from sanshi.audit.services import audit_lock, audit_record
from sanshi.cases import scope
from sanshi.cases.models import Case, Status
from sanshi.cases.services import case_opened, case_opening_rows, record_event
from sanshi.cases.transitions import StrOrPromise, TimelineEvent
from sanshi.core.crypto import lookup_hash, random_code
from sanshi.core.errors import NotFound, NotPermitted, ValidationFailed
from sanshi.core.i18n import stored_in_canonical_language
from sanshi.core.images import delete_stored, photo_problem, store_image
from sanshi.core.notify import sms_to_reporter
from sanshi.core.personal import normalise_phone
from sanshi.registry.models import OrgNode, Role
from sanshi.registry.selectors import forget_grid_ids, grid_for_address, grid_id_by_code
from sanshi.triage.services import suggest

from .channels import ASSIGNED_SUB_CHANNELS, CHANNEL_OF, PUBLIC_SUB_CHANNELS, SubChannel, sub_channel_label
from .models import MAX_TEXT, Photo, Request

# who registers requests for residents on the staff page (a mediator too: 大调解 hears disputes)
SUBMIT_ROLES = frozenset(scope.AREA_ROLES | {Role.MEDIATOR})


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


def _validate(actor, data: RequestInput, photos: list[UploadedFile]):
    errors: dict[str, StrOrPromise] = {}
    text = (data.text or "").strip()
    if not text:
        errors["text"] = _("请填写诉求内容")
    elif len(text) > MAX_TEXT:
        errors["text"] = format_lazy(_("诉求内容不能超过{limit}字（当前{n}字）"), limit=MAX_TEXT, n=len(text))
    if len(data.title or "") > 120:
        errors["title"] = _("标题不能超过120字")
    if data.sub_channel not in SubChannel.values:
        errors["channel"] = _("未知的来源渠道")
    elif data.sub_channel not in claimable_channels(actor):
        errors["channel"] = format_lazy(_("“{channel}”渠道只能由工作人员或热线系统提交"),
                                        channel=sub_channel_label(data.sub_channel))
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


def is_staff_submission(actor) -> bool:
    """Staff registering a request for a resident (not the resident, not a hotline system)."""
    if not getattr(actor, "is_authenticated", False):
        return False
    return bool({r.role for r in scope.roles_of(actor)} & SUBMIT_ROLES) or bool(getattr(actor, "is_superuser", False))


def claimable_channels(actor) -> list[str]:
    """The sub-channels `actor` may submit on: a resident (no account) the public ones; a hotline or
    12345 system (intake_client token) the assigned ones; staff who register requests every one."""
    if is_staff_submission(actor):
        return list(SubChannel.values)
    roles = {r.role for r in scope.roles_of(actor)} if getattr(actor, "is_authenticated", False) else set()
    allowed = [str(c) for c in PUBLIC_SUB_CHANNELS]
    if Role.INTAKE_CLIENT in roles:
        allowed += [str(c) for c in ASSIGNED_SUB_CHANNELS]
    return allowed


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
    text, grid_id, phone = _validate(actor, data, photos)
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
    stored = [store_image(upload, "requests") for upload in photos]  # re-encoded, random names
    in_callers_transaction = connection.in_atomic_block
    try:
        with transaction.atomic():
            if in_callers_transaction and connection.vendor == "sqlite" and grid_id is not None \
                    and not OrgNode.objects.filter(pk=grid_id).exists():
                # SQLite checks a foreign key only when the outermost transaction commits: inside a
                # caller's (the report form's one-time token) a grid deleted by another process would
                # fail past the retry below. The caller holds the write lock (BEGIN IMMEDIATE): look now
                raise IntegrityError("the grid is gone")
            case = case_opened(title=request.title or text[:40], grid_id=grid_id, suggestion=request.suggestion,
                               received_at=request.received_at)
            case.save(force_insert=True)
            request.case = case
            request.save(force_insert=True)
            for name in stored:
                Photo(request=request, image=name).save(force_insert=True)
            for row in case_opening_rows(actor=actor, case=case, received_at=request.received_at,
                                         public_note=f"诉求已受理（{sub_channel_label(request.sub_channel)}）",
                                         data={"request": request.pk, "channel": request.channel}):
                row.save(force_insert=True)
            if phone and is_staff_submission(actor):  # staff never see the code: it goes to the resident
                sms_to_reporter(request=request, kind="tracking_code",
                                text=f"您反映的问题已登记（事项 {case.number}），查询码 {request.tracking_code}，"
                                     "可在 /track/ 查看办理进度。")
    except BaseException:
        delete_stored(stored)  # the rows are not there: neither are their files
        raise
    return request


def reporter_phone_reveal(*, actor, case: Case, request_id: int, reason: str) -> str:
    """Show one reporter's full phone number to the handler of the case (its body's convener, who
    carries it on, its grid's worker, the team dispatched to it), for a stated reason. The reason is
    kept in the audit row (on the hash chain) and the reveal — who asked and why — on the case's
    staff timeline; never the number itself."""
    if not scope.can_see(actor, case):
        raise NotFound(_("诉求不存在"))
    request = Request.objects.filter(pk=request_id, case=case).first()
    if request is None:
        raise NotFound(_("诉求不存在"))
    if not scope.is_handler(actor, case):
        raise NotPermitted(_("只有承办该事项的工作人员可以查看完整号码"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("查看完整号码需要填写理由"), errors={"reason": _("请填写查看理由")})
    if len(reason) > 200:
        raise ValidationFailed(_("理由太长"), errors={"reason": _("理由最多200字")})
    with transaction.atomic():
        roles = [r for r in scope.roles_of(actor) if scope.RULES.test_rule("reveal", r, case)]
        role = roles[0] if roles else None
        record_event(case=case, event=TimelineEvent.PHONE_REVEAL, actor=actor,
                     actor_label=role.get_role_display() if role else "工作人员", note=reason,
                     public_note="", data={"request": request.pk},
                     audit={"event": "personal_data.reveal", "obj_type": "request", "obj_id": str(request.pk),
                            "role": role.role if role else "", "node": role.node.code if role else "",
                            "reason": reason})
    return request.reporter_phone


ANONYMISE_EVENT = "personal_data.anonymise"
ANONYMISE_JOB = "personal_data.anonymise"


def requests_anonymise_closed(*, now=None) -> int:
    """Erase the reporter's name, phone (and its lookup hash) and address from requests whose case
    closed more than SANSHI_ANONYMISE_AFTER_DAYS days ago. One transaction; one audit row with the
    count (no personal data). Returns how many requests were anonymised."""
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
