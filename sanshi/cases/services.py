"""Every write to a case. Each public function is one transaction and goes through
`transition()`, the one guarded function that moves a case and writes its event row."""

from django.db import models, transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from sanshi.audit.services import audit_lock, audit_record, audit_row, case_actor_scope
from sanshi.catalog.models import Kind
from sanshi.catalog.selectors import current_item
from sanshi.core.crypto import random_code
from sanshi.core.errors import NotFound, TransitionNotAllowed, ValidationFailed
from sanshi.core.jobs import enqueue
from sanshi.intake.channels import sub_channel_label
from sanshi.rapid.services import clocks_start_urgent
from sanshi.registry.models import Department, Level, OrgNode
from sanshi.registry.selectors import grid_by_code

from .models import Case, CaseEvent, Status, WhistleCall
from .permissions import can_see_case, check_case_action
from .routing import BODY_OF_LEVEL, ESCALATION, routing_for
from .transitions import ACTION_LABELS, find_move


def _label(actor, role=None) -> str:
    if role is not None:
        return role.get_role_display()
    if getattr(actor, "is_authenticated", False):
        return "工作人员"
    return "居民"


def transition(*, case: Case, action: str, actor=None, actor_label: str = "", note: str = "",
               public_note: str = "", data: dict | None = None, changes: dict | None = None) -> CaseEvent:
    """Move `case` by `action` if the life-cycle table allows it from its current status; apply
    `changes` to the case and write one event row, all in one transaction. Refuse otherwise."""
    with transaction.atomic():
        audit_lock()  # the audit chain's lock before any case row lock: one lock order, no deadlock
        locked = Case.objects.select_for_update().get(pk=case.pk)
        move = find_move(action, locked.status, locked.kind, locked.urgent)
        if move is None:
            raise TransitionNotAllowed(format_lazy(  # lazy: shown in the request's language
                _("当前状态「{status}」不能执行「{action}」"),
                status=Status(locked.status).label, action=ACTION_LABELS.get(action, action)))
        for field, value in (changes or {}).items():
            setattr(locked, field, value)
        now = timezone.now()
        if move.target == Status.CLOSED and move.source != Status.CLOSED:  # a follow-up keeps the closing time
            locked.closed_at = now
        locked.status = move.target
        locked.save()
        event = CaseEvent.objects.create(
            case=locked, action=action, from_status=move.source, to_status=move.target,
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            actor_label=actor_label or _label(actor), at=now, note=note,
            public_note=public_note or ACTION_LABELS.get(action, action), data=data or {},
        )
        audit_record(event=f"case.{action}", actor=actor, obj_type="case", obj_id=str(locked.pk),
                     **case_actor_scope(actor, locked, action))
    # keep the caller's instance in step with the database
    for field in ("status", "closed_at", *(changes or {})):
        setattr(case, field, getattr(locked, field))
    return event


def new_case_number(now) -> str:
    """Date + 6 random symbols (never derived from the tracking code, which is a credential)."""
    return f"{timezone.localtime(now):%Y%m%d}-{random_code(6)}"


def case_for_request(request) -> Case:
    """The case a newly received request opens, unsaved: intake writes it with the request."""
    return Case(title=request.title or request.text[:40], grid_id=request.grid_id, status=Status.RECEIVED,
                number=new_case_number(timezone.now()))


def case_opening_rows(*, actor, case: Case, request) -> list[models.Model]:
    """The rows recording a case's opening, unsaved: its first event and its audit row (intake
    writes them with the case and the request, whose ids they need)."""
    return [audit_row(event="case.open", actor=actor, obj_type="case", obj_id=str(case.pk)),
            CaseEvent(case=case, action="open", from_status="", to_status=Status.RECEIVED,
                      actor=actor if getattr(actor, "is_authenticated", False) else None,
                      actor_label=_label(actor), at=request.received_at,
                      public_note=f"诉求已受理（{sub_channel_label(request.sub_channel)}）",
                      data={"request": request.pk, "channel": request.channel})]


def _node_at(grid: OrgNode, level: str) -> OrgNode:
    node = grid.ancestor(level)
    if node is None:
        raise ValidationFailed(_("网格不在行政区划树中"), errors={"grid": _("该网格缺少上级节点")})
    return node


def case_triage(*, actor, case: Case, kind: str, catalogue_code: str, grid_code: str = "",
                reason: str = "", urgent: bool = False, department: str = "") -> Case:
    """Confirm or override the suggestion; route the case to its body and level. The decision is
    stored beside the suggestion (corrections become training data)."""
    role = check_case_action(actor, case, "triage")
    errors = {}
    item = current_item(catalogue_code or "")
    if kind not in {"PUBLIC", "SHARED", "HOUSEHOLD"}:
        errors["kind"] = _("请选择公事、共事或家事")
    if item is None:
        errors["catalogue_code"] = _("请选择清单事项")
    elif kind and item.kind != kind:
        errors["catalogue_code"] = format_lazy(_("清单事项 {code} 属于{kind}，与所选类别不符"),
                                               code=item.code, kind=Kind(item.kind).label)
    grid = case.grid
    if grid_code:
        grid = grid_by_code(grid_code)
        if grid is None:
            errors["grid"] = format_lazy(_("网格编码“{code}”不存在"), code=grid_code)
    if grid is None and "grid" not in errors:
        errors["grid"] = _("请指定事项所在网格")
    request = case.requests.order_by("received_at").first()
    suggestion = (request.suggestion if request else {}) or {}
    overridden = bool(suggestion.get("kind")) and (
        suggestion.get("kind") != kind or suggestion.get("catalogue_code") != catalogue_code
    )
    if overridden and not reason.strip():
        errors["reason"] = _("修改系统建议的分类需要填写理由")
    if errors:
        raise ValidationFailed(_("分拣信息有误"), errors=errors)
    level, body = routing_for(kind)
    if grid.level == Level.MICRO_GRID:
        grid = grid.parent
    org = _node_at(grid, level)
    with transaction.atomic():
        if request is not None:
            from sanshi.triage.services import record_decision

            record_decision(actor=actor, request=request, kind=kind, catalogue_code=item.code, urgent=urgent,
                            department=department)
        transition(
            case=case, action="triage", actor=actor, actor_label=_label(actor, role), note=reason,
            public_note=f"已分拣为「{item.get_kind_display()}」，交{org.name}·{BODY_OF_LEVEL[level].label}",
            data={"kind": kind, "catalogue_code": item.code, "catalogue_version": item.version.number,
                  "suggestion": suggestion, "overridden": overridden, "level": level, "org": org.code},
            changes={"kind": kind, "catalogue_item": item, "grid": grid, "level": level, "body": body,
                     "org": org, "urgent": urgent},
        )
        if urgent:  # 突发快响: the 1-5-10 clocks run from receipt; the dispatch clock stops at rapid.case_dispatch
            clocks_start_urgent(case=case, received_at=request.received_at if request else timezone.now())
        else:  # every other case: its catalogue deadline (and a PUBLIC matter goes on the street's ledger)
            from sanshi.supervision.services import deadline_start

            deadline_start(case=case)
    return case


def case_whistle(*, actor, case: Case, department_codes: list[str], note: str = "") -> list[WhistleCall]:
    """吹哨报到: the street summons named district departments to a PUBLIC matter."""
    role = check_case_action(actor, case, "whistle")
    if case.level not in (Level.STREET, Level.DISTRICT):
        raise TransitionNotAllowed(_("只有街道及以上层级的公事可以吹哨报到"))
    codes = [c for c in dict.fromkeys(department_codes or []) if c]
    departments = list(Department.objects.filter(code__in=codes, active=True))
    if not codes or len(departments) != len(codes):
        missing = set(codes) - {d.code for d in departments}
        raise ValidationFailed(_("请选择要吹哨的区级部门"), errors={
            "departments": _("请至少选择一个部门") if not codes
            else format_lazy(_("未知的部门：{codes}"), codes="、".join(sorted(missing)))})
    with transaction.atomic():
        now = timezone.now()
        calls = [WhistleCall.objects.create(case=case, department=d, called_at=now, called_by=actor)
                 for d in departments]
        names = "、".join(d.name for d in departments)
        transition(case=case, action="whistle", actor=actor, actor_label=_label(actor, role), note=note,
                   public_note=f"街道吹哨，{names}报到", data={"departments": codes})
        for call in calls:
            enqueue("notify_department", {"whistle_call": call.pk})
    return calls


def case_department_report(*, actor, case: Case, report: str) -> WhistleCall:
    role = check_case_action(actor, case, "department_report")
    if not (report or "").strip():
        raise ValidationFailed(_("请填写报到反馈"), errors={"report": _("请填写部门办理情况")})
    with transaction.atomic():
        call = (WhistleCall.objects.select_for_update()
                .filter(case=case, department=role.department, reported_at__isnull=True).first())
        if call is None:
            raise TransitionNotAllowed(_("本部门没有待反馈的吹哨报到"))
        call.reported_at, call.reported_by, call.report = timezone.now(), actor, report.strip()
        call.save()
        transition(case=case, action="department_report", actor=actor,
                   actor_label=role.department.name, note=report,
                   public_note=f"{role.department.name}已报到并反馈办理情况", data={"whistle_call": call.pk})
    return call


def _require_no_open_whistles(case: Case) -> None:
    waiting = case.whistle_calls.filter(reported_at__isnull=True).select_related("department")
    if waiting:
        names = "、".join(c.department.name for c in waiting)
        raise TransitionNotAllowed(format_lazy(_("还在等待{names}报到反馈"), names=names))


def case_publicise(*, actor, case: Case, result: str, notice: str) -> Case:
    """张榜公示: SHARED and PUBLIC matters post the result for all to see."""
    role = check_case_action(actor, case, "publicise")
    errors = {}
    if not (result or "").strip():
        errors["result"] = _("请填写办理结果")
    if not (notice or "").strip():
        errors["notice"] = _("请填写公示内容")
    if errors:
        raise ValidationFailed(_("公示信息不完整"), errors=errors)
    _require_no_open_whistles(case)
    transition(case=case, action="publicise", actor=actor, actor_label=_label(actor, role),
               public_note=f"公示：{notice.strip()}", changes={"result": result.strip(), "notice": notice.strip()})
    return case


def case_request_evaluation(*, actor, case: Case, result: str = "") -> Case:
    role = check_case_action(actor, case, "request_evaluation")
    changes = {}
    if case.status == Status.HANDLING:
        result = result or case.result  # an urgent case carries its responders' result
        if not (result or "").strip():
            raise ValidationFailed(_("请填写办理结果"), errors={"result": _("请填写办理结果")})
        _require_no_open_whistles(case)
        changes["result"] = result.strip()
    transition(case=case, action="request_evaluation", actor=actor, actor_label=_label(actor, role),
               public_note="办理完毕，请评价", changes=changes)
    return case


def case_close_after_rating(*, case: Case, actor, actor_label: str, comment: str) -> None:
    """Good rating: close, and record feedback to each original channel and reporter."""
    transition(case=case, action="close", actor=actor, actor_label=actor_label, note=comment,
               public_note="评价满意，事项办结")
    now = timezone.now()
    feedback = f"您反映的事项（{case.number}）已办结：{case.result or case.resolution}"
    for request in case.requests.all():
        request.feedback, request.feedback_at = feedback, now
        request.save(update_fields=["feedback", "feedback_at"])
        enqueue("feedback_reporter", {"request": request.pk})
    from sanshi.supervision.services import supervision_on_close

    supervision_on_close(case=case, at=case.closed_at)  # deadline done, ledger entry closed, 回访 task


def case_escalate_after_rating(*, case: Case, actor, actor_label: str, comment: str) -> None:
    """Bad rating: 提级复议 — the level above deliberates again (the district is the top)."""
    level = ESCALATION.get(case.level, case.level)
    org = case.org.ancestor(level) if case.org else None
    if org is None:
        org, level = case.org, case.level
    transition(case=case, action="escalate", actor=actor, actor_label=actor_label, note=comment,
               public_note=f"评价不满意，提交{org.name}{BODY_OF_LEVEL[level].label}复议",
               data={"from_level": case.level, "to_level": level, "org": org.code},
               changes={"level": level, "body": BODY_OF_LEVEL[level], "org": org,
                        "escalations": case.escalations + 1})
    from sanshi.supervision.services import deadline_restart

    deadline_restart(case=case)  # the level above starts a full catalogue deadline again


def case_merge_duplicate(*, actor, case: Case, into: Case) -> Case:
    """Link a newly received request's case to an open case it repeats: its requests (and so its
    reporters, who are all told when that case closes) move over; the duplicate case closes."""
    role = check_case_action(actor, case, "merge")
    if into.pk == case.pk:
        raise ValidationFailed(_("不能与自身合并"), errors={"into": _("请选择另一件事项")})
    if into.status == Status.CLOSED:
        raise TransitionNotAllowed(_("目标事项已办结，不能再合并"))
    if not can_see_case(actor, into):
        raise NotFound(_("目标事项不存在"))
    with transaction.atomic():
        moved = list(case.requests.values_list("pk", flat=True))
        case.requests.update(case=into)
        transition(case=case, action="merge", actor=actor, actor_label=_label(actor, role),
                   public_note=f"与事项 {into.number} 为同一诉求，已合并办理", data={"into": into.pk, "requests": moved})
        transition(case=into, action="link_duplicate", actor=actor, actor_label=_label(actor, role),
                   public_note="又有居民反映了同一问题，合并办理", data={"from": case.pk, "requests": moved})
    return into


def cases_merge_into(*, actor, cases: list[Case], into: Case) -> list[Case]:
    """未诉先办: the repeated requests of a hotspot are handled as one matter. Every case of `cases`
    still waiting in the pool is merged into `into` (case_merge_duplicate, each with its events);
    cases already triaged stay as they are. All or nothing: one transaction."""
    waiting = [c for c in cases if c.pk != into.pk and c.status == Status.RECEIVED]
    if not waiting:
        raise ValidationFailed(_("这些诉求中没有可合并的（只能合并还在诉求池中的诉求）"),
                               errors={"cases": _("没有待分拣的诉求可合并")})
    with transaction.atomic():
        for case in waiting:
            case_merge_duplicate(actor=actor, case=case, into=into)
    return waiting


def case_for_tracking(code: str) -> Case:
    from sanshi.intake.models import Request

    request = Request.objects.select_related("case").filter(tracking_code=(code or "").strip().upper()).first()
    if request is None or request.case is None:
        raise NotFound(_("未找到该查询码对应的诉求"))
    return request.case
