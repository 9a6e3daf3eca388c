"""Meetings of the three bodies. Putting a case on the agenda moves it to `deliberating`; the
resolution taken on it moves it to `handling`. A shared matter may first be discussed by grid
neighbour meetings the community asked (`case_consult_grids`): they record opinions, the case does
not move. One transaction per action."""

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from sanshi.audit.services import audit_record
from sanshi.cases import scope
from sanshi.cases.models import Case, Status
from sanshi.cases.routing import BODY_OF_LEVEL, BODY_ROLES, LEVEL_OF_BODY, PARTICIPANT_ROLE_LABELS, Body
from sanshi.cases.services import record_event, transition
from sanshi.cases.transitions import Action, TimelineEvent
from sanshi.core.errors import NotPermitted, TransitionNotAllowed, ValidationFailed
from sanshi.core.i18n import join_lazy, stored_in_canonical_language
from sanshi.core.notify import notify
from sanshi.registry.models import Level, OrgNode, Person, Role, StaffRole
from sanshi.registry.selectors import security_admin_role_for

from .models import AgendaItem, Consultation, Form, Meeting, Participant, Purpose


@dataclass(frozen=True)
class ParticipantInput:
    role: str
    name: str
    username: str = ""  # a participant with an account is linked to it (they then see the agenda's cases)
    person_id: int | None = None  # a resident from the person register (participation per household)


def _persons(participants: list[ParticipantInput]) -> dict[int, Person]:
    ids = {p.person_id for p in participants if p.person_id}
    persons = {p.pk: p for p in Person.objects.filter(pk__in=ids, active=True)}
    if ids - set(persons):
        raise ValidationFailed(_("参会居民不在居民名册中"), errors={
            "participants": format_lazy(_("居民名册中没有：{ids}"), ids="、".join(str(i) for i in sorted(ids - set(persons))))})
    return persons


def _accounts(participants: list[ParticipantInput]) -> dict[str, Any]:
    names = {p.username for p in participants if p.username}
    users = {u.username: u for u in get_user_model().objects.filter(username__in=names, is_active=True)}
    missing = sorted(names - set(users))
    if missing:
        raise ValidationFailed(_("参会账号不存在"), errors={
            "participants": format_lazy(_("账号不存在或已停用：{names}"), names="、".join(missing))})
    return users


def _validate_participants(body: str, participants: list[ParticipantInput]) -> None:
    allowed = BODY_ROLES[body]
    wrong = [p.role for p in participants if p.role not in allowed]
    if not participants:
        raise ValidationFailed(_("请填写参会人员"), errors={"participants": _("至少需要一名参会人员")})
    if wrong:
        labels = join_lazy(_("、"), [PARTICIPANT_ROLE_LABELS.get(r, r) for r in wrong])
        raise ValidationFailed(_("参会身份不符"), errors={
            "participants": format_lazy(_("{roles}不是该议事会的参会身份"), roles=labels)})
    if any(not p.name.strip() and not p.username and not p.person_id for p in participants):
        raise ValidationFailed(_("参会人员缺少姓名"), errors={"participants": _("每位参会人员都需要姓名")})


def _check_case_fits(meeting: Meeting, case: Case) -> None:
    if case.body != meeting.body or case.org_id != meeting.org_id:
        raise ValidationFailed(_("事项不属于该议事会"), errors={
            "cases": format_lazy(_("{number} 应由{org}{body}议定"), number=case.number, org=case.org,
                                 body=Body(case.body).label if case.body else "")})


@transaction.atomic
@stored_in_canonical_language
def meeting_schedule(*, actor, org: OrgNode, body: str, title: str, form: str, scheduled_at,
                     participants: list[ParticipantInput], cases: list[Case], place: str = "") -> Meeting:
    errors = {}
    if body not in LEVEL_OF_BODY:
        errors["body"] = _("未知的议事主体")
    elif org.level != LEVEL_OF_BODY[body]:
        errors["org"] = format_lazy(_("{org}不是该议事会的层级"), org=org.name)
    if form not in Form.values:
        errors["form"] = _("请选择议事形式")
    if not (title or "").strip():
        errors["title"] = _("请填写会议名称")
    if scheduled_at is None:
        errors["scheduled_at"] = _("请填写时间")
    if errors:
        raise ValidationFailed(_("会议信息有误"), errors=errors)
    _validate_participants(body, participants)
    if scope.may_convene(actor, org, body) is None:
        raise NotPermitted(_("您不能召集该议事会：由该层级议事会的牵头人召集（网格长、社区书记、街道干部、区级联席会议成员）"))
    accounts = _accounts(participants)
    persons = _persons(participants)
    meeting = Meeting.objects.create(body=body, level=org.level, org=org, title=title.strip(), convener=actor,
                                     form=form, scheduled_at=scheduled_at, place=place)
    def name_of(p: ParticipantInput) -> str:
        if p.name.strip():
            return p.name.strip()
        if p.username:
            return str(accounts[p.username])
        return persons[p.person_id].name if p.person_id else ""

    Participant.objects.bulk_create([
        Participant(meeting=meeting, role=p.role, user=accounts.get(p.username),
                    person=persons.get(p.person_id) if p.person_id else None, name=name_of(p)[:50])
        for p in participants])
    for case in cases:
        meeting_add_case(actor=actor, meeting=meeting, case=case)
    return meeting


@transaction.atomic
@stored_in_canonical_language
def meeting_add_case(*, actor, meeting: Meeting, case: Case) -> AgendaItem:
    consultation = _consultation(meeting, case)
    if consultation is not None:
        return _add_for_opinion(actor=actor, meeting=meeting, case=case, consultation=consultation)
    _check_case_fits(meeting, case)
    role = scope.check(actor, Action.DELIBERATE, case)
    if meeting.held_at:
        raise TransitionNotAllowed(_("会议已召开，不能再添加事项"))
    if AgendaItem.objects.filter(meeting=meeting, case=case).exists():
        raise TransitionNotAllowed(_("该事项已在本次会议议程中"))
    item = AgendaItem.objects.create(meeting=meeting, case=case)
    if case.status == Status.TRIAGED:
        transition(case=case, action=Action.DELIBERATE, actor=actor, actor_label=role.get_role_display(),
                   public_note=f"提交{meeting.get_body_display()}议事（{meeting.get_form_display()}）",
                   data={"meeting": meeting.pk})
    elif case.status != Status.DELIBERATING:  # an escalated case is already deliberating
        raise TransitionNotAllowed(format_lazy(_("当前状态「{status}」不能提交议事"), status=Status(case.status).label))
    return item


def _consultation(meeting: Meeting, case: Case) -> Consultation | None:
    """The community's request for this grid meeting's opinion on `case`, if any."""
    if meeting.body != Body.GRID_NEIGHBOUR_MEETING or case.kind != "SHARED":
        return None
    return Consultation.objects.filter(case=case, grid=meeting.org_id).first()


def grids_parent_name(case: Case) -> str:
    return case.org.name if case.org is not None else ""


def _add_for_opinion(*, actor, meeting: Meeting, case: Case, consultation: Consultation) -> AgendaItem:
    """A grid neighbour meeting takes up a shared matter it was asked about: it gives an opinion, the
    case does not move (the community review meeting decides it)."""
    if scope.may_convene(actor, meeting.org, meeting.body) is None:
        raise NotPermitted(_("由网格长召集网格邻里会讨论"))
    if case.status not in (Status.TRIAGED, Status.DELIBERATING):
        raise TransitionNotAllowed(format_lazy(_("当前状态「{status}」不再征求意见"), status=Status(case.status).label))
    if meeting.held_at:
        raise TransitionNotAllowed(_("会议已召开，不能再添加事项"))
    if consultation.item_id is not None:
        raise TransitionNotAllowed(_("本网格已就该事项提出意见"))
    if AgendaItem.objects.filter(meeting=meeting, case=case).exists():
        raise TransitionNotAllowed(_("该事项已在本次会议议程中"))
    return AgendaItem.objects.create(meeting=meeting, case=case, purpose=Purpose.OPINION)


@transaction.atomic
@stored_in_canonical_language
def case_consult_grids(*, actor, case: Case, grid_codes: list[str]) -> list[Consultation]:
    """The community review meeting's convener asks grid neighbour meetings of the community for their
    opinion on a shared matter before deciding it (J3). Their grid staff see the matter from then on
    and are told; a grid asked before is not asked twice."""
    role = scope.check(actor, Action.CONSULT, case)
    if case.kind != "SHARED" or case.status not in (Status.TRIAGED, Status.DELIBERATING):
        raise TransitionNotAllowed(_("只有议定前的共事可以征求网格意见"))
    codes = {c.strip() for c in grid_codes if c and c.strip()}
    if not codes:
        raise ValidationFailed(_("请选择网格"), errors={"grids": _("至少选择一个网格")})
    grids = {g.code: g for g in OrgNode.objects.filter(code__in=codes, level=Level.GRID, parent_id=case.org_id)}
    if codes - set(grids):
        raise ValidationFailed(_("网格不属于本社区"), errors={
            "grids": format_lazy(_("不属于本社区的网格：{codes}"), codes="、".join(sorted(codes - set(grids))))})
    asked = set(Consultation.objects.filter(case=case).values_list("grid__code", flat=True))
    now = timezone.now()
    new = [Consultation.objects.create(case=case, grid=g, requested_by=actor, requested_at=now)
           for code, g in sorted(grids.items()) if code not in asked]
    if new:
        names = "、".join(c.grid.name for c in new)
        record_event(case=case, event=TimelineEvent.CONSULTED, actor=actor, actor_label=role.get_role_display(),
                     public_note=f"征求{names}邻里会意见", data={"grids": [c.grid.code for c in new]},
                     audit={"role": role.role, "node": role.node.code})
        leaders = StaffRole.objects.filter(node__in=[c.grid for c in new], active=True,
                                           role__in=[Role.GRID_LEADER, Role.GRID_WORKER]).select_related("user")
        notify(recipients=[r.user for r in leaders], kind="consultation",
               subject=f"请召开网格邻里会讨论：{case.title}",
               body=f"{grids_parent_name(case)}就共事“{case.title}”征求网格意见，请召开网格邻里会讨论后记录意见。",
               link=f"/staff/cases/{case.pk}/")
    return new


@transaction.atomic
@stored_in_canonical_language
def meeting_record_opinion(*, actor, meeting: Meeting, case: Case, opinion: str,
                           votes_for: int | None = None, votes_against: int | None = None) -> AgendaItem:
    """The grid neighbour meeting's opinion on a shared matter of its community, on the case's
    timeline for the community review meeting to weigh; the case does not move."""
    if not (opinion or "").strip():
        raise ValidationFailed(_("请填写讨论意见"), errors={"opinion": _("请写明网格邻里会的意见")})
    if len(opinion) > 2000:
        raise ValidationFailed(_("讨论意见太长"), errors={"opinion": _("最多2000字")})
    role = scope.may_convene(actor, meeting.org, meeting.body)
    if role is None or not scope.can_see(actor, case):
        raise NotPermitted(_("由召集本次网格邻里会的网格长记录意见"))
    item = AgendaItem.objects.select_for_update().filter(meeting=meeting, case=case, purpose=Purpose.OPINION).first()
    consultation = Consultation.objects.select_for_update().filter(case=case, grid=meeting.org_id).first()
    if item is None or consultation is None:
        raise ValidationFailed(_("事项不在本次会议议程中"), errors={"case": _("请先把事项加入议程")})
    if item.decided_at or consultation.item_id:
        raise TransitionNotAllowed(_("本网格已就该事项提出意见"))
    if case.status not in (Status.TRIAGED, Status.DELIBERATING):
        raise TransitionNotAllowed(_("社区已议定该事项，不再记录网格意见"))
    now = timezone.now()
    item.resolution, item.votes_for, item.votes_against, item.decided_at = opinion.strip(), votes_for, votes_against, now
    item.save()
    consultation.item = item
    consultation.save(update_fields=["item"])
    if meeting.held_at is None:
        meeting.held_at = now
        meeting.save(update_fields=["held_at"])
    record_event(case=case, event=TimelineEvent.OPINION, actor=actor, actor_label=role.get_role_display(),
                 note=opinion.strip(), public_note=f"{meeting.org.name}邻里会意见：{opinion.strip()}",
                 data={"meeting": meeting.pk, "grid": meeting.org.code, "votes_for": votes_for,
                       "votes_against": votes_against},
                 audit={"role": role.role, "node": role.node.code})
    return item


@transaction.atomic
@stored_in_canonical_language
def meeting_resolve_case(*, actor, meeting: Meeting, case: Case, resolution: str,
                         votes_for: int | None = None, votes_against: int | None = None) -> AgendaItem:
    role = scope.check(actor, Action.RESOLVE, case)
    if not (resolution or "").strip():
        raise ValidationFailed(_("请填写议定事项"), errors={"resolution": _("请填写该事项的议定结果")})
    item = AgendaItem.objects.select_for_update().filter(meeting=meeting, case=case).first()
    if item is None:
        raise ValidationFailed(_("事项不在本次会议议程中"), errors={"case": _("请先把事项加入议程")})
    if item.purpose == Purpose.OPINION:
        raise TransitionNotAllowed(_("网格邻里会就共事提出意见，由社区议事协商会议定"))
    if item.decided_at:
        raise TransitionNotAllowed(_("该事项已议定"))
    _check_case_fits(meeting, case)
    now = timezone.now()
    item.resolution, item.votes_for, item.votes_against, item.decided_at = (
        resolution.strip(), votes_for, votes_against, now)
    item.save()
    if meeting.held_at is None:
        meeting.held_at = now
        meeting.save(update_fields=["held_at"])
    escalation = _pending_escalation(case)
    redo = escalation is not None
    transition(case=case, action=Action.RESOLVE, actor=actor, actor_label=role.get_role_display(),
               public_note=("提级复议：" if redo else "议定：") + resolution.strip(),
               data={"meeting": meeting.pk, "votes_for": votes_for, "votes_against": votes_against,
                     "redo": redo},
               changes={"resolution": resolution.strip()})
    origin = OrgNode.objects.filter(code=(escalation.data or {}).get("from_org") or "").first() if escalation else None
    if origin is not None and origin.pk != case.org_id:
        # 下沉再办 (J0): the level above decided; the body the matter came from redoes it under these instructions
        body = BODY_OF_LEVEL[origin.level]
        transition(case=case, action=Action.SEND_DOWN, actor=actor, actor_label=role.get_role_display(),
                   note=resolution.strip(), public_note=f"下沉再办：交{origin.name}{body.label}按复议意见重新办理",
                   data={"from_org": case.org.code if case.org else None, "to_org": origin.code,
                         "meeting": meeting.pk},
                   changes={"level": origin.level, "body": body, "org": origin})
    return item


def _pending_escalation(case: Case):
    """The escalation the case is being deliberated again for (提级复议), if it has not been sent back
    down since."""
    last = (case.events.filter(action__in=[Action.ESCALATE, Action.SEND_DOWN]).order_by("-at", "-id").first())
    return last if last is not None and last.action == Action.ESCALATE else None


@transaction.atomic
def meeting_record_minutes(*, actor, meeting: Meeting, minutes: str) -> Meeting:
    if meeting.convener_id != actor.pk and scope.may_convene(actor, meeting.org, meeting.body) is None:
        raise NotPermitted(_("只有召集人或该议事会的牵头人可以填写纪要"))
    if not (minutes or "").strip():
        raise ValidationFailed(_("请填写会议纪要"), errors={"minutes": _("请填写会议纪要")})
    meeting.minutes = minutes.strip()
    meeting.held_at = meeting.held_at or timezone.now()
    meeting.save(update_fields=["minutes", "held_at"])
    return meeting


@transaction.atomic
def meeting_reassign_convener(*, actor, meeting: Meeting, to_user) -> Meeting:
    """Hand a meeting not yet held to another convener of the same body at the same node (交接): its
    convener may, and so may a security administrator covering its node (revoking the convener's
    role: registry.handover). Audited as `meeting.reassign`; the new convener is told."""
    held = security_admin_role_for(actor, meeting.org)
    if held is None and meeting.convener_id != actor.pk:
        raise NotPermitted(_("只有召集人本人或安全管理员可以移交议事会"))
    locked = Meeting.objects.select_for_update().select_related("org").get(pk=meeting.pk)
    if locked.held_at is not None:
        raise TransitionNotAllowed(_("会议已召开，不能再更换召集人"))
    if locked.convener_id == to_user.pk:
        raise TransitionNotAllowed(_("此人已是该会议的召集人"))
    if scope.may_convene(to_user, locked.org, locked.body) is None:
        raise ValidationFailed(_("接手人不符合要求"), errors={
            "to": format_lazy(_("接手人须能召集{org}的{body}"), org=locked.org.name, body=Body(locked.body).label)})
    acting = held or scope.may_convene(actor, locked.org, locked.body)
    locked.convener = to_user
    locked.save(update_fields=["convener"])
    meeting.convener = to_user
    audit_record(event="meeting.reassign", actor=actor, role=acting.role if acting else "",
                 node=acting.node.code if acting else "", obj_type="meeting", obj_id=str(locked.pk))
    notify(recipients=[to_user], subject=f"议事会移交给您召集：{locked.title}",
           body=f"「{locked.title}」（{timezone.localtime(locked.scheduled_at):%Y-%m-%d %H:%M}）已移交由您召集。",
           kind="meeting_handover", link=f"/staff/meetings/{locked.pk}/")
    return meeting


__all__ = ["ParticipantInput", "meeting_schedule", "meeting_add_case", "meeting_resolve_case",
           "meeting_record_minutes", "meeting_reassign_convener"]
