"""Every write to a clock. Starting and completing run in the caller's transaction; the sweep is
the worker's: it claims overdue clocks with SELECT … FOR UPDATE SKIP LOCKED (PostgreSQL), so two
workers never breach the same clock twice, and the breached_at it writes means a restarted
worker does not fire again."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sanshi.audit.services import audit_lock, audit_record
from sanshi.cases.models import Case, Status
from sanshi.cases.services import record_event, transition
from sanshi.cases.transitions import Action, TimelineEvent
from sanshi.core.errors import NotFound, TransitionNotAllowed, ValidationFailed
from sanshi.core.i18n import stored_in_canonical_language
from sanshi.core.images import photo_problem, store_image
from sanshi.core.jobs import enqueue, enqueue_many
from sanshi.core.notify import notify
from sanshi.registry.models import Level, OrgNode, Role, StaffRole

from .models import (
    RAPID_CLOCKS,
    URGENT_CLOCKS,
    Clock,
    ClockName,
    ClockPolicy,
    Dispatch,
    ResponseTeam,
    TeamKind,
)
from .permissions import check_dispatcher, check_team_step, check_withdrawer, duty_role
from .selectors import pending_reinforcement, redispatch_wanted

CLOCK_BREACH_JOB = "clock_breach"


def case_street(case) -> OrgNode | None:
    """The street that answers for the case (its emergency squad, its operators)."""
    for node in (case.grid, case.org):
        street = node.ancestor(Level.STREET) if node is not None else None
        if street is not None:
            return street
    return None


def policy_for(street: OrgNode | None) -> ClockPolicy:
    """The street's limits, or an unsaved policy holding the defaults (1-5-10)."""
    policy = ClockPolicy.objects.filter(street=street).first() if street is not None else None
    return policy or ClockPolicy(street=street)


def clocks_start_urgent(*, case, received_at: datetime, dispatched_at: datetime | None = None) -> list[Clock]:
    """Start the dispatch / arrive / result clocks of an urgent event, counted from receipt with the
    street's limits. The dispatch clock stops when a team is dispatched (`case_dispatch`);
    `dispatched_at` completes it at once. Starting twice leaves the first clocks as they are."""
    policy = policy_for(case_street(case))
    with transaction.atomic():
        clocks = [
            Clock.objects.get_or_create(case=case, name=name, defaults={
                "started_at": received_at, "due_at": received_at + timedelta(minutes=policy.minutes(name))})[0]
            for name in URGENT_CLOCKS
        ]
        if dispatched_at is not None:
            clock_complete(case=case, name=ClockName.DISPATCH, at=dispatched_at)
    return clocks


def clock_complete(*, case, name: str, at: datetime | None = None) -> Clock:
    """Mark one clock done. A completion after the due time records the breach (if the sweep has
    not already); completing a done clock changes nothing."""
    at = at or timezone.now()
    with transaction.atomic():
        clock = Clock.objects.select_for_update().filter(case=case, name=name).first()
        if clock is None:
            raise NotFound(format_lazy(_("该事项没有「{name}」时限"), name=name))
        if clock.done_at is None:
            clock.done_at = at
            if clock.breached_at is None and at > clock.due_at:
                clock.breached_at = at  # late, and the sweep has not seen it: record and tell now
                if clock.name in RAPID_CLOCKS:  # (a late deadline is sanshi.supervision's to tell)
                    enqueue(CLOCK_BREACH_JOB, {"clock": clock.pk})
            clock.save(update_fields=["done_at", "breached_at"])
    return clock


def clocks_sweep(limit: int = 500) -> int:
    """Breach up to `limit` overdue open clocks and queue one notification job for each; return
    how many were breached. Safe to run from several workers at once and to run again."""
    now = timezone.now()
    with transaction.atomic():
        qs = (Clock.objects.filter(done_at__isnull=True, breached_at__isnull=True, due_at__lte=now)
              .exclude(name=ClockName.DEADLINE)  # case deadlines: supervision.services.deadlines_sweep
              .order_by("due_at", "id"))
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True)
        ids = list(qs.values_list("id", flat=True)[:limit])
        if ids:  # one UPDATE and one INSERT for the batch, whatever its size
            Clock.objects.filter(pk__in=ids).update(breached_at=now)
            enqueue_many(CLOCK_BREACH_JOB, [{"clock": pk} for pk in ids])
    return len(ids)


# ---- the urgent flow (突发快响): dispatch, the team's steps, reinforcement ------------------------

# A police matter goes to the police station / patrol service post (J0). The operator decides with
# the 警情 box at triage or dispatch; these words in the request pre-tick it.
POLICE_KEYWORDS = ("打架", "斗殴", "殴打", "打人", "盗窃", "被盗", "小偷", "抢劫", "抢夺", "持刀", "行凶", "砍人",
                   "醉酒闹事", "家暴", "寻衅滋事", "诈骗")


@dataclass(frozen=True)
class DispatchSuggestion:
    team: ResponseTeam | None
    police: bool
    reason: str
    keywords: tuple[str, ...] = ()


def _case_text(case, texts=None) -> str:
    if texts is None:
        texts = [r.text for r in case.requests.all()]  # uses a prefetch if any
    return " ".join([case.title or "", *texts])


def police_keywords(case, texts=None) -> tuple[str, ...]:
    """The police keywords in the case's title and request texts (`texts`, when the caller has them)."""
    text = _case_text(case, texts)
    return tuple(word for word in POLICE_KEYWORDS if word in text)


def case_zone(case) -> str:
    """The 片区 of the case's grid (its community's zone); "" when the street has no zones."""
    community = case.grid.ancestor(Level.COMMUNITY) if case.grid is not None else None
    return community.zone if community is not None else ""


def covers(team: ResponseTeam, zone: str) -> bool:
    return not team.zones or (bool(zone) and zone in team.zones)


def dispatch_suggest(case, *, police: bool | None = None, exclude=(), teams=None, texts=None) -> DispatchSuggestion:
    """The on-duty team of the case's street to send, and why: police matters (the operator's call,
    or else the police keywords) to a police team, others to a squad; among those the one covering
    the case's zone first (a zone team before a whole-street team), then one of another zone; only
    when the street has no such team on duty, a team of the other kind. `teams` (the on-duty teams)
    and `texts` (the request texts) may be handed in by a caller that loaded them already."""
    words = police_keywords(case, texts)
    if police is None:
        police = bool(words)
    street = case_street(case)
    if street is None:
        return DispatchSuggestion(None, police, "事项还没有所在网格，无法确定街道", words)
    zone = case_zone(case)
    excluded = {getattr(t, "pk", t) for t in exclude}
    if teams is None:  # `teams`: the street's on-duty teams, when the caller (the board) loaded them already
        teams = ResponseTeam.objects.filter(street=street, on_duty=True).order_by("name", "id")
    teams = [t for t in teams if t.pk not in excluded and t.street_id == street.pk and t.on_duty]
    kind = TeamKind.POLICE if police else TeamKind.SQUAD
    why_kind = ("警情" + (f"（{'、'.join(words)}）" if words else "（接线员认定）")) if police else "非警务事件"
    where = f"{zone}" if zone else f"{street.name}全街道"

    def rank(team):  # a team of the right kind covering the zone, a zone team before a street-wide one
        return (team.kind != kind, not covers(team, zone), not (zone and zone in team.zones))

    if not teams:
        return DispatchSuggestion(None, police, f"{street.name}当前没有在岗的应急处置队伍，请电话调度并调整队伍在岗状态",
                                  words)
    best = min(teams, key=rank)
    label = TeamKind(kind).label
    if best.kind == kind and covers(best, zone):
        reason = f"{why_kind}，由负责{where}的在岗{label}处置"
    elif best.kind == kind:
        reason = f"{why_kind}，负责{where}的{label}不在岗或已派出，改派负责{'、'.join(best.zones)}的{best.name}"
    else:
        reason = f"{why_kind}，本街道没有在岗的{label}，改派{best.get_kind_display()}"
    return DispatchSuggestion(best, police, reason, words)


def reinforcement_police(dispatch: Dispatch) -> bool:
    """A reinforcement is police when the first team was, or its request asks for the police."""
    note = dispatch.reinforcement_note or ""
    return dispatch.police or any(word in note for word in (*POLICE_KEYWORDS, "民警", "警察", "报警"))


def team_choice(*, case, value, police: bool | None) -> ResponseTeam:
    """Read a team chosen on a form or in the API: "auto"/"" takes the suggestion, else a team id."""
    if value in (None, "", "auto"):
        suggestion = dispatch_suggest(case, police=police,
                                      exclude=case.dispatches.values_list("team_id", flat=True))
        if suggestion.team is None:  # suggestion.reason is stored text (Chinese); say it in the reader's language
            street = case_street(case)
            why = (_("事项还没有所在网格，无法确定街道") if street is None else
                   format_lazy(_("{street}当前没有在岗的应急处置队伍，请电话调度并调整队伍在岗状态"), street=street.name))
            raise ValidationFailed(_("没有可派的队伍"), errors={"team": why})
        return suggestion.team
    try:
        team = ResponseTeam.objects.select_related("street").filter(pk=int(value)).first()
    except (TypeError, ValueError):
        team = None
    if team is None:
        raise ValidationFailed(_("队伍不存在"), errors={"team": _("请选择要派出的队伍")})
    return team


def _operators(street):
    return [r.user for r in StaffRole.objects.filter(role=Role.OPERATOR, node=street, active=True,
                                                     user__is_active=True).select_related("user")]


def _case_link(case) -> str:
    return reverse("case", args=[case.pk])


def _require_urgent(case) -> None:
    if not case.urgent:
        raise TransitionNotAllowed(_("只有紧急事件（突发快响）才能派给应急处置队伍；请在分拣时勾选“紧急事件”"))


@transaction.atomic
def case_dispatch(*, actor, case, team: ResponseTeam, police: bool | None = None) -> Dispatch:
    """Send `team` to an urgent case. The first dispatch (case triaged) moves it to handling and
    stops the dispatch clock — late is a breach; while handling, a dispatch answers the pending
    reinforcement request (Dispatch.reinforcement_for), or, when every first dispatch was withdrawn
    (`dispatch_withdraw`), is a new first dispatch (改派) — the clocks keep counting from receipt."""
    role = check_dispatcher(actor, case)
    _require_urgent(case)
    # one dispatcher at a time per case (the audit lock first: the one lock order of transition()):
    # two operators tapping "派给…" at once send one team, the second is refused
    audit_lock()
    status = Case.objects.select_for_update().values_list("status", flat=True).get(pk=case.pk)
    street = case_street(case)
    team = ResponseTeam.objects.select_for_update().get(pk=team.pk)  # its duty state as of now
    if team.street_id != getattr(street, "pk", None):
        raise ValidationFailed(_("队伍不属于事项所在街道"), errors={"team": format_lazy(_("{team}不属于{street}"), team=team.name, street=street)})
    if not team.on_duty:
        raise ValidationFailed(_("队伍不在岗"), errors={"team": format_lazy(_("{team}当前不在岗，请选择在岗队伍"), team=team.name)})
    # a withdrawn team may be sent again on purpose (the suggestion leaves it out)
    if case.dispatches.filter(team=team, withdrawn_at__isnull=True).exists():
        raise ValidationFailed(_("该队伍已派往本事项"), errors={"team": format_lazy(_("{team}已派往本事项，请选择其他队伍"), team=team.name)})
    reinforcement_for = None
    redispatch = False
    if status == Status.HANDLING:
        redispatch = redispatch_wanted(case.dispatches.only("id", "reinforcement_for", "withdrawn_at"))
        if not redispatch:
            reinforcement_for = pending_reinforcement(case)
            if reinforcement_for is None:
                raise TransitionNotAllowed(_("该事项已派单，且没有待派的增援请求"))
    if police is None:
        police = team.kind == TeamKind.POLICE
    now = timezone.now()
    dispatch = Dispatch.objects.create(case=case, team=team, reinforcement_for=reinforcement_for, dispatched_at=now,
                                       dispatched_by=actor, police=police,
                                       reason=dispatch_suggest(case, police=police).reason[:200])
    what = f"增援：{team.name}" if reinforcement_for else team.name
    transition(case=case, action=Action.DISPATCH, actor=actor, actor_label=role.get_role_display(),
                public_note=f"已{'改' if redispatch else ''}派{what}赶赴现场",
                data={"dispatch": dispatch.pk, "team": team.pk, "police": police,
                      "reinforcement_for": getattr(reinforcement_for, "pk", None), "redispatch": redispatch})
    if reinforcement_for is None:
        clock_complete(case=case, name=ClockName.DISPATCH, at=now)
    notify(recipients=team.members.filter(is_active=True),
           subject=f"{'增援派单' if reinforcement_for else '快响派单'}：{case.number} {case.title}",
           body=f"请立即接单并赶赴现场：{case.title}（{case.grid.name if case.grid else ''}）。",
           kind="rapid_dispatch", link=reverse("responder"))
    return dispatch


def _team_step(actor, dispatch: Dispatch) -> Dispatch:
    check_team_step(actor, dispatch)
    locked = Dispatch.objects.select_for_update(of=("self",)).select_related("case", "team").get(pk=dispatch.pk)
    if locked.withdrawn_at is not None:  # read under the lock: a withdrawal and a tap never both go through
        raise TransitionNotAllowed(_("该派单已被指挥中心撤回，无需继续处置"))
    if locked.case.status != Status.HANDLING:
        raise TransitionNotAllowed(format_lazy(_("事项当前状态「{status}」，派单已结束"),
                                               status=Status(locked.case.status).label))
    return locked


def _member_label(actor, dispatch) -> str:
    return f"{dispatch.team.name}队员"


def _member_audit(actor) -> dict:
    """A team step is taken as a member of the dispatched team: the responder's role in the audit row."""
    role = StaffRole.objects.filter(user=actor, role=Role.RESPONDER, active=True).select_related("node").first()
    return {"role": Role.RESPONDER, "node": role.node.code if role else ""}


@transaction.atomic
def dispatch_accept(*, actor, dispatch: Dispatch) -> Dispatch:
    d = _team_step(actor, dispatch)
    if d.accepted_at is not None:
        raise TransitionNotAllowed(pgettext_lazy("refusal", "已接单"))
    d.accepted_at, d.accepted_by = timezone.now(), actor
    d.save(update_fields=["accepted_at", "accepted_by"])
    record_event(case=d.case, event=TimelineEvent.ACCEPT, actor=actor, actor_label=_member_label(actor, d),
                 public_note=f"{d.team.name}已接单", data={"dispatch": d.pk}, audit=_member_audit(actor))
    return d


@transaction.atomic
def dispatch_arrive(*, actor, dispatch: Dispatch) -> Dispatch:
    """On site: stops the arrive clock (first team) or the reinforce clock (a reinforcement)."""
    d = _team_step(actor, dispatch)
    if d.accepted_at is None:
        raise TransitionNotAllowed(_("请先接单"))
    if d.arrived_at is not None:
        raise TransitionNotAllowed(pgettext_lazy("refusal", "已确认到场"))
    d.arrived_at, d.arrived_by = timezone.now(), actor
    d.save(update_fields=["arrived_at", "arrived_by"])
    record_event(case=d.case, event=TimelineEvent.ARRIVE, actor=actor, actor_label=_member_label(actor, d),
                 public_note=f"{d.team.name}已到达现场", data={"dispatch": d.pk}, audit=_member_audit(actor))
    name = ClockName.REINFORCE if d.reinforcement_for_id else ClockName.ARRIVE
    if Clock.objects.filter(case=d.case, name=name, done_at__isnull=True).exists():
        clock_complete(case=d.case, name=name, at=d.arrived_at)
    return d


@transaction.atomic
def dispatch_report_result(*, actor, dispatch: Dispatch, result: str, photo=None) -> Dispatch:
    """The team's result (with an optional photo): stops the result clock; the text joins
    case.result, which the case's next step (publicise / request evaluation) carries on."""
    errors = {}
    result = (result or "").strip()
    if not result:
        errors["result"] = _("请填写处置结果")
    if photo is not None and (problem := photo_problem(photo)):
        errors["photo"] = problem
    d = _team_step(actor, dispatch)
    if d.arrived_at is None:
        raise TransitionNotAllowed(_("请先确认到场"))
    if d.result_at is not None:
        raise TransitionNotAllowed(_("已反馈处置结果"))
    if errors:
        raise ValidationFailed(_("处置结果有误"), errors=errors)
    d.result_at, d.result_by, d.result = timezone.now(), actor, result
    if photo is not None:
        d.photo = store_image(photo, "dispatch")  # re-encoded under a random name
    d.save()
    case = d.case
    line = f"{d.team.name}：{result}"
    record_event(case=case, event=TimelineEvent.REPORT_RESULT, actor=actor, actor_label=_member_label(actor, d),
                 note=result, public_note=f"{d.team.name}反馈处置结果", data={"dispatch": d.pk, "photo": bool(d.photo)},
                 changes={"result": f"{case.result}\n{line}" if case.result else line}, audit=_member_audit(actor))
    if Clock.objects.filter(case=case, name=ClockName.RESULT, done_at__isnull=True).exists():
        clock_complete(case=case, name=ClockName.RESULT, at=d.result_at)
    return d


@transaction.atomic
def dispatch_request_reinforcement(*, actor, dispatch: Dispatch, note: str) -> Dispatch:
    """"If 10 minutes is not enough, report back and ask for reinforcement" (J0): the request is the
    team's report back, so it stops the result clock; it starts the reinforce clock (the street's
    reinforce_minutes from the request, or — a street on Shuangfu's 1-5-15, J3 — from receipt) and
    alerts the command centre with a second team."""
    note = (note or "").strip()
    if not note:
        raise ValidationFailed(_("请说明需要什么增援"), errors={"note": _("请填写现场情况和需要的增援力量")})
    d = _team_step(actor, dispatch)
    if d.arrived_at is None:
        raise TransitionNotAllowed(_("请先确认到场"))
    case = d.case
    if Clock.objects.filter(case=case, name=ClockName.REINFORCE).exists():
        raise TransitionNotAllowed(_("本事项已请求过增援，请联系指挥中心"))
    now = timezone.now()
    d.reinforcement_requested_at, d.reinforcement_requested_by, d.reinforcement_note = now, actor, note
    d.save(update_fields=["reinforcement_requested_at", "reinforcement_requested_by", "reinforcement_note"])
    record_event(case=case, event=TimelineEvent.REQUEST_REINFORCEMENT, actor=actor,
                 actor_label=_member_label(actor, d), note=note, public_note=f"{d.team.name}请求增援",
                 data={"dispatch": d.pk}, audit=_member_audit(actor))
    street = case_street(case)
    policy = policy_for(street)
    start = now
    if policy.reinforce_from_receipt:  # 1-5-15: the reinforcement is on site 15 minutes after receipt
        start = (Clock.objects.filter(case=case, name=ClockName.DISPATCH).values_list("started_at", flat=True)
                 .first() or case.created_at)
    Clock.objects.create(case=case, name=ClockName.REINFORCE, started_at=start,
                         due_at=start + timedelta(minutes=policy.reinforce_minutes))
    due = timezone.localtime(start + timedelta(minutes=policy.reinforce_minutes))
    if Clock.objects.filter(case=case, name=ClockName.RESULT, done_at__isnull=True).exists():
        clock_complete(case=case, name=ClockName.RESULT, at=now)
    second = dispatch_suggest(case, police=reinforcement_police(d),
                              exclude=case.dispatches.values_list("team_id", flat=True))
    advice = f"建议增派：{second.team.name}（{second.reason}）" if second.team else f"没有可建议的队伍：{second.reason}"
    notify(recipients=_operators(street), subject=f"请求增援：{case.number}·{d.team.name}",
           body=f"「{case.title}」{d.team.name}请求增援：{note}。{advice}。增援须于{due:%H:%M}前到场"
                f"（{'受理后' if policy.reinforce_from_receipt else '请求后'}{policy.reinforce_minutes}分钟）。",
           kind="rapid_reinforcement", link=_case_link(case))
    return d


@stored_in_canonical_language  # the actor label stored on the event is Chinese whatever the UI language
@transaction.atomic
def dispatch_withdraw(*, actor, dispatch: Dispatch, reason: str) -> Dispatch:
    """Take a team off an urgent event before it is on site (撤回派单) — stuck on the way, or the
    wrong kind of team — so that the command centre sends another (`case_dispatch`: a new first
    dispatch, or again the reinforcement that answers the request). Only who may dispatch on the
    case; a team on site finishes or asks for reinforcement instead. One `withdraw_dispatch` event
    (the reason in its staff note, never in the public note); the team's members are told. The
    clocks are not touched: the arrive clock keeps counting from receipt."""
    role = check_withdrawer(actor, dispatch)
    _require_urgent(dispatch.case)
    d = Dispatch.objects.select_for_update(of=("self",)).select_related("case", "team").get(pk=dispatch.pk)
    case = d.case
    if case.status != Status.HANDLING:
        raise TransitionNotAllowed(format_lazy(_("事项当前状态「{status}」，派单已结束"),
                                               status=Status(case.status).label))
    if d.withdrawn_at is not None:
        raise TransitionNotAllowed(format_lazy(_("{team}的派单已撤回"), team=d.team.name))
    if d.arrived_at is not None:
        raise TransitionNotAllowed(format_lazy(
            _("{team}已到场，不能撤回派单：请由队伍反馈处置结果，或请求增援"), team=d.team.name))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("请填写撤回理由"), errors={"reason": _("请说明为什么撤回派单（如堵在路上、队伍类型不对）")})
    if len(reason) > 200:
        raise ValidationFailed(_("撤回理由太长"), errors={"reason": format_lazy(
            _("撤回理由最多200字（现有{n}字）"), n=len(reason))})
    d.withdrawn_at, d.withdrawn_by, d.withdraw_reason = timezone.now(), actor, reason
    d.save(update_fields=["withdrawn_at", "withdrawn_by", "withdraw_reason"])
    # the public note names the team only: the reason may speak of people and stays with the staff
    record_event(case=case, event=TimelineEvent.WITHDRAW_DISPATCH, actor=actor, actor_label=role.get_role_display(),
                 note=reason, public_note=f"{d.team.name}已撤回，另行调派",
                 data={"dispatch": d.pk, "team": d.team_id, "reinforcement_for": d.reinforcement_for_id},
                 audit={"role": role.role, "node": role.node.code})
    notify(recipients=d.team.members.filter(is_active=True),
           subject=f"撤回派单：{case.number} {case.title}",
           body=f"指挥中心已撤回{d.team.name}对「{case.title}」的派单，无需再赶赴现场。",
           kind="rapid_withdrawn", link=reverse("responder"))
    return d


@transaction.atomic
def team_set_duty(*, actor, team: ResponseTeam, on_duty: bool) -> ResponseTeam:
    """Put a team on or off duty (the board's switch); audited."""
    role = duty_role(actor, team)
    team = ResponseTeam.objects.select_for_update().get(pk=team.pk)
    if team.on_duty != on_duty:
        team.on_duty = on_duty
        team.save(update_fields=["on_duty"])
        audit_record(event="rapid.team_on_duty" if on_duty else "rapid.team_off_duty", actor=actor,
                     role=role.role, node=role.node.code, obj_type="response_team", obj_id=str(team.pk))
    return team
