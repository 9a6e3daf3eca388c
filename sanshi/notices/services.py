"""Every write of the notice board (张榜公示). A notice is posted when a case is publicised (the
case's move runs `notice_post`, registered in hooks.py), concluded when evaluation is requested
after the objection period, reopened when staff uphold an objection. Residents comment or object
during the period (`comment_submit`); the case's handlers moderate (`comment_moderate`: publish,
hide with a reason, or uphold an objection, which sends the matter back to deliberation through
the case's own `transition()` — one transaction, one timeline event).

The period guard (`notice_period_guard`) runs inside `transition()` before a request for
evaluation: refused (409, with the end date) while the period runs or an objection waits.

Lock order, as everywhere: the audit chain's lock, then the case row, then the notice, then the
comment."""

import re
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from sanshi.audit.services import audit_lock, audit_record
from sanshi.cases import scope
from sanshi.cases.models import Case, CaseEvent
from sanshi.cases.services import stored_label, transition
from sanshi.cases.transitions import Action
from sanshi.core.errors import NotFound, TransitionNotAllowed, ValidationFailed
from sanshi.core.i18n import stored_in_canonical_language
from sanshi.core.notify import notify
from sanshi.core.personal import mask_name, normalise_phone
from sanshi.supervision.services import deadline_after
from sanshi.votes.models import Vote

from .models import Comment, Notice, NoticeEvent
from .selectors import current_notice, evaluation_wait, known_names, local_text, public_text
from .transitions import (
    DECISIONS,
    CommentKind,
    CommentStatus,
    NoticeAction,
    NoticeStatus,
    find_comment_move,
    find_notice_move,
)

DEFAULT_PERIOD_DAYS = 5
KINDS_WITH_NOTICE = ("PUBLIC", "SHARED")
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")


# ---- the objection period -------------------------------------------------------------------------

def period_days(kind: str) -> int:
    """Working days of a notice's objection period for `kind`, from SANSHI_NOTICE_PERIOD_DAYS
    ("PUBLIC=5,SHARED=5"; a kind not named: 5)."""
    return notice_periods().get(kind, DEFAULT_PERIOD_DAYS)


def notice_periods() -> dict[str, int]:
    periods: dict[str, int] = {}
    for part in str(settings.SANSHI_NOTICE_PERIOD_DAYS or "").split(","):
        if not part.strip():
            continue
        kind, sep, days = part.partition("=")
        kind = kind.strip().upper()
        if not sep or kind not in KINDS_WITH_NOTICE or not days.strip().isdigit():
            raise ImproperlyConfigured(
                f"SANSHI_NOTICE_PERIOD_DAYS: {part.strip()!r} is not KIND=DAYS (PUBLIC or SHARED, whole days)")
        periods[kind] = int(days.strip())
    return periods


def period_open(notice: Notice, now: datetime | None = None) -> bool:
    return notice.status == NoticeStatus.POSTED and (now or timezone.now()) <= notice.objection_until


# ---- the two guarded moves ---------------------------------------------------------------------

def _notice_move(notice: Notice, action: str, *, actor=None, actor_label: str = "", note: str = "") -> NoticeEvent:
    """Move `notice` by `action` if its table allows it; save it and write its event row. The
    caller holds the transaction (and the notice's row lock)."""
    move = find_notice_move(action, notice.status)
    if move is None:
        raise TransitionNotAllowed(format_lazy(_("公示当前状态「{status}」不能执行「{action}」"),
                                               status=NoticeStatus(notice.status).label if notice.status else "—",
                                               action=NoticeAction(action).label))
    notice.status = move.target
    notice.save()
    return NoticeEvent.objects.create(notice=notice, action=str(action), from_status=move.source, to_status=move.target,
                                      actor=_user(actor), actor_label=actor_label or _label(actor),
                                      at=timezone.now(), note=note[:200])


def _comment_move(comment: Comment, action: str, *, actor=None, actor_label: str = "", note: str = "") -> NoticeEvent:
    move = find_comment_move(action, comment.status, comment.kind)
    if move is None:
        raise TransitionNotAllowed(format_lazy(_("该条意见当前状态「{status}」不能执行「{action}」"),
                                               status=CommentStatus(comment.status).label if comment.status else "—",
                                               action=NoticeAction(action).label))
    comment.status = move.target
    comment.save()
    return NoticeEvent.objects.create(notice_id=comment.notice_id, comment=comment, action=str(action),
                                      from_status=move.source, to_status=move.target, actor=_user(actor),
                                      actor_label=actor_label or _label(actor), at=timezone.now(), note=note[:200])


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _label(actor) -> str:
    return "工作人员" if getattr(actor, "is_authenticated", False) else "居民"


# ---- posting, concluding, reopening (the case's moves) -----------------------------------------

def latest_vote(case: Case) -> Vote | None:
    """The owners' vote on the case's latest resolution put to them, if any (open or closed)."""
    return (Vote.objects.filter(agenda_item__case=case).exclude(status="").order_by("-opened_at", "-id").first())


def notice_post(*, actor, case: Case, event: CaseEvent) -> Notice:
    """张榜公示: the notice of a case just publicised (run inside the publicise move's transaction):
    the matter, its resolution, its result and the notice text, masked for everyone; the owners'
    vote on it if there was one; the objection period from now, per kind, in working days."""
    fresh = Case.objects.select_related("org", "grid").get(pk=case.pk)
    names = known_names(fresh)
    with transaction.atomic():
        notice = Notice(case=fresh, event=event, node=fresh.org or fresh.grid, kind=fresh.kind,
                        title=public_text(fresh.title, names)[:120], resolution=public_text(fresh.resolution, names),
                        result=public_text(fresh.result, names), text=public_text(fresh.notice, names),
                        vote=latest_vote(fresh), published_at=event.at,
                        objection_until=deadline_after(event.at, period_days(fresh.kind)), status="")
        _notice_move(notice, NoticeAction.POST, actor=actor, actor_label=event.actor_label)
    return notice


def notice_period_guard(*, case: Case, action: str, actor) -> None:
    """Before a request for evaluation (inside `transition()`, the case row locked): refused while
    the notice's objection period runs — the answer names its end — or while an objection waits
    for moderation (`selectors.evaluation_wait`)."""
    reason = evaluation_wait(current_notice(case, lock=True))
    if reason:
        raise TransitionNotAllowed(reason)


def notice_conclude(*, actor, case: Case, event: CaseEvent) -> None:
    """Evaluation requested after the period: the notice's period is over, and what commenters left
    about themselves on the case's notices has served its purpose (staff checking an objection)."""
    notice = current_notice(case, lock=True)
    if notice is not None:
        _notice_move(notice, NoticeAction.CONCLUDE, actor=actor, actor_label=event.actor_label)
        comments_forget_contacts(case)


def comments_forget_contacts(case: Case) -> int:
    """Erase the phones commenters left on the case's notices and keep their names only as the board
    shows them (王**), with one audit row giving the count (PIPL: no longer than the purpose needs).
    Run inside the caller's transaction (the audit lock held). Returns how many comments."""
    rows = list(Comment.objects.filter(notice__case_id=case.pk)
                .filter(Q(phone__gt="") | (Q(name__gt="") & ~Q(name__endswith="*"))).only("pk", "name"))
    for comment in rows:
        Comment.objects.filter(pk=comment.pk).update(phone="", name=mask_name(comment.name))
    if rows:
        audit_record(event="personal_data.anonymise", obj_type="notice_comments", obj_id=str(len(rows)))
    return len(rows)


def notice_reopen(*, actor, case: Case, event: CaseEvent) -> None:
    """An objection upheld: the matter goes back to deliberation; a new notice follows its new result."""
    notice = current_notice(case, lock=True)
    if notice is not None:
        _notice_move(notice, NoticeAction.REOPEN, actor=actor, actor_label=event.actor_label, note=event.note)


# ---- residents' comments and objections ----------------------------------------------------------

def _limit(field: str) -> int:
    return int(getattr(Comment._meta.get_field(field), "max_length", 0) or 0)


def comment_validate(*, kind: str, text: str, name: str, phone: str) -> dict:
    """The comment's fields, cleaned; ValidationFailed with a message per field otherwise (the page's
    form and the API's schema say the same, from the model's limits)."""
    errors: dict = {}
    text, name = (text or "").strip(), (name or "").strip()
    if kind not in CommentKind.values:
        errors["kind"] = _("请选择“意见建议”或“异议”")
    for field, value in (("text", text), ("name", name), ("phone", phone or "")):
        if _UNSTORABLE.search(value):
            errors[field] = _("包含无法处理的字符，请删除后重试")
    if "text" not in errors:
        if not text:
            errors["text"] = _("请填写意见内容")
        elif len(text) > _limit("text"):
            errors["text"] = format_lazy(_("意见内容最多{n}字（现在{m}字）"), n=_limit("text"), m=len(text))
    if "name" not in errors and len(name) > _limit("name"):
        errors["name"] = format_lazy(_("称呼最多{n}字"), n=_limit("name"))
    if "phone" not in errors:
        try:
            phone = normalise_phone(phone, field="phone")
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationFailed(_("提交的内容有误，请修改后再提交"), errors=errors)
    return {"kind": kind, "text": text, "name": name, "phone": phone}


@stored_in_canonical_language
def comment_submit(*, actor, notice: Notice, kind: str, text: str, name: str = "", phone: str = "") -> Comment:
    """A resident's comment or objection during the objection period: stored for moderation (nothing
    is shown until staff publish it); the case's handlers are told after commit. 409 once the period
    is over."""
    fields = comment_validate(kind=kind, text=text, name=name, phone=phone)
    with transaction.atomic():
        audit_lock()
        locked = Notice.objects.select_for_update().select_related("case").get(pk=notice.pk)
        if not period_open(locked):
            raise TransitionNotAllowed(format_lazy(_("公示期已于 {until} 结束，不能再提出意见或异议"),
                                                   until=local_text(locked.objection_until))
                                       if locked.status == NoticeStatus.POSTED else _("该公示已结束，不能再提出意见或异议"))
        comment = Comment(notice=locked, status="", created_at=timezone.now(), **fields)
        _comment_move(comment, NoticeAction.SUBMIT, actor=actor)
        audit_record(event="notice.comment", actor=actor, obj_type="notice_comment", obj_id=str(comment.pk))
        case = locked.case
        what = "异议" if comment.kind == CommentKind.OBJECTION else "意见"
        notify(recipients=[r.user for r in scope.handler_roles(case).select_related("user")],
               subject=f"公示收到居民{what}：{case.number}",
               body=f"“{locked.title}”的公示收到一条居民{what}，请审核后决定公开、不予公开"
                    + ("或认定异议成立。" if comment.kind == CommentKind.OBJECTION else "。"),
               kind="notice_comment", link="/staff/notices/", data={"notice": locked.pk, "comment": comment.pk})
    return comment


@stored_in_canonical_language
def comment_moderate(*, actor, comment: Comment, decision: str, reason: str = "") -> Comment:
    """Staff decide on a comment: publish it, hide it (with a reason), or — an objection — uphold it,
    which sends the matter back to deliberation (the case's REOPEN move and its timeline event, the
    notice reopened) in the same transaction. Who: whoever may publicise the case (scope rule
    "moderate"); 404 out of sight, 403 in sight."""
    case = comment.notice.case
    role = scope.check(actor, "moderate", case)
    reason = (reason or "").strip()
    errors: dict = {}
    if decision not in DECISIONS:
        errors["decision"] = _("请选择公开、不予公开或异议成立")
    if _UNSTORABLE.search(reason):
        errors["reason"] = _("包含无法处理的字符，请删除后重试")
    elif len(reason) > _limit("reason"):
        errors["reason"] = format_lazy(_("说明最多{n}字"), n=_limit("reason"))
    elif decision == NoticeAction.HIDE and not reason:
        errors["reason"] = _("不予公开须写明理由")
    elif decision == NoticeAction.ACCEPT and not reason:
        errors["reason"] = _("异议成立须写明理由和重新议事的安排")
    if errors:
        raise ValidationFailed(_("审核信息有误"), errors=errors)
    label = role.get_role_display()
    with transaction.atomic():
        audit_lock()
        Case.objects.select_for_update().only("pk").get(pk=case.pk)
        notice = Notice.objects.select_for_update().get(pk=comment.notice_id)
        locked = Comment.objects.select_for_update().get(pk=comment.pk)
        if decision == NoticeAction.ACCEPT and notice.status != NoticeStatus.POSTED:
            raise TransitionNotAllowed(_("该公示已结束，异议不能再认定成立"))
        _comment_move(locked, decision, actor=actor, actor_label=label, note=reason)
        locked.reason, locked.moderated_at, locked.moderated_by = reason, timezone.now(), actor
        names = known_names(case) | ({locked.name} if len(locked.name) >= 2 else set())
        shown = locked.status in (CommentStatus.PUBLISHED, CommentStatus.ACCEPTED)
        locked.shown_text = public_text(locked.text, names) if shown else ""
        locked.shown_reply = public_text(reason, names)[:200] if locked.status == CommentStatus.ACCEPTED else ""
        locked.save(update_fields=["reason", "moderated_at", "moderated_by", "shown_text", "shown_reply"])
        audit_record(event=f"notice.comment.{decision}", actor=actor, role=role.role, node=role.node.code,
                     obj_type="notice_comment", obj_id=str(locked.pk), reason=reason)
        if decision == NoticeAction.ACCEPT:
            transition(case=case, action=Action.REOPEN, actor=actor, actor_label=label, note=reason,
                       public_note=f"{stored_label(Action.REOPEN)}：{locked.shown_reply}",
                       data={"notice": notice.pk, "comment": locked.pk})
    for field in ("status", "reason", "moderated_at", "moderated_by", "shown_text", "shown_reply"):
        setattr(comment, field, getattr(locked, field))
    return comment


def comment_phone_reveal(*, actor, comment: Comment, reason: str) -> str:
    """The phone an objector left, for the staff who moderate, with a reason kept in the audit row
    (on the hash chain); never written anywhere else."""
    case = comment.notice.case
    role = scope.check(actor, "moderate", case)
    reason = (reason or "").strip()
    if not reason or _UNSTORABLE.search(reason) or len(reason) > 200:
        raise ValidationFailed(_("查看完整号码需要填写理由"), errors={"reason": _("请填写查看理由（200字以内）")})
    if not comment.phone:
        raise NotFound(_("该条意见没有留下电话"))
    with transaction.atomic():
        audit_record(event="personal_data.reveal", actor=actor, role=role.role, node=role.node.code,
                     obj_type="notice_comment", obj_id=str(comment.pk), reason=reason)
    return comment.phone
