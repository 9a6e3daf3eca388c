"""The demo's urgent-response part (突发快响): a police team and emergency squads per street (one per
zone where the street has zones), responder accounts, Chengzi on a 1-5-15 policy, and a few urgent
cases at each step — driven through the real services, then moved back in time so that the board
shows live clocks, a finished event and a breach."""

from datetime import timedelta

from django.db.models import F

from sanshi.accounts.models import User
from sanshi.cases.models import CaseEvent
from sanshi.cases.services import case_triage
from sanshi.intake.channels import SubChannel
from sanshi.intake.models import Request
from sanshi.intake.services import RequestInput, request_submit
from sanshi.rapid.models import Clock, Dispatch, ResponseTeam, TeamKind, TeamMember
from sanshi.rapid.services import (
    case_dispatch,
    dispatch_accept,
    dispatch_arrive,
    dispatch_report_result,
    dispatch_request_reinforcement,
    dispatch_suggest,
)
from sanshi.registry.models import Level, OrgNode, Role, StaffRole

# (grid code, text, catalogue code, step, minutes ago)
URGENT_CASES = [
    ("DS01-G01", "东门小区3栋楼道有电动车起火冒烟，楼上住户下不来", "P6", "dispatched", 2),
    ("DS02-G01", "小区门口两伙人打架斗殴，有人受伤", "P1", "arrived", 5),
    ("CZ01-G01", "城子大街菜市场旁燃气管道漏气，气味很大", "P6", "result", 40),
    ("CZ11-G01", "龙门新区一区一处围墙倒塌压住电动车，有人被困", "P6", "reinforcement", 10),
    ("DS01-G02", "鼎城花园一位老人在家中摔倒无法起身，家属联系不上", "H6", "breached", 14),
]


def _teams(demo) -> dict:
    """Per street: a police team for the whole street, and a squad per zone (one whole-street squad
    where the street has no zones, as Dingshan)."""
    teams = {}
    for street in demo.streets:
        police = ResponseTeam.objects.create(street=street, kind=TeamKind.POLICE,
                                             name=f"{street.name.removesuffix('街道')}派出所巡逻服务站")
        zones = sorted(set(OrgNode.objects.filter(parent=street, level=Level.COMMUNITY).exclude(zone="")
                           .values_list("zone", flat=True)))
        squads = [ResponseTeam.objects.create(street=street, kind=TeamKind.SQUAD, name=f"{zone}应急队",
                                              zones=[zone]) for zone in zones]
        if not squads:
            squads = [ResponseTeam.objects.create(street=street, kind=TeamKind.SQUAD, name=f"{street.name}应急队")]
        teams[street.code] = [police, *squads]
        for team in teams[street.code]:
            for n in range(2):
                TeamMember.objects.create(team=team, user=_member(demo, street), is_leader=n == 0)
    return teams


def _member(demo, street):
    """A responder without a password (like the demo's other unnamed staff)."""
    demo.name_counter += 1
    user = User.objects.create(username=f"staff-{demo.name_counter:04d}", display_name=demo.person(), is_demo=True)
    user.set_unusable_password()
    user.save()
    StaffRole.objects.create(user=user, node=street, role=Role.RESPONDER)
    return user


def _join(username: str, team: ResponseTeam) -> None:
    TeamMember.objects.create(team=team, user=User.objects.get(username=username), is_leader=False)


def _shift(case, minutes: int) -> None:
    """Move every time of the case `minutes` into the past, keeping their order and gaps."""
    delta = timedelta(minutes=minutes)
    Request.objects.filter(case=case).update(received_at=F("received_at") - delta)
    CaseEvent.objects.filter(case=case).update(at=F("at") - delta)
    for field in ("started_at", "due_at", "done_at", "breached_at"):
        Clock.objects.filter(case=case, **{f"{field}__isnull": False}).update(**{field: F(field) - delta})
    for field in ("dispatched_at", "accepted_at", "arrived_at", "result_at", "reinforcement_requested_at"):
        Dispatch.objects.filter(case=case, **{f"{field}__isnull": False}).update(**{field: F(field) - delta})
    type(case).objects.filter(pk=case.pk).update(created_at=F("created_at") - delta)


def _member_of(team: ResponseTeam):
    return team.members.order_by("team_memberships__id").first()


def build_rapid(demo) -> None:
    teams = _teams(demo)
    ds, cz = demo.streets
    _join("demo-police", teams[ds.code][0])
    _join("demo-squad", teams[ds.code][1])
    _join("demo-cz-squad", next(t for t in teams[cz.code] if t.name.startswith("城子大街")))
    for grid_code, text, code, step, ago in URGENT_CASES:
        grid = OrgNode.objects.get(code=grid_code)
        operator = demo.local(Role.OPERATOR, grid)
        case = request_submit(actor=demo.hotline, data=RequestInput(text=text, title=text[:20], grid_code=grid.code,
                                                            sub_channel=SubChannel.HOTLINE)).case
        kind = {"P": "PUBLIC", "S": "SHARED", "H": "HOUSEHOLD"}[code[0]]
        case_triage(actor=operator, case=case, kind=kind, catalogue_code=code, reason="突发事件，按1510机制处置",
                    urgent=True)
        if step == "breached":  # received 14 minutes ago, dispatched only now: late; arrival overdue too
            _shift(case, ago)
            case_dispatch(actor=operator, case=case, team=dispatch_suggest(case).team)
            continue
        d = case_dispatch(actor=operator, case=case, team=dispatch_suggest(case).team)
        responder = _member_of(d.team)
        spent = 0  # minutes between the steps, so the timeline reads like a real one
        if step != "dispatched":
            _shift(case, 1)
            dispatch_accept(actor=responder, dispatch=d)
            _shift(case, 3)
            dispatch_arrive(actor=responder, dispatch=d)
            spent = 4
        if step == "result":
            _shift(case, 5)
            dispatch_report_result(actor=responder, dispatch=d, result="已关闭燃气总阀并通风，燃气公司已抢修完毕，无人员受伤")
            spent += 5
        if step == "reinforcement":
            _shift(case, 3)
            dispatch_request_reinforcement(actor=responder, dispatch=d, note="围墙继续开裂，需要综合执法和消防增援")
            case.refresh_from_db()
            _shift(case, 1)
            case_dispatch(actor=operator, case=case, team=dispatch_suggest(case, exclude=[d.team_id]).team)
            spent += 4
        _shift(case, ago - spent)
    demo.out(f"  突发快响：{ResponseTeam.objects.count()} 支应急处置队伍，{len(URGENT_CASES)} 件紧急事件"
             "（已派单、已到场、已反馈、请求增援、超时各一）")
