"""Build the demo district: two streets modelled on the seeds, grids, households, staff for
every role, demo accounts, and a few hundred requests driven through the real services to
every stage of the life cycle. Deterministic for a given seed."""

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from sanshi.accounts.models import User
from sanshi.cases.models import Case, CaseEvent, Status
from sanshi.cases.routing import BODY_OF_LEVEL, Body
from sanshi.cases.services import (
    case_department_report,
    case_publicise,
    case_request_evaluation,
    case_triage,
    case_whistle,
)
from sanshi.catalog.services import ensure_catalogue
from sanshi.deliberation.models import Form
from sanshi.deliberation.services import ParticipantInput, meeting_resolve_case, meeting_schedule
from sanshi.evaluation.services import evaluation_by_party, evaluation_submit, open_round, round_decide
from sanshi.intake.channels import ASSIGNED_SUB_CHANNELS, PUBLIC_SUB_CHANNELS, SubChannel
from sanshi.intake.models import Request
from sanshi.intake.services import RequestInput, request_submit
from sanshi.registry.models import (
    CommunityType,
    Department,
    GridType,
    Household,
    Level,
    MicroGridType,
    OrgNode,
    Role,
    StaffRole,
)
from sanshi.registry.services import node_create

from . import content
from .notices import build_notices, period_over
from .rapid import build_rapid
from .supervision import build_supervision
from .votes import build_votes

# stage a demo case is driven to, with its weight
STAGES = [("received", 14), ("triaged", 8), ("deliberating", 8), ("handling", 12), ("whistled", 5),
          ("publicised", 7), ("evaluating", 9), ("closed", 27), ("escalated", 6), ("escalated_closed", 4)]
# the last cases land in the demo accounts' grid (DS01-G01), so that each demo account has a matter of
# its kind at the step it acts on: the committee a shared matter to rate, the congress a public one …
SHOWCASE = [("S", "evaluating"), ("S", "publicised"), ("S", "closed"), ("H", "evaluating"), ("P", "evaluating"),
            ("H", "escalated"), ("S", "deliberating"), ("H", "triaged")]
PATROL_SUBS = [SubChannel.GRID_PATROL, SubChannel.GRID_VISIT, SubChannel.BUILDING_VISIT, SubChannel.KEY_VISIT,
               SubChannel.ZONE_GROUP_VISIT, SubChannel.PLATFORM_VISIT]
RESIDENT_SUBS = [SubChannel.WEB, SubChannel.QR_DOOR_PLATE, SubChannel.WECHAT_GROUP, SubChannel.SUGGESTION_BOX,
                 SubChannel.WISH_WALL, SubChannel.WALK_IN]
ASSIGNED_SUBS = [SubChannel.HOTLINE, SubChannel.SUPERIOR]

# (username, role, where: "district" | "street" | "community" | "grid", department code, what they do)
DEMO_ACCOUNTS = [
    ("demo-district", Role.DISTRICT_OFFICER, "district", None, "区级联席会议：提级到区的事项，全区数据"),
    ("demo-operator", Role.OPERATOR, "street", None, "鼎山街道指挥中心：诉求池、分拣派单、吹哨"),
    ("demo-street", Role.STREET_OFFICER, "street", None, "鼎山街道干部：街道联席会、公事台账"),
    ("demo-secretary", Role.COMMUNITY_SECRETARY, "community", None, "东门社区书记：社区评议会"),
    ("demo-grid", Role.GRID_WORKER, "grid", None, "网格员：手机登记、网格邻里会"),
    ("demo-gridleader", Role.GRID_LEADER, "grid", None, "网格长：网格邻里会、回访"),
    ("demo-instructor", Role.GRID_INSTRUCTOR, "grid", None, "网格指导员"),
    ("demo-dept-zj", Role.DEPARTMENT_LIAISON, "district", "ZJ", "区住建委联络员：吹哨报到反馈"),
    ("demo-dept-cg", Role.DEPARTMENT_LIAISON, "district", "CG", "区城管局联络员：吹哨报到反馈"),
    ("demo-supervisor", Role.DEMOCRATIC_SUPERVISOR, "street", None, "民主监督员：评价三类事项"),
    ("demo-committee", Role.SUPERVISION_COMMITTEE, "community", None, "居务监督委员会：评价共事"),
    ("demo-congress", Role.PEOPLES_CONGRESS, "street", None, "街道人大工委：评价公事"),
    ("demo-mediator", Role.MEDIATOR, "community", None, "调解员"),
    ("demo-property", Role.PROPERTY_REP, "community", None, "物业企业代表"),
    ("demo-resident", Role.RESIDENT_REP, "community", None, "居民代表"),
    ("demo-cz-operator", Role.OPERATOR, "street2", None, "城子街道指挥中心"),
    ("demo-police", Role.RESPONDER, "street", None, "鼎山派出所巡逻服务站队员：手机接单、到场、反馈、请求增援"),
    ("demo-squad", Role.RESPONDER, "street", None, "鼎山街道应急队队员：/staff/rapid/ 我的派单"),
    ("demo-cz-squad", Role.RESPONDER, "street2", None, "城子大街片区应急队队员"),
    ("demo-hotline", Role.INTAKE_CLIENT, "district", None, "12345热线系统接入（仅接口令牌）：提交交办工单"),
    ("demo-sysadmin", Role.SYSTEM_ADMIN, "district", None, "系统管理员（三员之一）"),
    ("demo-secadmin", Role.SECURITY_ADMIN, "district", None, "安全管理员：分配、收回岗位"),
    ("demo-auditadmin", Role.AUDIT_ADMIN, "district", None, "审计管理员：查阅审计日志"),
]


@dataclass
class Demo:
    rng: random.Random
    out: Callable[[str], None]
    district: OrgNode | None = None
    streets: list[OrgNode] = field(default_factory=list)
    grids: list[OrgNode] = field(default_factory=list)
    staff: dict[tuple[str, int], User] = field(default_factory=dict)  # (role, node id) → user
    accounts: list[tuple[str, str, str, str]] = field(default_factory=list)
    name_counter: int = 0
    members: dict = field(default_factory=dict)  # (participant role, community id) → demo username
    hotline: User | None = None  # the 12345 system's account: it submits the assigned work orders

    # ---- people ---------------------------------------------------------------------------
    def person(self) -> str:
        return self.rng.choice(content.SURNAMES) + self.rng.choice(content.GIVEN_NAMES)

    def user(self, role: str, node: OrgNode, *, username: str | None = None, department=None) -> User:
        key = (role, node.pk)
        if key in self.staff and username is None and department is None:
            return self.staff[key]
        self.name_counter += 1
        name = self.person()
        user = User.objects.create(username=username or f"staff-{self.name_counter:04d}", display_name=name,
                                   is_demo=True)
        if username:
            user.set_password(settings.SANSHI_DEMO_PASSWORD)
        else:
            user.set_unusable_password()
        user.save()
        StaffRole.objects.create(user=user, node=node, role=role, department=department)
        self.staff.setdefault(key, user)
        return user

    # ---- registry -------------------------------------------------------------------------
    def build_registry(self) -> None:
        self.district = node_create(code=content.DISTRICT["code"], name=content.DISTRICT["name"],
                                    level=Level.DISTRICT)
        for code, name in content.DEPARTMENTS:
            if not Department.objects.filter(name=name).exists() and not Department.objects.filter(code=code).exists():
                Department.objects.create(code=code, name=name)
        households = []
        for street_data in content.STREETS:
            street = node_create(code=street_data["code"], name=street_data["name"], level=Level.STREET,
                                 parent=self.district,
                                 community_leads_household=street_data.get("community_leads_household", False))
            self.streets.append(street)
            for index, c in enumerate(street_data["communities"]):
                community = node_create(code=c["code"], name=c["name"], level=Level.COMMUNITY, parent=street,
                                        zone=c.get("zone", ""), community_type=CommunityType(c["type"]),
                                        address=c.get("address_hint", ""))
                for g, compound in enumerate(c["compounds"], start=1):
                    n_households = self.rng.randint(50, 80)
                    grid = node_create(code=f"{c['code']}-G{g:02d}", name=f"{compound}网格", level=Level.GRID,
                                       parent=community, grid_type=GridType.RESIDENTIAL, households=n_households,
                                       address=compound)
                    self.grids.append(grid)
                    units = c.get("buildings", {}).get(compound, 4)
                    micro_type = MicroGridType.BUILDING if c["type"] == "urban" else MicroGridType.COURTYARD
                    unit_word = "栋" if c["type"] == "urban" else "院落"
                    for u in range(1, min(units, 6) + 1):
                        micro = node_create(code=f"{grid.code}-M{u:02d}", name=f"{compound}{u}{unit_word}",
                                            level=Level.MICRO_GRID, parent=grid, micro_type=micro_type,
                                            address=f"{compound}{u}{unit_word}", households=n_households // units)
                        for h in range(1, 4):
                            households.append(Household(node=micro, address=f"{micro.address}{h}0{h}室",
                                                        head_name=self.person(), members=self.rng.randint(1, 5)))
                if index == 0:
                    for s, (grid_type, label) in enumerate(content.SECTOR_GRID_TYPES, start=1):
                        node_create(code=f"{c['code']}-S{s:02d}", name=f"{c['name']}{label}", level=Level.GRID,
                                    parent=community, grid_type=grid_type)
        Household.objects.bulk_create(households)
        self.out(f"  组织树：1 区 · {len(self.streets)} 街道 · "
                 f"{OrgNode.objects.filter(level=Level.COMMUNITY).count()} 社区/村 · "
                 f"{OrgNode.objects.filter(level=Level.GRID).count()} 网格 · "
                 f"{OrgNode.objects.filter(level=Level.MICRO_GRID).count()} 微网格 · {len(households)} 户")

    def build_staff(self) -> None:
        ds, cz = self.streets
        community = OrgNode.objects.get(code="DS01")
        grid = OrgNode.objects.get(code="DS01-G01")
        where = {"district": self.district, "street": ds, "street2": cz, "community": community, "grid": grid}
        for username, role, place, dept, what in DEMO_ACCOUNTS:
            department = Department.objects.get(code=dept) if dept else None
            self.user(role, where[place], username=username, department=department)
            self.accounts.append((username, Role(role).label, where[place].name, what))
        self.hotline = User.objects.get(username="demo-hotline")
        # demo accounts who sit in meetings of the demo community (they see those meetings' cases)
        self.members = {(Role.MEDIATOR, community.pk): "demo-mediator", (Role.PROPERTY_REP, community.pk): "demo-property",
                        (Role.RESIDENT_REP, community.pk): "demo-resident"}
        admin = User.objects.create_superuser("demo-admin", email="", password=settings.SANSHI_DEMO_PASSWORD,
                                              display_name="系统管理员", is_demo=True)
        self.accounts.append((admin.username, "系统管理员", "—", "后台 /admin/：组织、清单、部门、岗位"))
        # every street, community and grid gets its own people for every local role
        self.user(Role.DISTRICT_OFFICER, self.district)
        for street in self.streets:
            for role in (Role.OPERATOR, Role.STREET_OFFICER, Role.DEMOCRATIC_SUPERVISOR, Role.PEOPLES_CONGRESS):
                self.user(role, street)
        for community in OrgNode.objects.filter(level=Level.COMMUNITY):
            for role in (Role.COMMUNITY_SECRETARY, Role.SUPERVISION_COMMITTEE, Role.MEDIATOR):
                self.user(role, community)
        for g in self.grids:
            self.user(Role.GRID_WORKER, g)
            self.user(Role.GRID_LEADER, g)
        for department in Department.objects.all():
            if not StaffRole.objects.filter(role=Role.DEPARTMENT_LIAISON, department=department).exists():
                self.user(Role.DEPARTMENT_LIAISON, self.district, department=department)
        self.out(f"  工作人员：{StaffRole.objects.count()} 个岗位，{len(self.accounts)} 个可登录演示账号")

    # ---- requests and cases ---------------------------------------------------------------
    def fill(self, template: str, grid: OrgNode) -> str:
        community = grid.parent
        compound = grid.address or grid.name
        building = f"{self.rng.randint(1, 12)}栋" if community.community_type == "urban" else f"{self.rng.randint(1, 9)}号"
        return template.format(compound=compound, building=building, community=community.name,
                               road=community.address or "滨江路")

    def local(self, role: str, node: OrgNode) -> User:
        while node is not None:
            user = self.staff.get((role, node.pk))
            if user:
                return user
            node = node.parent
        raise LookupError(role)

    def build_cases(self, count: int) -> None:
        codes = sorted(content.REQUESTS)
        stages = [s for s, w in STAGES for _ in range(w)]
        made = 0
        showcase_from = max(count - len(SHOWCASE), len(STAGES))
        demo_grid = OrgNode.objects.get(code="DS01-G01")
        for n in range(count):
            code = codes[n % len(codes)]
            grid = self.rng.choice(self.grids)
            if n >= showcase_from:  # the demo accounts' own grid gets each kind at the steps they act on
                letter, stage_here = SHOWCASE[n - showcase_from]
                code = self.rng.choice([c for c in codes if c.startswith(letter)])
                grid = demo_grid
            ctype = grid.parent.community_type
            pool = [r for r in content.REQUESTS[code] if r.get("area", "any") in ("any", ctype)] or \
                content.REQUESTS[code]
            template = self.rng.choice(pool)
            channel = self.rng.choice([PATROL_SUBS, RESIDENT_SUBS, ASSIGNED_SUBS])
            sub = self.rng.choice(channel)
            # every stage at least once (the first cases run through them), then at random by weight
            stage = STAGES[n][0] if n < len(STAGES) else self.rng.choice(stages)
            if n >= showcase_from:
                stage = stage_here
            if stage == "whistled" and not code.startswith("P"):
                stage = "handling"
            with transaction.atomic():
                self.one_case(code, grid, template, sub, stage)
            made += 1
            if made % 50 == 0 or made == count:
                self.out(f"  诉求与事项：{made}/{count}")

    def one_case(self, code: str, grid: OrgNode, template: dict, sub: str, stage: str) -> None:
        rng = self.rng
        known_grid = sub in PATROL_SUBS or sub == SubChannel.QR_DOOR_PLATE or rng.random() < 0.6
        reporter = "" if sub in PATROL_SUBS else self.person()
        phone = f"1{rng.choice('3589')}{rng.randint(0, 999999999):09d}" if reporter and rng.random() < .7 else ""
        grid_worker = self.local(Role.GRID_WORKER, grid)
        # residents submit on the public channels; the 12345 system its work orders; staff the rest
        actor = (None if sub in PUBLIC_SUB_CHANNELS else self.hotline if sub in ASSIGNED_SUB_CHANNELS
                 else grid_worker)
        request = request_submit(actor=actor, data=RequestInput(
            text=self.fill(template["text"], grid), title=self.fill(template["title"], grid), sub_channel=sub,
            grid_code=grid.code if known_grid else "", reporter_name=reporter, reporter_phone=phone))
        case = request.case
        if stage == "received":
            return self.backdate(case, request)
        operator = self.local(Role.OPERATOR, grid)
        kind = {"P": "PUBLIC", "S": "SHARED", "H": "HOUSEHOLD"}[code[0]]
        suggestion = request.suggestion
        override = suggestion.get("catalogue_code") != code or suggestion.get("kind") != kind
        case_triage(actor=operator, case=case, kind=kind, catalogue_code=code, grid_code=grid.code,
                    reason="按责任清单核定" if override else "")
        if stage != "triaged":
            self.deliberate(case, grid)
        if stage in ("handling", "whistled", "publicised", "evaluating", "closed", "escalated",
                     "escalated_closed"):
            self.resolve(case, grid)
        if stage == "whistled" or (kind == "PUBLIC" and stage in ("closed", "evaluating") and rng.random() < .35):
            self.whistle(case, grid, report=stage != "whistled")
        if stage in ("publicised", "evaluating", "closed", "escalated", "escalated_closed"):
            self.finish_handling(case, grid, stop_at_notice=stage == "publicised")
        if stage in ("closed", "escalated", "escalated_closed"):
            self.evaluate(case, grid, good=stage == "closed")
        if stage == "escalated_closed":
            self.deliberate(case, grid)
            self.resolve(case, grid)
            self.finish_handling(case, grid, stop_at_notice=False)
            self.evaluate(case, grid, good=True)
        self.backdate(case, request)

    def text_for(self, case: Case, by_code: dict[str, list[str]], by_kind: dict[str, list[str]]) -> str:
        """A decision or result written for the case's catalogue item; the kind's list when the item
        has none (or the case has no item)."""
        code = case.catalogue_item.code if case.catalogue_item_id else ""
        return self.rng.choice(by_code.get(code) or by_kind[case.kind])

    def convener(self, case: Case, grid: OrgNode) -> User:
        """Who convenes and decides the case's body (DOMAIN.md §3 step 2): the grid leader (or, in a
        street that lets the community lead household matters, the community secretary), the
        community secretary, a street officer, the district officer."""
        street = case.org.ancestor(Level.STREET) if case.org else None
        if case.level == Level.GRID and street is not None and street.community_leads_household:
            return self.local(Role.COMMUNITY_SECRETARY, case.org.parent)
        role = {Level.GRID: Role.GRID_LEADER, Level.COMMUNITY: Role.COMMUNITY_SECRETARY,
                Level.STREET: Role.STREET_OFFICER, Level.DISTRICT: Role.DISTRICT_OFFICER}[case.level]
        return self.local(role, case.org)

    def deliberate(self, case: Case, grid: OrgNode) -> None:
        body = BODY_OF_LEVEL[case.level]
        kind_key = case.kind
        roles_here = {
            Body.GRID_NEIGHBOUR_MEETING: ["grid_worker", "grid_leader", "mediator", "party", "warm_hearted_resident"],
            Body.COMMUNITY_REVIEW_MEETING: ["community_secretary", "grid_worker", "property_rep", "mediator",
                                            "democratic_supervisor", "resident_rep", "supervision_committee"],
            Body.STREET_JOINT_MEETING: ["street_officer", "community_secretary", "area_unit_rep",
                                        "democratic_supervisor"],
            Body.DISTRICT_JOINT_MEETING: ["street_officer", "department_liaison", "democratic_supervisor"],
        }[body]
        community = case.org.ancestor(Level.COMMUNITY) if case.org else None
        linked = {r: self.members.get((r, community.pk)) if community else None for r in roles_here}
        participants = [ParticipantInput(r, "" if linked[r] else self.person(), linked[r] or "") for r in roles_here]
        topic = case.title  # one meeting, one matter (一事一议): the agenda names it
        meeting = meeting_schedule(
            actor=self.convener(case, grid), org=case.org, body=body, title=f"{case.org.name}{body.label}：{topic}"[:120],
            form=self.rng.choice(Form.values), scheduled_at=timezone.now(), participants=participants, cases=[case])
        meeting.minutes = self.rng.choice(content.MINUTES_TEMPLATES[kind_key]).format(
            topic=topic, participants="、".join(p.name for p in meeting.participants.all()),
            decision=self.text_for(case, content.RESOLUTIONS_BY_CODE, content.RESOLUTIONS))
        meeting.save(update_fields=["minutes"])

    def resolve(self, case: Case, grid: OrgNode) -> None:
        item = case.agenda_items.filter(decided_at__isnull=True).select_related("meeting").last()
        meeting_resolve_case(actor=self.convener(case, grid), meeting=item.meeting, case=case,
                             resolution=self.text_for(case, content.RESOLUTIONS_BY_CODE, content.RESOLUTIONS),
                             votes_for=self.rng.randint(7, 15), votes_against=self.rng.randint(0, 2))

    def whistle(self, case: Case, grid: OrgNode, *, report: bool) -> None:
        departments = self.rng.sample(list(Department.objects.order_by("pk").values_list("code", flat=True)[:8]), 2)
        case_whistle(actor=self.local(Role.OPERATOR, grid), case=case, department_codes=departments,
                     note="街道层面难以解决，吹哨报到")
        if report:
            for code in departments:
                liaison = StaffRole.objects.filter(role=Role.DEPARTMENT_LIAISON, department__code=code).first().user
                case_department_report(actor=liaison, case=case, report=self.rng.choice(content.WHISTLE_REPORTS))

    def finish_handling(self, case: Case, grid: OrgNode, *, stop_at_notice: bool) -> None:
        handler = self.convener(case, grid)  # who decided carries it on; at the grid, its grid worker
        if case.kind == "HOUSEHOLD" and case.level == Level.GRID:
            handler = self.local(Role.GRID_WORKER, case.org)
        result = self.text_for(case, content.HANDLING_NOTES_BY_CODE, content.HANDLING_NOTES)
        if case.kind == "HOUSEHOLD":
            case_request_evaluation(actor=handler, case=case, result=result)
            return
        case_publicise(actor=handler, case=case, result=result, notice=f"关于“{case.title}”的办理结果：{result}")
        if not stop_at_notice:
            period_over(case)  # as if the objection period had run (build_notices aligns the timeline after)
            case_request_evaluation(actor=handler, case=case)

    def evaluate(self, case: Case, grid: OrgNode, *, good: bool) -> None:
        """Both sides rate (a party or the committee, and a democratic supervisor), then the round is
        decided as the worker decides it when the rating period ends."""
        comment = self.rng.choice(content.EVALUATION_COMMENTS["good" if good else "bad"])
        rating = "good" if good else "bad"
        if case.kind == "HOUSEHOLD":
            reporter = case.requests.order_by("pk").values_list("pk", flat=True).first()
            evaluation_by_party(case=case, rating=rating, comment=comment, request_id=reporter)
        else:
            role = {"SHARED": Role.SUPERVISION_COMMITTEE, "PUBLIC": Role.PEOPLES_CONGRESS}[case.kind]
            evaluation_submit(actor=self.local(role, grid), case=case, rating=rating, comment=comment)
        if self.rng.random() < .5:  # the street's democratic supervisor agrees
            evaluation_submit(actor=self.local(Role.DEMOCRATIC_SUPERVISOR, grid), case=case, rating=rating,
                              comment=self.rng.choice(content.EVALUATION_COMMENTS[rating]))
        round_decide(rnd=open_round(case))
        case.refresh_from_db()  # the round moved the case (closed or escalated)

    def build_hotspots(self) -> None:
        """未诉先办 in the demo: a few residents of one compound report the same household-type problem,
        and residents along one road of the street report another, in the last days; the requests
        wait in the pool, and the hotspots page shows them as a candidate shared and public matter."""
        compound = OrgNode.objects.get(code="DS01-G01")  # the demo grid worker's grid
        along_road = [g for g in self.grids if g.code.startswith("DS")][:4]
        seeded = [(compound, *pair) for pair in content.HOTSPOT_COMPOUND]
        seeded += [(grid, title, text) for grid, (title, text) in zip(along_road, content.HOTSPOT_STREET, strict=True)]
        for grid, title, text in seeded:
            request = request_submit(actor=None, data=RequestInput(
                text=self.fill(text, grid), title=title, sub_channel=self.rng.choice(PUBLIC_SUB_CHANNELS),
                grid_code=grid.code, reporter_name=self.person()))
            self.backdate(request.case, request, within_days=10)

    def backdate(self, case: Case, request: Request, within_days: float = 60) -> None:
        """Spread the demo over the last `within_days` days: shift this case's times into the past,
        keeping their order. The request may come at any hour; staff act a few hours to a day or
        two apart, in office hours (08:00–21:00), and nothing lands after now."""
        start = timezone.now() - timedelta(days=self.rng.uniform(0.2, within_days))
        events = list(CaseEvent.objects.filter(case=case).order_by("at", "id"))
        times = [start]
        for _ in events[1:]:
            times.append(self._office_hours(times[-1] + timedelta(hours=self.rng.uniform(2, 40))))
        overshoot = times[-1] - (timezone.now() - timedelta(minutes=10))
        if overshoot > timedelta(0):  # move the whole story back by whole days: the hours stay in office time
            days = timedelta(days=overshoot.days + 1)
            times = [t - days for t in times]
        for event, at in zip(events, times, strict=True):
            event.at = at
        CaseEvent.objects.bulk_update(events, ["at"])
        Request.objects.filter(pk=request.pk).update(received_at=times[0])
        Case.objects.filter(pk=case.pk).update(
            created_at=times[0], closed_at=times[-1] if case.status == Status.CLOSED else None)

    def _office_hours(self, at):
        """`at`, or the next morning between 08:00 and 09:30 when it falls outside 08:00–21:00 local time."""
        local = timezone.localtime(at)
        if 8 <= local.hour < 21:
            return at
        morning = local.replace(hour=8, minute=0, second=0, microsecond=0)
        if local.hour >= 21:
            morning += timedelta(days=1)
        return morning + timedelta(minutes=self.rng.uniform(0, 90))


def build_demo(*, requests: int = 320, seed: int = 2026, out: Callable[[str], None] = print) -> Demo:
    ensure_catalogue()
    demo = Demo(rng=random.Random(seed), out=out)
    out("[1/3] 建立组织树、网格与住户 …")
    with transaction.atomic():
        demo.build_registry()
    out("[2/3] 建立岗位与演示账号 …")
    with transaction.atomic():
        demo.build_staff()
    out(f"[3/3] 生成 {requests} 件诉求并推进到各个阶段 …")
    demo.build_cases(requests)
    with transaction.atomic():
        demo.build_hotspots()
    with transaction.atomic():
        build_rapid(demo)
    with transaction.atomic():
        build_supervision(demo)  # 台账 in every state (unclaimed, claimed, each overdue rung), 回访 open and done
    with transaction.atomic():
        build_votes(demo)  # 业主共同决定: 东门小区's electorate, a vote that passed and one short of owners
    with transaction.atomic():
        build_notices(demo)  # 张榜公示: notices on the cases' timelines, 东门社区's parking rule open for objections
    return demo


def district_is_empty() -> bool:
    return not OrgNode.objects.exists()
