"""Read-only queries behind the command-centre board (指挥中心大屏) and the 1-5-10 compliance figures.

Every panel is a fixed number of queries whatever the number of rows (no N+1); the compliance
figures are aggregated in the database (GROUP BY with conditional counts), never by looping over
all clocks in Python. Scope: the nodes where the user holds an operator or street-officer role
(their street, normally); a superuser sees everything."""

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Case as DbCase
from django.db.models import (
    CharField,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Concat, NullIf
from django.utils import timezone
from django.utils.translation import gettext as _

from sanshi.cases.models import OPEN_STATUSES, Case, Status
from sanshi.cases.scope import area_nodes, placed_q
from sanshi.intake.models import Request
from sanshi.rapid.models import Clock, ClockName, Dispatch, ResponseTeam
from sanshi.rapid.selectors import redispatch_wanted
from sanshi.rapid.services import dispatch_suggest
from sanshi.registry.models import Level, OrgNode, Role
from sanshi.registry.selectors import subtree, subtrees, within
from sanshi.supervision.models import FollowUpVisit, LedgerEntry

logger = logging.getLogger("sanshi.command")
BOARD_ROLES = {Role.OPERATOR, Role.STREET_OFFICER}
# the clocks of an urgent event (the 1-5-10 steps); `deadline` is every case's own clock
STEPS = [ClockName.DISPATCH, ClockName.ARRIVE, ClockName.RESULT, ClockName.REINFORCE]
STEP_NAMES = [s.value for s in STEPS]
WHOLE_STREET = "全街道"  # a community without a 片区
NO_TEAM = "未派单"
PANEL_LIMIT = 20  # rows per list panel (a phone screen's worth); the panel says how many there are in all
# time-to-dispatch histogram: upper bounds in seconds (the last bucket is open-ended)
DISPATCH_BUCKETS = [30, 60, 120, 300, 600]


# ---- scope ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class BoardScope:
    """Where the board looks: the nodes where the user holds a command-centre role (a case, team or
    community under one of them is in), from the scope module."""

    nodes: tuple[OrgNode, ...]
    everything: bool = False
    streets: tuple[OrgNode, ...] = field(default=(), compare=False)

    @property
    def key(self) -> str:
        """Names the scope in a cache key."""
        return "*" if self.everything else "|".join(sorted(n.code for n in self.nodes))

    def node_ids(self):
        """The ids of the nodes in scope, as a subquery (small: the tree of one street)."""
        return OrgNode.objects.values("pk") if self.everything else subtrees(self.nodes).values("pk")

    def cases_q(self, prefix: str = "") -> Q:
        """A case (or, with prefix "case__", an object of a case) in scope: by its grid or its
        responsible node; a case nobody has placed on a grid yet is the command centre's to place.
        Written as `grid_id IN (nodes in scope)` — a semi-join the database does from the case
        table's own columns, not a path comparison across two outer joins."""
        return Q() if self.everything else placed_q(self.nodes, prefix, unplaced=True)

    def of_open_case(self) -> Q:
        """An object of an open case in scope, as conditions on the join to its case: the database
        starts from the object's own (small, indexed) set — overdue clocks, overdue ledger items —
        instead of building the list of every open case first (a million rows in a busy district)."""
        return Q(case__status__in=OPEN_STATUSES) & self.cases_q("case__")

    def teams_q(self) -> Q:
        """A response team in scope: its street is in scope, or holds the scope (a role below a street)."""
        if self.everything:
            return Q()
        return Q(street_id__in=self.node_ids()) | Q(street_id__in=[s.pk for s in self.streets])


def board_scope(user) -> BoardScope | None:
    """The board's scope for `user`, or None when the user may not use the board."""
    if getattr(user, "is_superuser", False):
        return BoardScope(nodes=(), everything=True,
                          streets=tuple(OrgNode.objects.filter(level=Level.STREET).order_by("path")))
    nodes = tuple(area_nodes(user, only=BOARD_ROLES))
    if not nodes:
        return None
    # the streets under a scope node, and the street above a node below a street
    above = [a.pk for n in nodes for a in [n.ancestor(Level.STREET)] if a is not None]
    streets = tuple(OrgNode.objects.filter(Q(pk__in=subtrees(nodes).values("pk")) | Q(pk__in=above),
                                           level=Level.STREET).order_by("path"))
    return BoardScope(nodes=nodes, streets=streets)


# ---- helpers --------------------------------------------------------------------------------

def zone_of(prefix: str = "") -> Coalesce:
    """The 片区 of a case's place: zones are set on community nodes, so take the first non-blank
    zone among the grid itself, its parent and grandparent (a micro-grid) and the responsible
    node; blank → 全街道."""
    return Coalesce(
        NullIf(f"{prefix}grid__zone", Value("")), NullIf(f"{prefix}grid__parent__zone", Value("")),
        NullIf(f"{prefix}grid__parent__parent__zone", Value("")), NullIf(f"{prefix}org__zone", Value("")),
        Value(WHOLE_STREET), output_field=CharField())


def street_of(streets, prefix: str = "") -> DbCase | Value:
    """The name of the street whose subtree holds the case's grid (or its responsible node)."""
    whens = [When(Q(**{f"{prefix}grid_id__in": subtree(s).values("pk")})
                  | Q(**{f"{prefix}grid__isnull": True, f"{prefix}org_id__in": subtree(s).values("pk")}),
                  then=Value(s.name)) for s in streets]
    if not whens:
        return Value("—", output_field=CharField())
    return DbCase(*whens, default=Value("—"), output_field=CharField())


# ---- the board ------------------------------------------------------------------------------

def _group(rows, key: str = "case_id") -> dict[int, list]:
    out: dict[int, list] = {}
    for row in rows:
        out.setdefault(getattr(row, key), []).append(row)
    return out


def _page(model, ids: list[int]) -> list:
    """The rows `ids` (a page chosen by a lean query) with their place, in the order of `ids`."""
    rows = {c.pk: c for c in model.objects.filter(pk__in=ids).select_related("grid__parent__parent", "org__parent")}
    return [rows[pk] for pk in ids if pk in rows]


def urgent_events(scope: BoardScope, *, now: datetime | None = None) -> list[Any]:
    """Open urgent cases with at least one urgent clock still running (or breached and still open),
    most pressing first; each with `.board_clocks` (its clocks), `.board_dispatches` (teams sent,
    first dispatch and reinforcements, withdrawn ones too), `.board_requests` and `.board_zone`; a
    case whose every first team was withdrawn is undispatched again, a withdrawn reinforcement
    leaves its request wanted. Five queries: the page of ids from the urgent cases' partial index
    ordered by their next running clock (no joins, so the database sorts a few hundred bare rows,
    not rows joined to their places), then for those ids the cases with their place, their
    clocks, dispatches and request texts."""
    live = Clock.objects.filter(case=OuterRef("pk"), name__in=STEP_NAMES, done_at__isnull=True)
    ids = list(Case.objects.filter(scope.cases_q(), urgent=True, status__in=OPEN_STATUSES)
               .annotate(next_due=Subquery(live.order_by("due_at").values("due_at")[:1]))
               .filter(next_due__isnull=False).order_by("next_due", "id").values_list("pk", flat=True)[:PANEL_LIMIT])
    if not ids:
        return []
    cases = _page(Case, ids)
    clocks = _group(Clock.objects.filter(case_id__in=ids, name__in=STEP_NAMES).order_by("due_at", "id"))
    dispatches = _group(Dispatch.objects.filter(case_id__in=ids).select_related("team").order_by("dispatched_at", "id"))
    texts = _group(Request.objects.filter(case_id__in=ids).only("id", "case_id", "text").order_by("id"))
    for case in cases:
        case.board_clocks = clocks.get(case.pk, [])
        case.board_dispatches = dispatches.get(case.pk, [])
        case.board_requests = texts.get(case.pk, [])
        case.board_zone = zone_name(case.grid, case.org)
        case.undispatched = not case.board_dispatches or redispatch_wanted(case.board_dispatches)
        answered = {d.reinforcement_for_id for d in case.board_dispatches
                    if d.reinforcement_for_id and d.withdrawn_at is None}
        case.reinforcement_wanted = any(d.reinforcement_requested_at and d.withdrawn_at is None
                                        and d.pk not in answered for d in case.board_dispatches)
        case.needs_team = case.undispatched or case.reinforcement_wanted
    return cases


def unassigned_requests(scope: BoardScope) -> tuple[list[Any], int]:
    """Cases received and not yet triaged (the pool), urgent-suggested first, then oldest first;
    with the first request's time and the triage suggestion. Three queries when the pool has rows
    (ids, the page with its places, its requests), a fourth for the total when it is long."""
    first = Request.objects.filter(case=OuterRef("pk")).order_by("received_at", "id")
    qs = Case.objects.filter(scope.cases_q(), status=Status.RECEIVED)
    # the page of ids first (sorted without joins), then those rows with their requests and place
    ids = list(qs.annotate(urgent_suggested=Exists(Request.objects.filter(case=OuterRef("pk"), suggestion__urgent=True)),
                           received_at=Subquery(first.values("received_at")[:1]))
               .order_by("-urgent_suggested", "received_at", "id").values_list("pk", flat=True)[:PANEL_LIMIT])
    if not ids:
        return [], 0
    rows = _page(Case, ids)
    requests = _group(Request.objects.filter(case_id__in=ids).only("id", "case_id", "text", "received_at", "suggestion")
                      .order_by("received_at", "id"))
    for row in rows:
        row.board_requests = requests.get(row.pk, [])
        head = row.board_requests[0] if row.board_requests else None
        suggestion = (head.suggestion if head is not None else None) or {}
        row.urgent_suggested = any((r.suggestion or {}).get("urgent") is True for r in row.board_requests)
        row.received_at = head.received_at if head is not None else None
        row.suggested_kind, row.suggested_code = suggestion.get("kind"), suggestion.get("catalogue_code")
        row.board_zone = zone_name(row.grid, row.org)
    total = len(rows) if len(rows) < PANEL_LIMIT else qs.count()
    return rows, total


OVERDUE_CAP = 10_000  # the overdue clocks the board looks at, most overdue first


def _overdue(scope: BoardScope, now: datetime):
    """Open clocks past due on open cases in scope, in two steps: the overdue clocks themselves
    from their partial index (`clock_open_due_idx`; at most OVERDUE_CAP), then those of them on
    open cases in scope. One query, whose plan starts from the small set: left to itself the
    planner cannot know that the clocks still open are the ones not long past due, and would
    scan every open case first (0.5 s at a million)."""
    ids = list(Clock.objects.filter(done_at__isnull=True, due_at__lt=now).order_by("due_at", "id")
               .values_list("id", flat=True)[:OVERDUE_CAP])
    return Clock.objects.filter(scope.of_open_case(), pk__in=ids)


def overdue_clocks(scope: BoardScope, *, now: datetime | None = None) -> tuple[list[Clock], int]:
    """Open clocks past their due time (breached, or due and not yet swept) on open cases — the
    urgent steps and every case's deadline — longest overdue first. Three queries (ids, rows,
    total)."""
    now = now or timezone.now()
    qs = _overdue(scope, now).order_by("due_at", "id")
    # the page of ids first (sorted on the clock table alone), then those rows with their case and place
    ids = list(qs.values_list("pk", flat=True)[:PANEL_LIMIT])
    rows: list[Any] = sorted(  # clocks that carry their place for the page (board_zone)
        Clock.objects.filter(pk__in=ids).select_related("case__grid__parent__parent", "case__org"),
        key=lambda c: (c.due_at, c.pk))
    for row in rows:
        row.board_zone = zone_name(row.case.grid, row.case.org)
    total = len(rows) if len(rows) < PANEL_LIMIT else qs.count()
    return rows, total


def overdue_ledger(scope: BoardScope, *, now: datetime | None = None) -> tuple[list, int]:
    """Ledger items (台账, public matters under supervision) past their deadline and not closed,
    with the ladder's stage. Two queries (rows, total)."""
    now = now or timezone.now()
    qs = (LedgerEntry.objects.filter(scope.of_open_case(), closed_at__isnull=True, deadline_at__lt=now)
          .select_related("case", "street", "claimed_by").order_by("deadline_at", "id"))
    rows = list(qs[:PANEL_LIMIT])
    total = len(rows) if len(rows) < PANEL_LIMIT else qs.count()
    return rows, total


def overdue_visits(scope: BoardScope, *, now: datetime | None = None) -> tuple[list, int]:
    """Follow-up visits (回访) of closed household matters past their due time and not recorded.
    Two queries (rows, total)."""
    now = now or timezone.now()
    qs = (FollowUpVisit.objects.filter(Q() if scope.everything else Q(grid_id__in=scope.node_ids()),
                                       done_at__isnull=True, due_at__lt=now)
          .select_related("case", "grid").order_by("due_at", "id"))
    rows = list(qs[:PANEL_LIMIT])
    total = len(rows) if len(rows) < PANEL_LIMIT else qs.count()
    return rows, total


def zone_name(grid: OrgNode | None, org: OrgNode | None) -> str:
    """Python twin of `zone_of` for nodes already loaded (with parent and grandparent)."""
    chain = [grid, getattr(grid, "parent", None), getattr(getattr(grid, "parent", None), "parent", None), org]
    return next((n.zone for n in chain if n is not None and n.zone), WHOLE_STREET)


def _groups(qs, key: str = "") -> dict[tuple, int]:
    """Rows of `qs` counted per (grid, responsible node) in the database."""
    grid, org = f"{key}grid_id", f"{key}org_id"
    return {(g[grid], g[org]): g["n"] for g in qs.values(grid, org).annotate(n=Count("id" if not key else "case_id",
                                                                                       distinct=bool(key))).order_by()}


def _open_groups(scope: BoardScope) -> dict[tuple, int]:
    """All open cases per (grid, responsible node). The one count over every open case in scope —
    a million rows in a busy district — so it is cached for SANSHI_BOARD_LOAD_SECONDS (the live
    counts beside it are not)."""
    from django.conf import settings
    from django.core.cache import cache

    def count() -> dict[tuple, int]:
        return _groups(Case.objects.filter(scope.cases_q(), status__in=OPEN_STATUSES))

    seconds = settings.SANSHI_BOARD_LOAD_SECONDS
    if seconds <= 0:
        return count()
    key = "command:open-load:" + scope.key
    cached = cache.get_or_set(key, count, seconds)
    return cached if cached is not None else count()


def zone_load(scope: BoardScope, *, now: datetime | None = None) -> list[dict]:
    """Open cases per (street, 片区): all (cached, see `_open_groups`), and live — urgent, received
    (not triaged) and with an overdue clock. Each count is grouped in the database per (grid,
    responsible node) over a small indexed set (urgent cases, the pool, overdue clocks), then the
    groups are summed per 片区 from one query for those nodes. Four queries, three when cached."""
    now = now or timezone.now()
    counts = {
        "open": _open_groups(scope),
        "urgent": _groups(Case.objects.filter(scope.cases_q(), urgent=True, status__in=OPEN_STATUSES)),
        "received": _groups(Case.objects.filter(scope.cases_q(), status=Status.RECEIVED)),
        "overdue": _groups(_overdue(scope, now), key="case__"),
    }
    places = {place for figures in counts.values() for place in figures}
    ids = {i for place in places for i in place if i}
    nodes = {n.pk: n for n in OrgNode.objects.filter(pk__in=ids).select_related("parent__parent")} if ids else {}
    totals: dict[tuple[str, str], dict] = {}
    for grid_id, org_id in places:
        grid, org = nodes.get(grid_id), nodes.get(org_id)
        place = grid or org
        street = next((s.name for s in scope.streets if within(place, s)), "—")
        zone = zone_name(grid, org)
        row = totals.setdefault((street, zone), {
            "street": street, "zone": zone, "open": 0, "urgent": 0, "received": 0, "overdue": 0})
        for name, figures in counts.items():
            row[name] += figures.get((grid_id, org_id), 0)
    rows = [totals[k] for k in sorted(totals)]
    peak = max((r["open"] for r in rows), default=0) or 1
    for r in rows:
        r["pct"] = round(100 * r["open"] / peak)
    return rows


def team_load(scope: BoardScope) -> list[Any]:
    """Response teams in scope with their open dispatches (sent, not withdrawn, no result yet) and
    members. One query."""
    teams: list[Any] = list(ResponseTeam.objects.filter(scope.teams_q()).select_related("street")
                 .annotate(open_dispatches=Count("dispatches", filter=Q(dispatches__result_at__isnull=True,
                                                                        dispatches__withdrawn_at__isnull=True),
                                                 distinct=True),
                           member_count=Count("memberships", distinct=True))
                 .order_by("street__path", "name"))
    peak = max((t.open_dispatches for t in teams), default=0) or 1
    for t in teams:
        t.pct = round(100 * t.open_dispatches / peak)
        t.zone_label = "、".join(t.zones) if t.zones else WHOLE_STREET
    return teams


SUGGESTION_LIMIT = 10


def suggestions_for(cases: list[Any]) -> dict[int, object]:
    """The urgent-flow service's suggestion (team and reason) for each case in `cases`, excluding
    the teams already sent to it (a withdrawn team too: it is not proposed again for the case). At
    most SUGGESTION_LIMIT per refresh: an urgent event should not wait long, so the list is short,
    and each suggestion is a few queries of its own."""
    out: dict[int, object] = {}
    cases = cases[:SUGGESTION_LIMIT]
    # every on-duty team once for the whole refresh (a few dozen rows); each suggestion keeps its street's
    on_duty = list(ResponseTeam.objects.filter(on_duty=True).order_by("name", "id"))
    for case in cases:
        try:
            out[case.pk] = dispatch_suggest(case, exclude=[d.team_id for d in getattr(case, "board_dispatches", [])],
                                            teams=on_duty, texts=[r.text for r in case.board_requests])
        except Exception:  # noqa: BLE001 — a failed suggestion must not blank the whole board
            logger.exception("dispatch suggestion failed for case %s", case.pk)
            out[case.pk] = None
    return out


def board_urgent(user_scope: BoardScope, *, now: datetime | None = None) -> dict:
    """The board's first part — what a new urgent event needs at once: urgent events with their
    clocks and the pool of requests not yet triaged. A suggested team is given for each urgent
    event waiting for a team (first dispatch or reinforcement) and, after those, for each request
    the triage suggests is urgent and that is not yet triaged (the operator sees at once whom to
    send when confirming it as urgent)."""
    now = now or timezone.now()
    events = urgent_events(user_scope, now=now)
    unassigned, unassigned_total = unassigned_requests(user_scope)
    waiting: list[Any] = [c for c in events if c.needs_team] + [c for c in unassigned if c.urgent_suggested and c.grid_id]
    suggested = suggestions_for(waiting)
    for case in [*events, *unassigned]:
        case.team_suggestion = suggested.get(case.pk)
    return {"now": now, "urgent": events, "unassigned": unassigned, "unassigned_total": unassigned_total}


def board_status(user_scope: BoardScope, *, now: datetime | None = None) -> dict:
    """The board's second part: overdue items, load per zone and per team."""
    now = now or timezone.now()
    overdue, overdue_total = overdue_clocks(user_scope, now=now)
    ledger, ledger_total = overdue_ledger(user_scope, now=now)
    visits, visits_total = overdue_visits(user_scope, now=now)
    return {
        "now": now, "overdue": overdue, "overdue_total": overdue_total, "ledger": ledger,
        "ledger_total": ledger_total, "visits": visits, "visits_total": visits_total,
        "zones": zone_load(user_scope, now=now), "teams": team_load(user_scope),
    }


def board(user_scope: BoardScope, *, now: datetime | None = None) -> dict:
    """All panels of the board, as one dict (the whole partial and the API render it)."""
    now = now or timezone.now()
    return {**board_urgent(user_scope, now=now), **board_status(user_scope, now=now)}


# ---- compliance -----------------------------------------------------------------------------

class PeriodError(ValueError):
    def __init__(self, errors: dict[str, str]):
        super().__init__("；".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class Period:
    start: date  # first day, inclusive
    end: date  # last day, inclusive

    @property
    def since(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def until(self) -> datetime:  # exclusive: the start of the day after `end`
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))


MAX_PERIOD_DAYS = 3660


def parse_period(start: str | None, end: str | None, *, today: date | None = None) -> Period:
    """From/to dates (YYYY-MM-DD, both days included, local time). Missing → the last 30 days
    ending today. Raises PeriodError with Chinese messages per field."""
    today = today or timezone.localdate()
    errors: dict[str, str] = {}
    days: dict[str, date | None] = {}
    for key, raw in (("from", start), ("to", end)):
        raw = (raw or "").strip()
        if not raw:
            days[key] = None
            continue
        try:
            days[key] = date.fromisoformat(raw)
        except ValueError:
            errors[key] = _("日期“%(raw)s”格式不对，请按 年-月-日 填写，例如 %(example)s") % {
                "raw": raw[:20], "example": f"{today:%Y-%m-%d}"}
    if errors:
        raise PeriodError(errors)
    last = days["to"] or today
    first = days["from"] or (last - timedelta(days=29))
    if first > last:
        raise PeriodError({"from": _("开始日期不能晚于结束日期")})
    if (last - first).days >= MAX_PERIOD_DAYS:
        raise PeriodError({"from": _("统计时段最长 %(days)s 天，请缩短时段") % {"days": MAX_PERIOD_DAYS}})
    return Period(first, last)


def clock_state(now: datetime) -> DbCase:
    """met: done by the due time; breached: done late, or still open past the due time; pending:
    open and not yet due. Decided by the times (a sweep that has not run yet changes nothing). The
    dashboard's 1-5-10 figures (sanshi.kpis) judge each step by this same rule."""
    return DbCase(
        When(done_at__isnull=False, done_at__lte=F("due_at"), then=Value("met")),
        When(Q(done_at__isnull=False) | Q(due_at__lt=now), then=Value("breached")),
        default=Value("pending"), output_field=CharField())


def _team_of_clock() -> Coalesce:
    """The team answerable for a clock: the first team sent to the case, or for the reinforcement
    clock the first reinforcement sent — a team sent instead of a withdrawn one before it (the
    withdrawn team only when no other was sent). Before any dispatch: 未派单."""
    order = (F("withdrawn_at").asc(nulls_first=True), "dispatched_at", "id")
    first = Dispatch.objects.filter(case=OuterRef("case_id"), reinforcement_for__isnull=True).order_by(*order)
    reinforcement = Dispatch.objects.filter(case=OuterRef("case_id"), reinforcement_for__isnull=False).order_by(*order)
    return Coalesce(DbCase(When(name=ClockName.REINFORCE, then=Subquery(reinforcement.values("team__name")[:1])),
                           default=Subquery(first.values("team__name")[:1]), output_field=CharField()),
                    Value(NO_TEAM), output_field=CharField())


def period_clocks(scope: BoardScope, period: Period):
    """The step clocks of cases in scope whose clock started within the period."""
    return Clock.objects.filter(scope.cases_q("case__"), name__in=STEP_NAMES,
                                started_at__gte=period.since, started_at__lt=period.until)


@dataclass
class StepFigures:
    met: int = 0
    breached: int = 0
    pending: int = 0

    @property
    def judged(self) -> int:
        return self.met + self.breached

    @property
    def rate(self) -> float | None:
        """met / (met + breached); pending clocks are not yet judged and stay out."""
        return round(self.met / self.judged, 4) if self.judged else None

    @property
    def total(self) -> int:
        return self.met + self.breached + self.pending

    def as_dict(self) -> dict:
        return {"met": self.met, "breached": self.breached, "pending": self.pending, "rate": self.rate}


def _grouped(qs, key, now) -> dict[str, dict[str, StepFigures]]:
    """{group: {step: StepFigures}} from one GROUP BY query."""
    out: dict[str, dict[str, StepFigures]] = {}
    rows = (qs.annotate(group=key, state=clock_state(now)).values("group", "name", "state")
            .annotate(n=Count("id")).order_by())
    for row in rows:
        steps = out.setdefault(row["group"], {s: StepFigures() for s in STEP_NAMES})
        figures = steps[row["name"]]
        setattr(figures, row["state"], getattr(figures, row["state"]) + row["n"])
    return dict(sorted(out.items()))


def dispatch_distribution(qs) -> dict:
    """Time from receipt to dispatch (the dispatch clock's done − started) in seconds: histogram
    buckets and nearest-rank p50/p90/p99, computed in the database (one count query with one
    conditional count per bucket, one ordered LIMIT 1 OFFSET k query per percentile)."""
    delta = ExpressionWrapper(F("done_at") - F("started_at"), output_field=DurationField())
    done = qs.filter(name=ClockName.DISPATCH, done_at__isnull=False).annotate(delta=delta)
    bounds = [0, *DISPATCH_BUCKETS]
    aggregates = {"n": Count("id")}
    for i, upper in enumerate(DISPATCH_BUCKETS):
        aggregates[f"b{i}"] = Count("id", filter=Q(delta__lt=timedelta(seconds=upper)) & (
            Q(delta__gte=timedelta(seconds=bounds[i])) if i else Q()))
    aggregates["over"] = Count("id", filter=Q(delta__gte=timedelta(seconds=DISPATCH_BUCKETS[-1])))
    counts = done.aggregate(**aggregates)
    n = counts["n"]
    buckets = [{"from": bounds[i], "to": upper, "count": counts[f"b{i}"]} for i, upper in enumerate(DISPATCH_BUCKETS)]
    buckets.append({"from": DISPATCH_BUCKETS[-1], "to": None, "count": counts["over"]})
    percentiles: dict[str, float | None] = {}
    ordered = done.order_by("delta", "id").values_list("delta", flat=True)
    for p in (50, 90, 99):
        if not n:
            percentiles[f"p{p}"] = None
            continue
        rank = max(1, -(-p * n // 100))  # nearest rank: ceil(p/100 · n)
        value = list(ordered[rank - 1:rank])[0]
        percentiles[f"p{p}"] = round(value.total_seconds(), 1) if isinstance(value, timedelta) else value
    waiting = qs.filter(name=ClockName.DISPATCH, done_at__isnull=True).count()
    peak = max((b["count"] for b in buckets), default=0) or 1
    for b in buckets:
        b["pct"] = round(100 * b["count"] / peak)
    return {"count": n, "buckets": buckets, "not_dispatched": waiting, **percentiles}


def compliance(scope: BoardScope, period: Period, *, now: datetime | None = None) -> dict:
    """1-5-10 compliance per step for the whole scope and per street, 片区 and team, plus the
    time-to-dispatch distribution, for clocks started within `period`."""
    now = now or timezone.now()
    qs = period_clocks(scope, period)
    overall = _grouped(qs, Value("all", output_field=CharField()), now).get("all") or {
        s: StepFigures() for s in STEP_NAMES}
    street_key = street_of(scope.streets, "case__")
    zone_key = Concat(street_key, Value(" · "), zone_of("case__"), output_field=CharField())
    return {
        "period": period, "now": now, "overall": overall,
        "streets": _grouped(qs, street_key, now),
        "zones": _grouped(qs, zone_key, now),
        "teams": _grouped(qs, _team_of_clock(), now),
        "dispatch": dispatch_distribution(qs),
    }


STEP_LABELS = {s.value: s.label for s in STEPS}


def figures_rows(figures: dict) -> list[list]:
    """The compliance figures as flat rows (for CSV / Excel): scope, group, step, met, breached,
    pending, rate."""
    rows: list[list] = []
    for step in STEP_NAMES:
        f = figures["overall"][step]
        rows.append(["全部", "合计", str(STEP_LABELS[step]), f.met, f.breached, f.pending, f.rate])
    for title, key in (("街道", "streets"), ("片区", "zones"), ("队伍", "teams")):
        for group, steps in figures[key].items():
            for step in STEP_NAMES:
                f = steps[step]
                if f.total:
                    rows.append([title, group, str(STEP_LABELS[step]), f.met, f.breached, f.pending, f.rate])
    return rows

