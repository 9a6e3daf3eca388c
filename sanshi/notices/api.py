"""The notice board in the API (mounted by sanshi.api.api under /api/v1). Anyone, without a token:
the notices (filters `node`, `kind`, `open`; `limit`/`offset`), one notice, and a comment or an
objection during the period (per address: SANSHI_RATE_NOTICE_COMMENT, shared with the page). Staff,
with a token: the comments waiting for their decision and the decision. The same services as the
pages; 400 with field errors, 403 / 404 as for cases, 409 when the period or the state refuses."""

from datetime import datetime

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django_ratelimit.core import get_usage
from ninja import Field, Query, Router, Schema, Status
from ninja.throttling import BaseThrottle

from sanshi.accounts.auth import staff
from sanshi.accounts.idempotency import idempotent
from sanshi.accounts.throttling import AnonymousRate, client_ip
from sanshi.core.errors import ValidationFailed
from sanshi.core.schemas import public_errors, router_errors
from sanshi.votes.api import VoteOut

from .selectors import board, comment_for_staff, moderation_queue, node_by_code, notice_public, notice_summary
from .services import comment_moderate, comment_submit

router = Router(tags=["notices"])


class NodeOut(Schema):
    code: str
    name: str
    level: str = Field(..., description="district / street / community / grid")


class CommentOut(Schema):
    id: int
    kind: str = Field(..., description="comment 意见建议；objection 异议")
    status: str = Field(..., description="published 已公开；accepted 异议成立")
    name: str = Field(..., description="称呼，只显示姓氏（张*）；未留为空")
    text: str
    reply: str = Field(..., description="异议成立时工作人员的说明")
    created_at: datetime


class ProgressOut(Schema):
    at: datetime
    action: str
    label: str
    note: str


class NoticeOut(Schema):
    id: int
    case_number: str
    kind: str = Field(..., description="PUBLIC 公事；SHARED 共事")
    title: str = Field(..., description="事项（不含个人信息：号码打码，姓名显示为张*）")
    node: NodeOut
    published_at: datetime
    objection_until: datetime = Field(..., description="异议期截止（工作日，按节假日日历）；此后才能提请评价")
    open: bool = Field(..., description="现在是否在异议期内")
    status: str = Field(..., description="posted 公示中；concluded 公示结束（已提请评价）；reopened 异议成立·重新议事")
    case_status: str
    resolution: str
    result: str
    text: str = Field(..., description="公示内容")
    comments: list[CommentOut] = Field(..., description="审核公开的意见和成立的异议")
    vote: VoteOut | None = Field(..., description="议定事项的业主表决（与 GET /votes/{id} 相同）；没有为 null")


class NoticeDetailOut(NoticeOut):
    progress: list[ProgressOut]


class CommentIn(Schema):
    kind: str = Field("comment", description="comment 意见建议；objection 异议")
    text: str = Field(..., description="内容，必填，最多1000字")
    name: str = Field("", description="称呼（可选，公开时显示为张*）")
    phone: str = Field("", description="联系电话（可选，仅审核人员可见）")


class CommentCreated(Schema):
    id: int
    status: str = Field(..., description="pending：待审核，审核后公开")


class PendingOut(Schema):
    id: int
    notice: int
    case_number: str
    kind: str
    text: str
    created_at: datetime


class ModerationIn(Schema):
    decision: str = Field(..., description="publish 公开；hide 不予公开（须写理由）；accept 异议成立（事项退回重新议事）")
    reason: str = ""


class ModerationOut(Schema):
    id: int
    status: str
    case_status: str


class CommentRate(BaseThrottle):
    """Comments per client address, counted with the page's (django-ratelimit's group "notice-comment")."""

    def allow_request(self, request) -> bool:
        usage = get_usage(request, group="notice-comment", key=lambda group, req: client_ip(req),
                          rate=lambda group, req: settings.SANSHI_RATE_NOTICE_COMMENT, method="POST", increment=True)
        self.retry_after = max(1, usage["time_left"]) if usage is not None and usage["should_limit"] else None
        return self.retry_after is None

    def wait(self) -> float | None:
        return self.retry_after


def _flag(value: str) -> bool | None:
    if value in ("", None):
        return None
    if value.lower() in ("1", "true", "yes"):
        return True
    if value.lower() in ("0", "false", "no"):
        return False
    raise ValidationFailed(_("参数有误"), errors={"open": _("open 只能是 true 或 false")})


@router.get("/notices", response={200: list[NoticeOut], **public_errors()}, auth=None,
            summary="张榜公示（公开）：筛选 node（社区或街道编码，含下级）、kind、open（异议期内）")
def list_notices(request, node: str = Query("", max_length=40), kind: str = Query("", max_length=16),
                 open: str = Query("", max_length=5), limit: int = Query(20, ge=1, le=100),  # noqa: A002
                 offset: int = Query(0, ge=0, le=1_000_000)):
    errors = {}
    if kind and kind not in ("PUBLIC", "SHARED"):
        errors["kind"] = _("kind 只能是 PUBLIC 或 SHARED")
    where = node_by_code(node)
    if node and where is None:
        errors["node"] = _("没有这个社区或街道编码")
    if errors:
        raise ValidationFailed(_("参数有误"), errors=errors)
    notices = board(node=where, kind=kind, open_only=_flag(open))[offset:offset + limit]
    return [notice_summary(n) for n in notices]


@router.get("/notices/{notice_id}", response={200: NoticeDetailOut, **public_errors(404)}, auth=None,
            summary="一条公示（公开）：含办理进展、业主表决和公开的意见")
def notice_detail(request, notice_id: int):
    return notice_summary(notice_public(notice_id), with_progress=True)


@router.post("/notices/{notice_id}/comments", response={201: CommentCreated, **public_errors(404, 409)}, auth=None,
             summary="对公示提出意见或异议（公开，异议期内；审核后公开）", throttle=[AnonymousRate(), CommentRate()])
@idempotent
def create_comment(request, notice_id: int, payload: CommentIn):
    comment = comment_submit(actor=request.user, notice=notice_public(notice_id), kind=payload.kind,
                             text=payload.text, name=payload.name, phone=payload.phone)
    return Status(201, {"id": comment.pk, "status": comment.status})


@router.get("/notice-comments", response={200: list[PendingOut], **router_errors()}, auth=staff,
            summary="待我审核的公示意见")
def pending_comments(request):
    return [{"id": c.pk, "notice": c.notice_id, "case_number": c.notice.case.number or "", "kind": c.kind,
             "text": c.text, "created_at": c.created_at} for c in moderation_queue(request.auth)]


@router.post("/notice-comments/{comment_id}/moderation", response={200: ModerationOut, **router_errors(403, 404, 409)},
             auth=staff, summary="审核公示意见：公开、不予公开、异议成立（事项退回重新议事）")
@idempotent
def moderate_comment(request, comment_id: int, payload: ModerationIn):
    comment = comment_for_staff(request.auth, comment_id)
    comment_moderate(actor=request.auth, comment=comment, decision=payload.decision, reason=payload.reason)
    comment.notice.case.refresh_from_db(fields=["status"])
    return {"id": comment.pk, "status": comment.status, "case_status": comment.notice.case.status}
