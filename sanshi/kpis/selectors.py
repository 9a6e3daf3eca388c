"""The figures (docs/kpis.md): every read of the dashboard, its API, its wall screens and its
export, from the cache the worker keeps (`DayFigures`, derived from the case events), plus what is
counted now (open and overdue cases, participation) from the rows themselves.

`kpis(node, date_from, date_to)` is the one body — the API's, and what the demo scenarios, the
benchmark and the export call. Rates are decimal strings with four places (`"0.9775"`), or None when
their denominator is nought. Which nodes a user may ask for is the scope module's answer
(`figure_nodes`)."""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import ExtractMonth, ExtractYear
from django.utils import timezone
from django.utils.translation import gettext as _

from sanshi.cases import scope
from sanshi.cases.models import OPEN_STATUSES, Case
from sanshi.command.selectors import STEP_NAMES, Period, PeriodError, parse_period
from sanshi.core.errors import NotFound
from sanshi.deliberation.models import Participant
from sanshi.intake.channels import CHANNEL_OF, Channel, SubChannel
from sanshi.rapid.models import Clock
from sanshi.registry.models import Household, Level, OrgNode
from sanshi.registry.selectors import ancestors, subtree, within
from sanshi.votes.models import Ballot

from .definitions import COUNT, DAYS, RATE, days, moved_words, percent, row_figures
from .models import COUNTS, DayFigures, MonthFigures

__all__ = ["PeriodError", "kpis", "figure_nodes", "default_node", "node_for", "figure_rows", "period_of"]

KINDS = ("PUBLIC", "SHARED", "HOUSEHOLD")
UNSORTED = "unsorted"  # received, not yet triaged: no kind yet
OWN_LEVEL = {"HOUSEHOLD": Level.GRID, "SHARED": Level.COMMUNITY, "PUBLIC": Level.STREET}
FOUR_PLACES = Decimal("0.0001")
ONE_PLACE = Decimal("0.1")


# ---- which nodes -------------------------------------------------------------------------------

def figure_nodes(user) -> QuerySet[OrgNode]:
    """The nodes whose figures `user` may see: the subtrees of the nodes where they hold an area role
    (a community secretary: their community and its grids); every node for a superuser."""
    return OrgNode.objects.filter(scope.nodes_q(user, ""))


def default_node(user) -> OrgNode | None:
    """The highest node of the user's area (the first, should they hold several); the first root
    for a superuser; None for a user without an area."""
    nodes = scope.area_nodes(user)
    if nodes:
        return nodes[0]
    if getattr(user, "is_superuser", False):
        return OrgNode.objects.get_root_nodes().first()
    return None


def node_for(user, code: str | None) -> OrgNode:
    """The node `code` names, or the user's default node; NotFound when it does not exist or lies
    outside the user's area (the same answer)."""
    code = (code or "").strip()
    node = figure_nodes(user).filter(code=code).first() if code else default_node(user)
    if node is None:
        raise NotFound(_("节点不存在或不在您的管辖范围内") if code else _("您没有可以查看数据的辖区"))
    return node


def path_to(user, node: OrgNode) -> list[OrgNode]:
    """The nodes from the top of the user's area down to `node` (the dashboard's breadcrumb)."""
    seen = figure_nodes(user)
    return [*ancestors(node).filter(pk__in=seen.values("pk")), node]


def children_of(node: OrgNode) -> list[OrgNode]:
    """The nodes one level below, down to the grids (a grid's micro-grids hold no cases of their own:
    triage places a case on the grid)."""
    if node.level in (Level.GRID, Level.MICRO_GRID):
        return []
    return list(OrgNode.objects.get_children(node).order_by("code"))


# ---- periods ---------------------------------------------------------------------------------

def year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def period_of(date_from: str | None, date_to: str | None, *, today: date | None = None) -> Period:
    """From/to dates as typed (YYYY-MM-DD, both days included). No start: the twelve months up to the
    end (by default today). Raises PeriodError naming the field (`from`, `to`)."""
    today = today or timezone.localdate()
    if not (date_from or "").strip():
        try:
            end = date.fromisoformat((date_to or "").strip()) if (date_to or "").strip() else today
        except ValueError:
            end = today  # parse_period names the bad `to`
        date_from = (year_before(end) + timedelta(days=1)).isoformat()
    return parse_period(date_from, date_to, today=today)


def previous_year(period: Period) -> Period:
    return Period(year_before(period.start), year_before(period.end))


def previous_period(period: Period) -> Period:
    """环比: the whole calendar months before, when the period is whole months (March → February);
    otherwise the same number of days just before."""
    start, end = period.start, period.end
    after = end + timedelta(days=1)
    if start.day == 1 and after.day == 1:
        months = (after.year - start.year) * 12 + after.month - start.month
        first = start
        for _i in range(months):
            first = (first - timedelta(days=1)).replace(day=1)
        return Period(first, start - timedelta(days=1))
    days = (end - start).days + 1
    return Period(start - timedelta(days=days), start - timedelta(days=1))


def months_of(period: Period) -> list[date]:
    """The first day of each month the period touches."""
    out, month = [], period.start.replace(day=1)
    while month <= period.end:
        out.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return out


# ---- arithmetic ----------------------------------------------------------------------------------

def rate(numerator: int, denominator: int) -> str | None:
    """numerator / denominator as a decimal string with four places (half up), None for 0/0."""
    if not denominator:
        return None
    return str((Decimal(numerator) / Decimal(denominator)).quantize(FOUR_PLACES, rounding=ROUND_HALF_UP))


def median_days(histogram: dict[str, int]) -> str | None:
    """The median of a {tenths of a day: cases} histogram, in days with one place (the mean of the
    two middle values for an even count); None when nothing closed."""
    n = sum(histogram.values())
    if not n:
        return None
    ordered = sorted((int(k), v) for k, v in histogram.items())

    def nth(i: int) -> int:  # the i-th value (0-based) of the sorted list
        seen = 0
        for value, count in ordered:
            seen += count
            if i < seen:
                return value
        return ordered[-1][0]

    middle = Decimal(nth((n - 1) // 2) + nth(n // 2)) / 2 / 10
    return str(middle.quantize(ONE_PLACE, rounding=ROUND_HALF_UP))


def _zero() -> dict[str, int]:
    return {c: 0 for c in COUNTS}


def _add(into: dict[str, int], row: Mapping[str, Any]) -> None:
    for c in COUNTS:
        into[c] += row.get(c) or 0


SUMS = {c: Sum(c) for c in COUNTS}


# ---- what is counted now --------------------------------------------------------------------------

def _per_node(rows: Iterable[Mapping[str, Any]], nodes: list[OrgNode]) -> dict[int, int]:
    """Counts per (grid, responsible node) summed per node of `nodes` whose subtree holds the place."""
    places = list(rows)
    ids = {i for r in places for i in (r["grid_id"], r["org_id"]) if i}
    found = {n.pk: n for n in OrgNode.objects.filter(pk__in=ids)} if ids else {}
    out = {n.pk: 0 for n in nodes}
    for row in places:
        place = found.get(row["grid_id"]) or found.get(row["org_id"])
        for node in nodes:
            if within(place, node):
                out[node.pk] += row["n"]
                break
    return out


def overdue_now(node: OrgNode, children: list[OrgNode], *, now: datetime) -> dict[int, int]:
    """Open cases placed in the subtree with a clock past due and not done (a deadline, or a 1-5-10
    step), counted for `node` and each child: one query grouped by place."""
    late = Clock.objects.filter(done_at__isnull=True, due_at__lt=now).values("case_id")
    rows = list(Case.objects.filter(scope.placed_q([node]), status__in=OPEN_STATUSES, pk__in=late)
                .values("grid_id", "org_id").annotate(n=Count("pk")).order_by())
    total = sum(r["n"] for r in rows)
    return {node.pk: total, **(_per_node(rows, children) if children else {})}


def open_now(nodes: list[OrgNode]) -> dict[int, int]:
    """Cases received and not yet closed, per node (received − closed over every month)."""
    rows = MonthFigures.objects.filter(node__in=nodes).values("node_id").annotate(r=Sum("received"), c=Sum("closed"))
    out = {n.pk: 0 for n in nodes}
    for row in rows.order_by():
        out[row["node_id"]] = (row["r"] or 0) - (row["c"] or 0)
    return out


def participation(node: OrgNode, period: Period) -> dict[str, int]:
    """Households registered in the subtree, and those with at least one member who took part in a
    meeting held in the period (deliberation) or cast a ballot in it (votes; a paper or proxy ballot
    counts for its unit's owners)."""
    households = Household.objects.filter(node_id__in=subtree(node).values("pk"))
    met = Participant.objects.filter(person__isnull=False, meeting__held_at__gte=period.since,
                                     meeting__held_at__lt=period.until).values("person__household_id")
    ballots = Ballot.objects.filter(cast_at__gte=period.since, cast_at__lt=period.until)
    voted = ballots.filter(person__isnull=False).values("person__household_id")
    by_unit = ballots.filter(person__isnull=True).values("entry__owners__household_id")
    took_part = households.filter(Q(pk__in=met) | Q(pk__in=voted) | Q(pk__in=by_unit)).count()
    return {"households": households.count(), "took_part": took_part}


# ---- the figures -------------------------------------------------------------------------------------

def _figures(total: dict[str, int], kinds: dict[str, dict[str, int]], channels: dict[str, dict[str, int]],
             parts: dict[str, int]) -> dict[str, Any]:
    """The body's figures from the sums of one node and period (total, per kind, per sub-channel)."""
    def by_kind(name: str) -> dict[str, int]:
        counted = {k: kinds.get(k, {}).get(name, 0) for k in KINDS}
        return {**counted, UNSORTED: total[name] - sum(counted.values()), "total": total[name]}

    channel_totals = {str(c): 0 for c in Channel.values}
    closed_totals = {str(c): 0 for c in Channel.values}
    for sub, sums in channels.items():
        channel = str(CHANNEL_OF.get(SubChannel(sub), "")) if sub in SubChannel.values else ""
        if channel:
            channel_totals[channel] += sums["received"]
            closed_totals[channel] += sums["closed"]
    steps = {}
    for step in STEP_NAMES:
        met, missed = total[f"{step}_met"], total[f"{step}_missed"]
        steps[step] = {"met": met, "missed": missed, "rate": rate(met, met + missed)}
    return {
        "received": by_kind("received"), "closed": by_kind("closed"),
        "received_by_channel": channel_totals, "closed_by_channel": closed_totals,
        "received_by_sub_channel": {s: channels[s]["received"] for s in sorted(channels) if channels[s]["received"]},
        "resolution_rate": rate(total["resolved"], total["received"]),
        "grassroots_resolution_rate": rate(total["grassroots"], total["received"]),
        "own_level_rate": {k: rate(kinds.get(k, {}).get("own_level", 0), kinds.get(k, {}).get("received", 0))
                           for k in KINDS},
        "satisfaction_rate": rate(total["ratings_good"], total["ratings"]),
        "visit_satisfaction_rate": rate(total["visits_good"], total["visits"]),
        "response_rate": rate(total["triaged"], total["received"]),
        "timeliness_rate": rate(total["timely"], total["deadlined"]),
        "escalation_rate": rate(total["escalated"], total["received"]),
        "bounce_back_rate": rate(total["retriaged"], total["triaged"]),
        "participation_rate": rate(parts["took_part"], parts["households"]),
        "rapid_compliance": steps,
        "by_kind": {k: {"received": kinds.get(k, {}).get("received", 0), "closed": kinds.get(k, {}).get("closed", 0),
                        "resolution_rate": rate(kinds.get(k, {}).get("resolved", 0), kinds.get(k, {}).get("received", 0)),
                        "satisfaction_rate": rate(kinds.get(k, {}).get("ratings_good", 0),
                                                  kinds.get(k, {}).get("ratings", 0))}
                    for k in KINDS},
        "counts": {**total, **parts},
    }


def spans(period: Period) -> tuple[list[date], list[tuple[date, date]]]:
    """The period as the cache holds it: the first days of the whole calendar months inside it (read
    from the month rows), and the ranges of days left at either end (read from the day rows)."""
    months: list[date] = []
    ranges: list[tuple[date, date]] = []
    day = period.start
    while day <= period.end:
        after = (day + timedelta(days=32)).replace(day=1)  # the first day of the next month
        if day.day == 1 and after - timedelta(days=1) <= period.end:
            months.append(day)
        else:
            last = min(after - timedelta(days=1), period.end)
            if ranges and ranges[-1][1] + timedelta(days=1) == day:
                ranges[-1] = (ranges[-1][0], last)
            else:
                ranges.append((day, last))
            day = last + timedelta(days=1)
            continue
        day = after
    return months, ranges


def _cached(nodes: list[OrgNode], period: Period) -> tuple[QuerySet[MonthFigures] | None, QuerySet[DayFigures] | None]:
    """The cache's rows of these nodes over the period: the month rows of its whole months and the day
    rows of the days at either end (`spans`); None where the period has none of a kind."""
    months, ranges = spans(period)
    within_days = Q()
    for first, last in ranges:
        within_days |= Q(day__gte=first, day__lte=last)
    return (MonthFigures.objects.filter(node__in=nodes, month__in=months) if months else None,
            DayFigures.objects.filter(within_days, node__in=nodes) if ranges else None)


def _grouped(nodes: list[OrgNode], period: Period, fields: tuple[str, ...], *, trend: bool = False) -> list[dict]:
    """The cache's sums of these nodes over the period, grouped by `fields` (and by the month with
    `trend`, as `month`): one query on the month rows for the whole months, one on the day rows for
    the days at either end. The same group may come twice (once from each); callers add them up."""
    month_rows, day_rows = _cached(nodes, period)
    out: list[dict] = []
    if month_rows is not None:
        out += month_rows.values(*fields, *(("month",) if trend else ())).annotate(**SUMS).order_by()
    if day_rows is not None:
        if trend:  # the month as two integers: cheaper to read back than a truncated date (bench/dashboard.py)
            day_rows = day_rows.annotate(y=ExtractYear("day"), m=ExtractMonth("day"))
        for row in day_rows.values(*fields, *(("y", "m") if trend else ())).annotate(**SUMS).order_by():
            if trend:
                row["month"] = date(row.pop("y"), row.pop("m"), 1)
            out.append(row)
    return out


def _histograms(node: OrgNode, period: Period) -> dict[str, dict[str, int]]:
    """The days-to-close histograms of the cases closed of those received in the period, for all
    kinds (`all`) and each kind."""
    histograms: dict[str, dict[str, int]] = defaultdict(dict)
    for rows in _cached([node], period):
        if rows is None:
            continue
        for kind, hist in rows.filter(closed__gt=0).values_list("kind", "close_days"):
            for key in ("all", kind):
                for tenths, n in (hist or {}).items():
                    histograms[key][tenths] = histograms[key].get(tenths, 0) + n
    return histograms


def _period_figures(node: OrgNode, period: Period, *, trend: bool = False) -> dict[str, Any]:
    """The figures of one node and period: the grouped sums (kind, sub-channel, and the month with
    `trend`; `_grouped`), the days-to-close histograms, and the participation counts."""
    total = _zero()
    kinds: dict[str, dict[str, int]] = defaultdict(_zero)
    channels: dict[str, dict[str, int]] = defaultdict(_zero)
    months: dict[date, dict[str, int]] = defaultdict(_zero)
    for row in _grouped([node], period, ("kind", "sub_channel"), trend=trend):
        _add(total, row)
        _add(kinds[row["kind"]], row)
        _add(channels[row["sub_channel"]], row)
        if trend:
            _add(months[row["month"]], row)
    histograms = _histograms(node, period)
    body = _figures(total, kinds, channels, participation(node, period))
    body["median_days_to_close"] = {k: median_days(histograms.get(k, {})) for k in ("all", *KINDS)}
    if trend:
        body["trend"] = [{
            "month": f"{m:%Y-%m}", "received": months[m]["received"], "closed": months[m]["closed"],
            "resolution_rate": rate(months[m]["resolved"], months[m]["received"]),
            "grassroots_resolution_rate": rate(months[m]["grassroots"], months[m]["received"]),
            "satisfaction_rate": rate(months[m]["ratings_good"], months[m]["ratings"]),
            "response_rate": rate(months[m]["triaged"], months[m]["received"]),
            "escalation_rate": rate(months[m]["escalated"], months[m]["received"]),
        } for m in months_of(period)]
    return body


def _node(node: OrgNode) -> dict[str, str]:
    return {"code": node.code, "name": node.name, "level": node.level}


def _children(children: list[OrgNode], period: Period, open_counts: dict[int, int],
              overdue: dict[int, int]) -> list[dict[str, Any]]:
    """The figures of each child, from one grouped query (child, kind, sub-channel); without the
    median and the trend (ask for the child for those)."""
    sums: dict[int, dict[str, Any]] = {c.pk: {"total": _zero(), "kinds": defaultdict(_zero),
                                              "channels": defaultdict(_zero)} for c in children}
    for row in _grouped(children, period, ("node_id", "kind", "sub_channel")):
        own = sums[row["node_id"]]
        _add(own["total"], row)
        _add(own["kinds"][row["kind"]], row)
        _add(own["channels"][row["sub_channel"]], row)
    out = []
    for child in children:
        own = sums[child.pk]
        body = _figures(own["total"], own["kinds"], own["channels"], participation(child, period))
        out.append({"node": _node(child), **body, "open_now": open_counts.get(child.pk, 0),
                    "overdue_now": overdue.get(child.pk, 0)})
    return out


def kpis(node: OrgNode, date_from: date, date_to: date, *, now: datetime | None = None,
         children: bool = True) -> dict[str, Any]:
    """The figures of `node` for the cases received from `date_from` to `date_to` (both days
    included, local time): the API body of GET /api/v1/kpis. With them: open and overdue now, the
    trend by month, the same figures a year before (`previous_year`) and for the period just before
    (`previous_period`, month on month), and each child's figures one level down (`children`)."""
    now = now or timezone.now()
    period = Period(date_from, date_to)
    below = children_of(node) if children else []
    open_counts = open_now([node, *below])
    overdue = overdue_now(node, below, now=now)
    body: dict[str, Any] = {"node": _node(node), "period": {"from": date_from.isoformat(), "to": date_to.isoformat()}}
    body.update(_period_figures(node, period, trend=True))
    body["open_now"], body["overdue_now"] = open_counts[node.pk], overdue[node.pk]
    earlier: dict[Period, dict[str, Any]] = {}  # a year's period before is the year before: read once
    for name, other in (("previous_year", previous_year(period)), ("previous_period", previous_period(period))):
        if other not in earlier:
            earlier[other] = _period_figures(node, other)
        body[name] = {"period": {"from": other.start.isoformat(), "to": other.end.isoformat()}, **earlier[other]}
    body["children"] = _children(below, period, open_counts, overdue)
    return body


# ---- changes (year on year, month on month) and the export's rows --------------------------------

def change(current: Any, before: Any, *, is_rate: bool) -> str | None:
    """How a figure moved: for a count the relative change ("-0.1411" is −14.11%), for a rate the
    difference in rate (percentage points ÷ 100); None when either side is undefined (or, for a
    count, nothing to compare with)."""
    if current is None or before is None:
        return None
    if is_rate:
        return str((Decimal(current) - Decimal(before)).quantize(FOUR_PLACES, rounding=ROUND_HALF_UP))
    if not before:
        return None
    return rate(int(current) - int(before), int(before))


def figure_rows(body: dict[str, Any]) -> list[list[Any]]:
    """The figures of `kpis()` as the export's rows, written as on the page: figure, this period, a
    year before, the period before, year on year, month on month (FIGURE_ROWS_HEADER)."""
    rows = []
    for label, getter, unit in row_figures():
        values = [getter(body), getter(body["previous_year"]), getter(body["previous_period"])]
        if unit == COUNT:
            values = [v or 0 for v in values]
        moves = [moved_words(change(values[0], before, is_rate=unit != COUNT), unit) for before in values[1:]]
        shown = list(map(percent, values)) if unit == RATE else list(map(days, values)) if unit == DAYS else values
        rows.append([label, *shown, *moves])
    return rows


FIGURE_ROWS_HEADER = ["指标", "本期", "上年同期", "上一期", "同比", "环比"]
CHILD_ROWS_HEADER = ["下级", "受理事项", "办结事项", "化解率", "基层化解率", "满意率（评价）", "居民参与率", "在办事项", "超期事项"]


def child_rows(body: dict[str, Any]) -> list[list[Any]]:
    """One row per child of the body (CHILD_ROWS_HEADER)."""
    return [[c["node"]["name"], c["received"]["total"], c["closed"]["total"], percent(c["resolution_rate"]),
             percent(c["grassroots_resolution_rate"]), percent(c["satisfaction_rate"]),
             percent(c["participation_rate"]), c["open_now"], c["overdue_now"]] for c in body["children"]]
