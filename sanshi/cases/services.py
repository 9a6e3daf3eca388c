"""Every write to a case. Each public function is one transaction and goes through
`transition()`, the one guarded function that moves a case and writes its event row; what happens
beside the moves (a team's step, a clock's breach, the ledger's ladder, a phone revealed) is written
by `record_event()`. The apps that react to a move register with `cases.hooks.after_move`."""

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone, translation
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from sanshi.audit.services import audit_lock, audit_record, audit_row
from sanshi.catalog.models import CatalogueItem, Kind
from sanshi.catalog.selectors import current_item
from sanshi.core.crypto import random_code
from sanshi.core.errors import NotFound, TransitionNotAllowed, ValidationFailed
from sanshi.core.jobs import enqueue
from sanshi.core.personal import mask_personal_text
from sanshi.registry.models import LEVEL_ORDER, Department, Level, OrgNode, StaffRole
from sanshi.registry.selectors import grid_by_code

from . import scope
from .hooks import run_after_move, run_before_move
from .models import Case, CaseEvent, Status, WhistleCall
from .routing import BODY_OF_LEVEL, ESCALATION, routing_for
from .transitions import ACTION_LABELS, Action, TimelineEvent, find_move


def stored_label(action: str) -> str:
    """An action's name as the timeline stores it: in Chinese, whatever language the actor reads."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(ACTION_LABELS.get(action, action))


def _label(actor, role: StaffRole | None = None) -> str:
    if role is not None:
        return role.get_role_display()
    if getattr(actor, "is_authenticated", False):
        return "工作人员"
    return "居民"


def _audit_scope(actor, case: Case, action: str) -> dict:
    """The role and node under which `actor` acted on `case` (for the audit row); empty for a
    resident, the system, or an account acting without a role on the case."""
    if not getattr(actor, "is_authenticated", False):
        return {"role": "", "node": ""}
    checked_as: str = {Action.CLOSE.value: Action.EVALUATE.value, Action.ESCALATE.value: Action.EVALUATE.value}.get(
        str(action), str(action))
    role = scope.acting_role(actor, checked_as, case)
    if role is None:
        return {"role": "", "node": ""}
    return {"role": role.role, "node": role.node.code}


def transition(*, case: Case, action: str, actor=None, actor_label: str = "", note: str = "",
               public_note: str = "", data: dict | None = None, changes: dict | None = None) -> CaseEvent:
    """Move `case` by `action` if the life-cycle table allows it from its current status and no
    other app's guard refuses it (`hooks.before_move`); apply `changes` to the case, write one event
    row and run what the other apps registered for the move (`hooks.after_move`), all in one
    transaction. Refuse otherwise."""
    with transaction.atomic():
        audit_lock()  # the audit chain's lock before any case row lock: one lock order, no deadlock
        locked = Case.objects.select_for_update().get(pk=case.pk)
        move = find_move(action, locked.status, locked.kind, locked.urgent)
        if move is None:
            raise TransitionNotAllowed(format_lazy(  # lazy: shown in the request's language
                _("当前状态「{status}」不能执行「{action}」"),
                status=Status(locked.status).label, action=ACTION_LABELS.get(action, action)))
        run_before_move(case=locked, action=action, actor=actor)  # another app's guard may refuse (hooks)
        for field, value in (changes or {}).items():
            setattr(locked, field, value)
        now = timezone.now()
        if move.target == Status.CLOSED:
            locked.closed_at = now
        locked.status = move.target
        locked.save()
        event = CaseEvent.objects.create(
            case=locked, action=str(action), from_status=move.source, to_status=move.target,
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            actor_label=actor_label or _label(actor), at=now, note=note,
            public_note=public_note or stored_label(action), data=data or {},
        )
        audit_record(event=f"case.{action}", actor=actor, obj_type="case", obj_id=str(locked.pk),
                     **_audit_scope(actor, locked, action))
        # keep the caller's instance in step with the database, before the hooks read it
        for field in ("status", "closed_at", *(changes or {})):
            setattr(case, field, getattr(locked, field))
        run_after_move(case=case, event=event)
    return event


# what a timeline event may change on the case beside writing its row (never its life-cycle fields)
RECORDABLE_CHANGES = frozenset({"result"})


def record_event(*, case: Case, event: str, actor=None, actor_label: str = "", note: str = "",
                 public_note: str = "", data: dict | None = None, audit: dict | None = None,
                 changes: dict | None = None) -> CaseEvent:
    """Write a timeline event that moves nothing (TimelineEvent: a team's step, a clock's breach, the
    ledger's ladder, a follow-up visit, a phone revealed) with its audit row, in one transaction. The
    caller has checked who may and when; a closed case takes only a follow-up visit. `audit`: the
    audit row's role and node (and, where the event is audited under its own name, its event,
    object and reason); by default the role under which the actor acts on the case. `changes`: the
    case's result, which a response team's report adds to (RECORDABLE_CHANGES)."""
    if event not in TimelineEvent.values:
        raise ValueError(f"not a timeline event: {event!r}")
    if set(changes or {}) - RECORDABLE_CHANGES:
        raise ValueError(f"a timeline event cannot change {sorted(set(changes or {}) - RECORDABLE_CHANGES)}")
    with transaction.atomic():
        audit_lock()
        locked = Case.objects.select_for_update().only("pk", "status", *(changes or {})).get(pk=case.pk)
        status = locked.status
        if status == Status.CLOSED and event != TimelineEvent.FOLLOW_UP:
            raise TransitionNotAllowed(_("事项已办结"))
        if changes:
            for field, value in changes.items():
                setattr(locked, field, value)
                setattr(case, field, value)
            locked.save(update_fields=list(changes))
        row = CaseEvent.objects.create(
            case_id=case.pk, action=str(event), from_status=status, to_status=status,
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            actor_label=actor_label or _label(actor), at=timezone.now(), note=note,
            public_note=public_note or stored_label(event), data=data or {})
        fields = {"event": f"case.{event}", "obj_type": "case", "obj_id": str(case.pk)}
        fields.update(audit if audit is not None else _audit_scope(actor, case, event))
        audit_record(actor=actor, **fields)
    return row


def new_case_number(now) -> str:
    """Date + 6 random symbols (never derived from the tracking code, which is a credential)."""
    return f"{timezone.localtime(now):%Y%m%d}-{random_code(6)}"


def case_opened(*, title: str, grid_id: int | None, suggestion: dict, received_at) -> Case:
    """The case a newly received request opens, unsaved: intake writes it with the request. It keeps
    the triage suggestion it was opened with (an operator who overrides it gives a reason)."""
    # the title labels the case on every list, board, export and notification: never a number in it
    return Case(title=mask_personal_text(title), grid_id=grid_id, status=Status.RECEIVED, suggestion=suggestion,
                number=new_case_number(received_at))


def case_opening_rows(*, actor, case: Case, received_at, public_note: str, data: dict) -> list[models.Model]:
    """The rows recording a case's opening, unsaved: its first event and its audit row (intake
    writes them with the case and the request, whose ids they need)."""
    return [audit_row(event="case.open", actor=actor, obj_type="case", obj_id=str(case.pk)),
            CaseEvent(case=case, action=Action.OPEN, from_status="", to_status=Status.RECEIVED,
                      actor=actor if getattr(actor, "is_authenticated", False) else None,
                      actor_label=_label(actor), at=received_at, public_note=public_note, data=data)]


def received_at(case: Case):
    """When the case's first request was received (its opening event)."""
    at = case.events.filter(action=Action.OPEN).order_by("at").values_list("at", flat=True).first()
    return at or case.created_at


def _node_at(grid: OrgNode, level: str) -> OrgNode:
    node = grid.ancestor(level)
    if node is None:
        raise ValidationFailed(_("网格不在行政区划树中"), errors={"grid": _("该网格缺少上级节点")})
    return node


def _routing_input(kind: str, catalogue_code: str, grid_code: str,
                   grid: OrgNode | None) -> tuple[dict, CatalogueItem | None, OrgNode | None]:
    """Check a kind, a catalogue item of that kind and a grid (by code, else `grid`): the field
    errors, the item and the grid (a micro-grid's grid)."""
    errors = {}
    item = current_item(catalogue_code or "")
    if kind not in {"PUBLIC", "SHARED", "HOUSEHOLD"}:
        errors["kind"] = _("请选择公事、共事或家事")
    if item is None:
        errors["catalogue_code"] = _("请选择清单事项")
    elif kind and item.kind != kind:
        errors["catalogue_code"] = format_lazy(_("清单事项 {code} 属于{kind}，与所选类别不符"),
                                               code=item.code, kind=Kind(item.kind).label)
    if grid_code:
        grid = grid_by_code(grid_code)
        if grid is None:
            errors["grid"] = format_lazy(_("网格编码“{code}”不存在"), code=grid_code)
    if grid is None and "grid" not in errors:
        errors["grid"] = _("请指定事项所在网格")
    if grid is not None and grid.level == Level.MICRO_GRID and grid.parent is not None:
        grid = grid.parent
    return errors, item, grid


def case_triage(*, actor, case: Case, kind: str, catalogue_code: str, grid_code: str = "",
                reason: str = "", urgent: bool = False, department: str = "") -> Case:
    """Confirm or override the suggestion the case was opened with; route the case to its body and
    level. The decision is kept beside the suggestion (intake records it for learning, triage
    corrections become training data); a deadline or the 1-5-10 clocks start (supervision, rapid)."""
    role = scope.check(actor, Action.TRIAGE, case)
    errors, item, grid = _routing_input(kind, catalogue_code, grid_code, case.grid)
    suggestion = case.suggestion or {}
    overridden = bool(suggestion.get("kind")) and (
        suggestion.get("kind") != kind or suggestion.get("catalogue_code") != catalogue_code
    )
    if overridden and not reason.strip():
        errors["reason"] = _("修改系统建议的分类需要填写理由")
    if errors or grid is None or item is None:
        raise ValidationFailed(_("分拣信息有误"), errors=errors)
    level, body = routing_for(kind)
    org = _node_at(grid, level)
    transition(
        case=case, action=Action.TRIAGE, actor=actor, actor_label=_label(actor, role), note=reason,
        public_note=f"已分拣为「{item.get_kind_display()}」，交{org.name}·{BODY_OF_LEVEL[level].label}",
        data={"kind": kind, "catalogue_code": item.code, "catalogue_version": item.version.number,
              "suggestion": suggestion, "overridden": overridden, "level": level, "org": org.code,
              "urgent": urgent, "department": department or ""},
        changes={"kind": kind, "catalogue_item": item, "grid": grid, "level": level, "body": body,
                 "org": org, "urgent": urgent},
    )
    return case


def case_retriage(*, actor, case: Case, kind: str, catalogue_code: str, grid_code: str = "",
                  reason: str) -> Case:
    """退回重分: re-route a triaged case nobody has taken up yet to another kind (and so another body
    and level), another catalogue item or another grid. Who triages re-routes; the reason is
    required and kept on the event (`note`), with where the case was and where it goes, so the
    bounce-back rate counts these moves (docs/kpis.md). The deadline starts again for the new
    route (supervision's hook on the move)."""
    role = scope.check(actor, Action.RETRIAGE, case)
    errors, item, grid = _routing_input(kind, catalogue_code, grid_code, case.grid)
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = _("重新分拣需要填写理由")
    elif len(reason) > 500:
        errors["reason"] = _("理由最多500字")
    if not errors and item is not None and grid is not None and (
            kind, item.pk, grid.pk) == (case.kind, case.catalogue_item_id, case.grid_id):
        errors["kind"] = _("类别、清单事项和网格都没有改变，无需重新分拣")
    if errors or grid is None or item is None:
        raise ValidationFailed(_("重新分拣信息有误"), errors=errors)
    level, body = routing_for(kind)
    org = _node_at(grid, level)
    transition(
        case=case, action=Action.RETRIAGE, actor=actor, actor_label=_label(actor, role), note=reason,
        public_note=f"重新分拣为「{item.get_kind_display()}」，改交{org.name}·{BODY_OF_LEVEL[level].label}",
        data={"kind": kind, "catalogue_code": item.code, "catalogue_version": item.version.number,
              "level": level, "org": org.code, "grid": grid.code, "from_kind": case.kind,
              "from_catalogue_code": case.catalogue_item.code if case.catalogue_item else "",
              "from_level": case.level, "from_org": case.org.code if case.org else "",
              "from_grid": case.grid.code if case.grid else ""},
        changes={"kind": kind, "catalogue_item": item, "grid": grid, "level": level, "body": body, "org": org},
    )
    return case


def case_settle(*, actor, case: Case, note: str) -> Case:
    """家事网格自办 (B2), 小事小议 (H4): the grid leader settles a simple household matter without a
    formal meeting, recording what was done; it then goes to evaluation as any other."""
    role = scope.check(actor, Action.SETTLE, case)
    note = (note or "").strip()
    if not note:
        raise ValidationFailed(_("请填写处理情况"), errors={"note": _("请写明做了什么、怎么解决的")})
    if len(note) > 2000:
        raise ValidationFailed(_("处理情况太长"), errors={"note": _("最多2000字")})
    transition(case=case, action=Action.SETTLE, actor=actor, actor_label=_label(actor, role), note=note,
               public_note=f"网格直接协调处理：{note}", changes={"resolution": note})
    return case


def case_whistle(*, actor, case: Case, department_codes: list[str], note: str = "") -> list[WhistleCall]:
    """吹哨报到: the street (or, for an escalated matter, the district) summons named district
    departments to a PUBLIC matter."""
    role = scope.check(actor, Action.WHISTLE, case)
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
        transition(case=case, action=Action.WHISTLE, actor=actor, actor_label=_label(actor, role), note=note,
                   public_note=f"{'区级联席会议' if case.level == Level.DISTRICT else '街道'}吹哨，{names}报到",
                   data={"departments": codes})
        for call in calls:
            enqueue("notify_department", {"whistle_call": call.pk})
    return calls


def case_department_report(*, actor, case: Case, report: str) -> WhistleCall:
    role = scope.check(actor, Action.DEPARTMENT_REPORT, case)
    if not (report or "").strip():
        raise ValidationFailed(_("请填写报到反馈"), errors={"report": _("请填写部门办理情况")})
    department = role.department
    if department is None:  # a liaison's role always names its department (registry)
        raise TransitionNotAllowed(_("本部门没有待反馈的吹哨报到"))
    with transaction.atomic():
        call = (WhistleCall.objects.select_for_update()
                .filter(case=case, department=department, reported_at__isnull=True).first())
        if call is None:
            raise TransitionNotAllowed(_("本部门没有待反馈的吹哨报到"))
        call.reported_at, call.reported_by, call.report = timezone.now(), actor, report.strip()
        call.save()
        transition(case=case, action=Action.DEPARTMENT_REPORT, actor=actor,
                   actor_label=department.name, note=report,
                   public_note=f"{department.name}已报到并反馈办理情况", data={"whistle_call": call.pk})
    return call


def _require_no_open_whistles(case: Case) -> None:
    waiting = case.whistle_calls.filter(reported_at__isnull=True).select_related("department")
    if waiting:
        names = "、".join(c.department.name for c in waiting)
        raise TransitionNotAllowed(format_lazy(_("还在等待{names}报到反馈"), names=names))


def _require_responders_done(case: Case) -> None:
    """An urgent event is carried on only once its team reported a result (or asked for
    reinforcement): nobody posts or rates a matter whose team is still on the way."""
    if case.urgent and not case.result.strip():
        raise TransitionNotAllowed(_("处置队伍尚未反馈处置结果，不能公示或提请评价"))


def case_publicise(*, actor, case: Case, result: str, notice: str) -> Case:
    """张榜公示: SHARED and PUBLIC matters post the result for all to see."""
    role = scope.check(actor, Action.PUBLICISE, case)
    errors = {}
    if not (result or "").strip():
        errors["result"] = _("请填写办理结果")
    if not (notice or "").strip():
        errors["notice"] = _("请填写公示内容")
    if errors:
        raise ValidationFailed(_("公示信息不完整"), errors=errors)
    _require_responders_done(case)
    _require_no_open_whistles(case)
    transition(case=case, action=Action.PUBLICISE, actor=actor, actor_label=_label(actor, role),
               public_note=f"公示：{notice.strip()}", changes={"result": result.strip(), "notice": notice.strip()})
    return case


def case_request_evaluation(*, actor, case: Case, result: str = "") -> Case:
    role = scope.check(actor, Action.REQUEST_EVALUATION, case)
    changes = {}
    if case.status == Status.HANDLING:
        _require_responders_done(case)
        result = result or case.result  # an urgent case carries its responders' result
        if not (result or "").strip():
            raise ValidationFailed(_("请填写办理结果"), errors={"result": _("请填写办理结果")})
        _require_no_open_whistles(case)
        changes["result"] = result.strip()
    transition(case=case, action=Action.REQUEST_EVALUATION, actor=actor, actor_label=_label(actor, role),
               public_note="办理完毕，请评价", changes=changes)
    return case


def case_close_after_rating(*, case: Case, actor, actor_label: str, comment: str, data: dict | None = None) -> None:
    """Good rating: close. What closing sets off elsewhere — feedback to every reporter on their
    original channel (intake), the ledger entry closed and the follow-up visit (supervision) — is
    registered on the move."""
    lapsed = bool((data or {}).get("lapsed"))
    transition(case=case, action=Action.CLOSE, actor=actor, actor_label=actor_label, note=comment,
               public_note="评价期满，事项办结" if lapsed else "评价满意，事项办结", data=data)


def case_escalate_after_rating(*, case: Case, actor, actor_label: str, comment: str,
                               data: dict | None = None) -> None:
    """Bad rating: 提级复议 — the level above deliberates again (the deadline restarts there:
    supervision's hook on the move), then sends it back down to be redone (下沉再办, deliberation).
    A redone result rated bad again climbs above the highest level that already reviewed it. At the
    district, the top, a bad rating is final: recorded, and the case closes without going further."""
    reached = _highest_review(case)
    if reached == Level.DISTRICT:
        transition(case=case, action=Action.CLOSE, actor=actor, actor_label=actor_label, note=comment,
                   public_note="区级联席会议复议后仍评价不满意，评价结果已记录（区级为终局）",
                   data={**(data or {}), "final_bad_rating": True})
        return
    level = ESCALATION.get(reached, reached)
    org = case.org.ancestor(level) if case.org else None
    if org is None:
        org, level = case.org, case.level
    if org is None:  # an evaluated case was triaged, so it has a responsible node
        raise TransitionNotAllowed(_("事项没有责任主体，不能提级"))
    transition(case=case, action=Action.ESCALATE, actor=actor, actor_label=actor_label, note=comment,
               public_note=f"评价不满意，提交{org.name}{BODY_OF_LEVEL[level].label}复议",
               data={**(data or {}), "from_level": case.level, "to_level": level, "org": org.code,
                     "from_org": case.org.code if case.org else None},
               changes={"level": level, "body": BODY_OF_LEVEL[level], "org": org,
                        "escalations": case.escalations + 1})


def _highest_review(case: Case) -> str:
    """The highest level that has deliberated the case: its own, or the last escalation's target."""
    last = case.events.filter(action=Action.ESCALATE).order_by("-at", "-id").values_list("data", flat=True).first()
    reached = (last or {}).get("to_level") or case.level
    return max(case.level, reached, key=lambda lv: LEVEL_ORDER.index(lv) if lv in LEVEL_ORDER else -1)


def case_merge_duplicate(*, actor, case: Case, into: Case) -> Case:
    """Link a newly received request's case to an open case it repeats: the duplicate case closes,
    and its requests (and so its reporters, who are all told when that case closes) move over
    (intake's hook on the move)."""
    role = scope.check(actor, Action.MERGE, case)
    if into.pk == case.pk:
        raise ValidationFailed(_("不能与自身合并"), errors={"into": _("请选择另一件事项")})
    if not scope.can_see(actor, into):
        raise NotFound(_("目标事项不存在"))
    if into.status == Status.CLOSED:
        raise TransitionNotAllowed(_("目标事项已办结，不能再合并"))
    with transaction.atomic():
        transition(case=case, action=Action.MERGE, actor=actor, actor_label=_label(actor, role),
                   public_note=f"与事项 {into.number} 为同一诉求，已合并办理", data={"into": into.pk})
        record_event(case=into, event=TimelineEvent.LINK_DUPLICATE, actor=actor, actor_label=_label(actor, role),
                     public_note="又有居民反映了同一问题，合并办理", data={"from": case.pk},
                     audit={"role": role.role, "node": role.node.code})
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
