"""Demo scenarios that replay the seeds' figures on the dashboard (issue 21, docs/scenarios.md).

`sanshi demo --scenario chengzi`: 城子街道 closed 56 public, 131 shared and 273 household matters
in the last twelve months, and its 12345 hotline work orders fell 14.11% on the twelve months
before (B2). `sanshi demo --scenario jiangjin`: the district found 30,041 matters, resolved 29,364
(97.75%), 29,132 of them at the grassroots (96.97%) (J1).

Both build the plain demo's tree, staff and accounts, then write the cases, their requests and
their event rows in bulk (`bulk_create` in batches, not through every service call: thirty
thousand cases take minutes that way), with the same actions, statuses and event data the
services write. The figures are then derived from those event rows by the KPI sweep the worker
runs (`kpis_refresh`): nothing is a stored total. Deterministic for a given seed, except the case
numbers and tracking codes, which come from the secure random source as in intake."""

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone

from sanshi.cases.models import Case, CaseEvent, Status
from sanshi.cases.routing import BODY_OF_LEVEL, routing_for
from sanshi.cases.services import new_case_number, stored_label
from sanshi.cases.transitions import Action
from sanshi.catalog.models import CatalogueItem
from sanshi.catalog.selectors import current_items
from sanshi.catalog.services import ensure_catalogue
from sanshi.evaluation.models import Evaluation, Group, Rating
from sanshi.intake.channels import CHANNEL_OF, SubChannel, sub_channel_label
from sanshi.intake.models import Request
from sanshi.intake.services import new_tracking_code
from sanshi.kpis.services import kpis_refresh
from sanshi.registry.models import GridType, Level, OrgNode

from . import content
from .builder import Demo

SCENARIOS = ("chengzi", "jiangjin")
BATCH = 2000  # cases per bulk write (and their requests and event rows)
KIND_LETTER = {"PUBLIC": "P", "SHARED": "S", "HOUSEHOLD": "H"}
# what a case was not reported through the hotline on: the other channels, in turn
OTHER_SUBS = [SubChannel.GRID_PATROL, SubChannel.WEB, SubChannel.GRID_VISIT, SubChannel.WALK_IN,
              SubChannel.SUPERIOR, SubChannel.QR_DOOR_PLATE, SubChannel.WECHAT_GROUP, SubChannel.BUILDING_VISIT]
ESCALATES_TO = {Level.GRID: Level.COMMUNITY, Level.COMMUNITY: Level.STREET, Level.STREET: Level.DISTRICT}
# how far a case still open has come
OPEN_PATHS = ("received", "triaged", "handling", "evaluating")

# ---- the seeds' figures ------------------------------------------------------------------------
# B2 (城子街道): matters closed in the last twelve months, by kind, and hotline work orders then and
# the twelve months before: (140 − 163) / 163 = −0.14110… → −14.11%
CZ_CLOSED = {"PUBLIC": 56, "SHARED": 131, "HOUSEHOLD": 273}
CZ_OPEN = {"PUBLIC": 4, "SHARED": 7, "HOUSEHOLD": 9}  # received lately, still in hand
CZ_HOTLINE, CZ_HOTLINE_BEFORE = 140, 163
CZ_BEFORE = {"PUBLIC": 61, "SHARED": 148, "HOUSEHOLD": 296}  # the twelve months before, all closed
CZ_ESCALATED = {"PUBLIC": 4, "SHARED": 6, "HOUSEHOLD": 10}  # of the closed: rated bad once, redone above
DS_NOW = {"PUBLIC": 30, "SHARED": 52, "HOUSEHOLD": 88}  # 鼎山街道, so the district has two streets to rank
DS_BEFORE = {"PUBLIC": 27, "SHARED": 49, "HOUSEHOLD": 80}
# J1 (江津区): found, resolved, resolved at the grassroots (15,000 of them at village, community and
# grid level, the rest at the towns and streets)
JJ_RECEIVED, JJ_RESOLVED, JJ_GRASSROOTS, JJ_BELOW_STREET = 30041, 29364, 29132, 15000
JJ_RESOLUTION_RATE, JJ_GRASSROOTS_RATE = "0.9775", "0.9697"
JJ_HOUSEHOLD_SHARE = Decimal("0.6")  # of the matters settled below the street: household at the grid


# who rates each kind (J0 §3 step 4): the parties a household matter, the supervision committee a
# shared one, the street's people's-congress committee a public one
RATING_GROUP = {"HOUSEHOLD": Group.PARTIES, "SHARED": Group.SUPERVISION_COMMITTEE, "PUBLIC": Group.PEOPLES_CONGRESS}


@dataclass
class Spec:
    """One case to write: where, what, how it came in, when, and how far it went."""

    grid: OrgNode
    kind: str
    sub_channel: str
    received_at: datetime
    path: str  # "closed", "escalated" (rated bad once, redone one level up, closed) or one of OPEN_PATHS
    escalate_to: str = ""  # the level it was escalated to (path "escalated")


def rate(numerator: int, denominator: int) -> str:
    return str((Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


def jiangjin_counts(scale: float = 1.0) -> tuple[int, int, int]:
    """(received, resolved, grassroots) at `scale` of J1's figures with the same rates to four places:
    the nearest number of matters (upwards) for which whole numbers give 97.75% and 96.97%. At scale
    1: 30,041, 29,364, 29,132."""
    if scale >= 1:
        return JJ_RECEIVED, JJ_RESOLVED, JJ_GRASSROOTS
    n = max(1, round(JJ_RECEIVED * scale))
    while True:
        resolved = round(Decimal(n) * JJ_RESOLVED / JJ_RECEIVED)
        grassroots = round(Decimal(n) * JJ_GRASSROOTS / JJ_RECEIVED)
        found = [(r, g) for r in range(resolved - 2, resolved + 3) for g in range(grassroots - 2, grassroots + 3)
                 if g <= r <= n and rate(r, n) == JJ_RESOLUTION_RATE and rate(g, n) == JJ_GRASSROOTS_RATE]
        if found:
            return n, *found[0]
        n += 1


# ---- writing cases in bulk ----------------------------------------------------------------------

class Writer:
    """Writes specs as cases, their first request and their event rows, in batches, with the actions,
    statuses and event data the services write (cases/services.py, deliberation, evaluation)."""

    def __init__(self, demo: Demo, out: Callable[[str], None]):
        self.demo, self.rng, self.out = demo, demo.rng, out
        self.items: dict[str, list[CatalogueItem]] = {}
        for item in current_items().select_related("version"):
            if item.code in content.REQUESTS:
                self.items.setdefault(item.kind, []).append(item)
        self.nodes = {n.pk: n for n in OrgNode.objects.all()}
        self.now = timezone.now()
        self.written = 0

    def node_at(self, grid: OrgNode, level: str) -> OrgNode:
        node: OrgNode | None = grid
        while node is not None and node.level != level:
            node = self.nodes.get(node.parent_id) if node.parent_id else None
        if node is None:
            raise LookupError(f"{grid.code} has no {level} above it")
        return node

    def write(self, specs: list[Spec], total: int) -> None:
        for start in range(0, len(specs), BATCH):
            with transaction.atomic():
                self._batch(specs[start:start + BATCH])
            self.written += len(specs[start:start + BATCH])
            self.out(f"  事项：{self.written}/{total}")

    def _batch(self, specs: list[Spec]) -> None:
        rng = self.rng
        cases, requests, picked = [], [], []
        for spec in specs:
            item = rng.choice(self.items[spec.kind])
            community = self.nodes[spec.grid.parent_id]
            pool = [r for r in content.REQUESTS[item.code] if r.get("area", "any") in ("any", community.community_type)]
            template = rng.choice(pool or content.REQUESTS[item.code])
            title, text = self.demo.fill(template["title"], spec.grid), self.demo.fill(template["text"], spec.grid)
            triaged = spec.path != "received"
            level, body = routing_for(spec.kind)
            org = self.node_at(spec.grid, level)
            closed = spec.path in ("closed", "escalated")
            cases.append(Case(
                number=new_case_number(spec.received_at), title=title[:120],
                status=Status.CLOSED if closed else Status(spec.path), kind=spec.kind if triaged else "",
                catalogue_item=item if triaged else None, level=level if triaged else "",
                body=body if triaged else "", org=org if triaged else None,
                grid=spec.grid, escalations=int(spec.path == "escalated"),
                resolution=rng.choice(content.RESOLUTIONS_BY_CODE.get(item.code) or content.RESOLUTIONS[spec.kind])
                if closed or spec.path == "evaluating" else "",
                result=rng.choice(content.HANDLING_NOTES_BY_CODE.get(item.code) or content.HANDLING_NOTES[spec.kind])
                if closed or spec.path == "evaluating" else "",
                suggestion={"kind": spec.kind, "catalogue_code": item.code}))
            requests.append(Request(
                tracking_code=new_tracking_code(), title=title[:120], text=text,
                channel=CHANNEL_OF[SubChannel(spec.sub_channel)], sub_channel=spec.sub_channel, grid=spec.grid,
                reporter_name="" if spec.sub_channel in (SubChannel.GRID_PATROL, SubChannel.GRID_VISIT,
                                                        SubChannel.BUILDING_VISIT) else self.demo.person(),
                received_at=spec.received_at, suggestion={"kind": spec.kind, "catalogue_code": item.code}))
            picked.append((item, org))
        Case.objects.bulk_create(cases)
        for case, request in zip(cases, requests, strict=True):
            request.case = case
        Request.objects.bulk_create(requests)
        events, ratings = [], []
        for spec, case, request, (item, org) in zip(specs, cases, requests, picked, strict=True):
            steps = self.steps(spec, case, request, item, org)
            times = self.times(spec, len(steps))
            events += [CaseEvent(case=case, action=action, from_status=before, to_status=after, actor_label=label,
                                 at=at, public_note=note, data=data)
                       for (action, before, after, label, note, data), at in zip(steps, times, strict=True)]
            ratings += self.ratings(spec, case, request, steps, times)
            case.created_at = spec.received_at
            case.closed_at = times[-1] if case.status == Status.CLOSED else None
        CaseEvent.objects.bulk_create(events, batch_size=1000)
        Evaluation.objects.bulk_create(ratings, batch_size=1000)
        Case.objects.bulk_update(cases, ["created_at", "closed_at"], batch_size=1000)

    def ratings(self, spec: Spec, case: Case, request: Request, steps: list, times: list[datetime]) -> list[Evaluation]:
        """The designated group's rating that each evaluation round ended with: good before the close;
        for a matter redone a level up, bad before its escalation, then good (as the services record
        them: one rating a round, the group of the matter's kind)."""
        if spec.path not in ("closed", "escalated"):
            return []
        group = RATING_GROUP[spec.kind]
        rater = f"request:{request.pk}" if group == Group.PARTIES else f"demo:{group}"
        at = {action: when for (action, *_rest), when in zip(steps, times, strict=True)}
        out = []
        if spec.path == "escalated":
            out.append(Evaluation(case=case, round=1, group=group, rater=rater, rating=Rating.BAD, evaluator_role=group,
                                  at=at[Action.ESCALATE], comment="办理结果未达预期"))
        out.append(Evaluation(case=case, round=2 if spec.path == "escalated" else 1, group=group, rater=rater,
                              rating=Rating.GOOD, evaluator_role=group, at=at[Action.CLOSE]))
        return out

    def times(self, spec: Spec, n: int) -> list[datetime]:
        """Receipt, then a step every few hours (closed cases) or within the hour (open ones), never
        after now."""
        gap = (2, 30) if spec.path in ("closed", "escalated") else (0.2, 1)
        times = [spec.received_at]
        for _ in range(n - 1):
            times.append(times[-1] + timedelta(hours=self.rng.uniform(*gap)))
        latest = self.now - timedelta(minutes=10)
        return [min(t, latest) for t in times]

    def steps(self, spec: Spec, case: Case, request: Request, item: CatalogueItem,
              org: OrgNode) -> list[tuple[str, str, str, str, str, dict]]:
        """(action, from, to, actor label, public note, data) of each event of the case, in order."""
        label = stored_label
        out = [(Action.OPEN, "", Status.RECEIVED, "居民" if request.reporter_name else "工作人员",
                f"诉求已受理（{sub_channel_label(request.sub_channel)}）",
                {"request": request.pk, "channel": request.channel})]
        if spec.path == "received":
            return out
        level, body = routing_for(spec.kind)
        out.append((Action.TRIAGE, Status.RECEIVED, Status.TRIAGED, "街道指挥中心接线员",
                    f"已分拣为「{item.get_kind_display()}」，交{org.name}·{body.label}",
                    {"kind": spec.kind, "catalogue_code": item.code, "catalogue_version": item.version.number,
                     "suggestion": case.suggestion, "overridden": False, "level": level, "org": org.code,
                     "urgent": False, "department": ""}))
        if spec.path == "triaged":
            return out
        household = spec.kind == "HOUSEHOLD"

        def handle(redo: bool) -> list[tuple[str, str, str, str, str, dict]]:
            rows = []
            if household and not redo:  # 家事网格自办
                rows.append((Action.SETTLE, Status.TRIAGED, Status.HANDLING, "网格员", label(Action.SETTLE), {}))
            elif not redo:
                rows += [(Action.DELIBERATE, Status.TRIAGED, Status.DELIBERATING, "工作人员", label(Action.DELIBERATE), {}),
                         (Action.RESOLVE, Status.DELIBERATING, Status.HANDLING, "工作人员", f"议定：{case.resolution}",
                          {"redo": False})]
            if spec.path == "handling":
                return rows
            if not household:
                rows.append((Action.PUBLICISE, Status.HANDLING, Status.PUBLICISED, "工作人员",
                             f"公示：关于“{case.title}”的办理结果：{case.result}", {}))
            rows.append((Action.REQUEST_EVALUATION, Status.PUBLICISED if not household else Status.HANDLING,
                         Status.EVALUATING, "工作人员", "办理完毕，请评价", {}))
            return rows

        out += handle(redo=False)
        if spec.path in ("handling", "evaluating"):
            return out
        if spec.path == "escalated":
            above = self.node_at(spec.grid, spec.escalate_to)
            out.append((Action.ESCALATE, Status.EVALUATING, Status.DELIBERATING, "评价结果",
                        f"评价不满意，提交{above.name}{BODY_OF_LEVEL[spec.escalate_to].label}复议",
                        {"round": 1, "from_level": level, "to_level": spec.escalate_to, "org": above.code,
                         "from_org": org.code}))
            out.append((Action.RESOLVE, Status.DELIBERATING, Status.HANDLING, "工作人员",
                        f"提级复议：{case.resolution}", {"redo": True}))
            out.append((Action.SEND_DOWN, Status.HANDLING, Status.HANDLING, "工作人员",
                        f"下沉再办：交{org.name}{body.label}按复议意见重新办理",
                        {"from_org": above.code, "to_org": org.code}))
            out += handle(redo=True)
        out.append((Action.CLOSE, Status.EVALUATING, Status.CLOSED, "评价结果", "评价满意，事项办结",
                    {"round": 2 if spec.path == "escalated" else 1}))
        return out


# ---- the scenarios ------------------------------------------------------------------------------

def residential_grids(street_code: str | None = None) -> list[OrgNode]:
    grids = OrgNode.objects.filter(level=Level.GRID, grid_type=GridType.RESIDENTIAL).order_by("code")
    return [g for g in grids if street_code is None or g.code.startswith(street_code)]


def received_days_ago(rng: random.Random, now: datetime, lo: int, hi: int) -> datetime:
    """A moment `lo`–`hi` whole days before now, at some hour of that day's morning or afternoon."""
    return now - timedelta(days=rng.randint(lo, hi), minutes=rng.randint(0, 600))


def cohort(rng: random.Random, grids: list[OrgNode], now: datetime, *, closed: dict[str, int],
           open_: dict[str, int] | None = None, escalated: dict[str, int] | None = None, hotline: int = 0,
           days: tuple[int, int] = (14, 360)) -> list[Spec]:
    """The cases received in one twelve-month window: `closed` of each kind (of them `escalated` rated
    bad once and redone a level up), `open_` received in the last fortnight and still in hand;
    exactly `hotline` of them came as 12345 work orders."""
    specs: list[Spec] = []
    for kind, n in closed.items():
        up = (escalated or {}).get(kind, 0)
        level = routing_for(kind)[0]
        for i in range(n):
            specs.append(Spec(rng.choice(grids), kind, "", received_days_ago(rng, now, *days),
                              "escalated" if i < up else "closed", ESCALATES_TO[level] if i < up else ""))
    for kind, n in (open_ or {}).items():
        for i in range(n):
            specs.append(Spec(rng.choice(grids), kind, "", received_days_ago(rng, now, 1, 13),
                              OPEN_PATHS[i % len(OPEN_PATHS)]))
    chosen = set(rng.sample(range(len(specs)), hotline))
    for i, spec in enumerate(specs):
        spec.sub_channel = SubChannel.HOTLINE if i in chosen else OTHER_SUBS[i % len(OTHER_SUBS)]
    specs.sort(key=lambda s: s.received_at)
    return specs


def chengzi_specs(rng: random.Random, now: datetime) -> list[Spec]:
    cz, ds = residential_grids("CZ"), residential_grids("DS")
    before = (372, 720)  # the same twelve months a year earlier
    return [
        *cohort(rng, cz, now, closed=CZ_CLOSED, open_=CZ_OPEN, escalated=CZ_ESCALATED, hotline=CZ_HOTLINE),
        *cohort(rng, cz, now, closed=CZ_BEFORE, hotline=CZ_HOTLINE_BEFORE, days=before),
        *cohort(rng, ds, now, closed=DS_NOW, open_={"SHARED": 3, "HOUSEHOLD": 5}, hotline=41),
        *cohort(rng, ds, now, closed=DS_BEFORE, hotline=44, days=before),
    ]


def jiangjin_specs(rng: random.Random, now: datetime, scale: float = 1.0) -> list[Spec]:
    """J1 over the whole district: the grassroots resolutions settled at their own level (household
    at the grid, shared in the community: the 15,000 below the street; public at the street: the
    rest), the other resolved ones public matters redone by the district joint meeting, the
    unresolved ones still in hand."""
    received, resolved, grassroots = jiangjin_counts(scale)
    below = round(Decimal(grassroots) * JJ_BELOW_STREET / JJ_GRASSROOTS)
    household = round(below * JJ_HOUSEHOLD_SHARE)
    unresolved = received - resolved
    open_ = {"PUBLIC": unresolved // 4, "SHARED": unresolved // 4}
    open_["HOUSEHOLD"] = unresolved - sum(open_.values())
    return cohort(rng, residential_grids(), now, closed={
        "HOUSEHOLD": household, "SHARED": below - household,
        "PUBLIC": grassroots - below + resolved - grassroots}, escalated={"PUBLIC": resolved - grassroots},
        open_=open_, hotline=round(received * 0.3))


def refresh_figures(out: Callable[[str], None]) -> int:
    """The worker's KPI sweep, run until it has read every event the scenario wrote."""
    read = 0
    while n := kpis_refresh():
        read += n
    out(f"  看板数据：已读取 {read} 条事项事件")
    return read


def build_scenario(name: str, *, seed: int = 2026, scale: float = 1.0,
                   out: Callable[[str], None] = print) -> Demo:
    """Build scenario `name` on an empty database (the caller checks): the demo's tree, staff and
    accounts, the scenario's cases in bulk, then the figures."""
    if name not in SCENARIOS:
        raise ValueError(f"unknown scenario {name!r}")
    ensure_catalogue()
    demo = Demo(rng=random.Random(seed), out=out)
    out("[1/4] 建立组织树、网格与住户 …")
    with transaction.atomic():
        demo.build_registry()
    out("[2/4] 建立岗位与演示账号 …")
    with transaction.atomic():
        demo.build_staff()
    now = timezone.now()
    specs = chengzi_specs(demo.rng, now) if name == "chengzi" else jiangjin_specs(demo.rng, now, scale)
    out(f"[3/4] 批量写入 {len(specs)} 件事项及其事件 …")
    Writer(demo, out).write(specs, len(specs))
    out("[4/4] 由事件计算看板数据（worker 的统计任务）…")
    refresh_figures(out)
    return demo
