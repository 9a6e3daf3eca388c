"""Every write of the figures' cache and of the wall screens (docs/kpis.md).

The cache is derived, never kept by hand: `case_facts` reads what a case's event rows say (with its
requests, ratings, follow-up visits and clocks) into one `CaseFact`; `day_sums` sums the facts of
whole days into `DayFigures` for every node above each case's place, `month_sums` a month's day rows
into `MonthFigures`. The full rebuild (`kpis_rebuild`, `sanshi kpis rebuild`) writes those sums; the
worker's sweep (`kpis_refresh`, after each batch of new case events, outside the transaction that
wrote them) applies each case's change to them instead (`facts_refresh`: the old facts out, the new
in). Both write the same rows: the tests compare the two.

Wall screens: `screen_issue` (a street's operator or street officer turns a browser into a read-only
screen of a node in their area), `screen_revoke`, `screen_for_token` (the screen's cookie → its
screen, or None once revoked or expired). Each issue and revocation is audited."""

import hashlib
import logging
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import takewhile
from typing import Any, TypeVar

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Min, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sanshi.audit.services import audit_record
from sanshi.cases import scope
from sanshi.cases.models import Case, CaseEvent
from sanshi.cases.transitions import Action
from sanshi.command.selectors import STEP_NAMES, clock_state
from sanshi.core.errors import NotFound, NotPermitted, ValidationFailed
from sanshi.evaluation.models import Evaluation, Rating
from sanshi.intake.models import Request
from sanshi.rapid.models import Clock, ClockName
from sanshi.registry.models import Level, OrgNode
from sanshi.registry.selectors import within
from sanshi.supervision.models import FollowUpVisit, Satisfaction

from .models import COUNTS, CaseFact, Cursor, DayFigures, MonthFigures, WallScreen

log = logging.getLogger("sanshi.kpis")
FRESH, SETTLED = "fresh", "settled"
TENTHS_PER_DAY = 10
SATISFIED_VISITS = (Satisfaction.SATISFIED, Satisfaction.BASICALLY)


# ---- one case's facts, from its rows -------------------------------------------------------------

def _by_case(rows: Iterable[Mapping[str, Any]], key: str = "case_id") -> dict[int, dict[str, Any]]:
    return {row[key]: dict(row) for row in rows}


def case_facts(where: dict, *, now: datetime | None = None) -> list[CaseFact]:
    """The facts of the cases selected by `where` (lookups on the case's id: {"pk__in": ids} or
    {"pk__gte": a, "pk__lt": b}), unsaved; none for a case merged into another. A fixed number of
    queries whatever the number of cases (one per table)."""
    now = now or timezone.now()
    related = {f"case_id{k[2:]}": v for k, v in where.items()}  # pk__in → case_id__in
    cases = list(Case.objects.filter(**where).values("pk", "kind", "grid_id", "org_id", "urgent", "created_at"))
    if not cases:
        return []
    events = _by_case(CaseEvent.objects.filter(**related).values("case_id").annotate(
        opened=Min("at", filter=Q(action=Action.OPEN)),
        merged=Count("id", filter=Q(action=Action.MERGE)),
        triaged=Count("id", filter=Q(action=Action.TRIAGE)),
        retriaged=Count("id", filter=Q(action=Action.RETRIAGE)),
        closed_at=Max("at", filter=Q(action=Action.CLOSE)),
        closes=Count("id", filter=Q(action=Action.CLOSE)),
        final_bad=Count("id", filter=Q(action=Action.CLOSE, data__final_bad_rating=True)),
        lapsed=Count("id", filter=Q(action=Action.CLOSE, data__lapsed=True)),
        escalated=Count("id", filter=Q(action=Action.ESCALATE)),
        to_district=Count("id", filter=Q(action=Action.ESCALATE, data__to_level=Level.DISTRICT)),
    ).order_by())
    # the request that opened the case (named on its opening event) gives its channel
    opening = dict(CaseEvent.objects.filter(**related, action=Action.OPEN).values_list("case_id", "data"))
    named = {case_id: data.get("request") for case_id, data in opening.items() if isinstance(data, dict)}
    channels = {r["pk"]: r for r in Request.objects.filter(pk__in=[pk for pk in named.values() if pk])
                .values("pk", "channel", "sub_channel")}
    missing = [c["pk"] for c in cases if named.get(c["pk"]) not in channels]
    first: dict[int, dict[str, Any]] = {}
    for row in (Request.objects.filter(case_id__in=missing).order_by("case_id", "received_at", "id")
                .values("case_id", "channel", "sub_channel") if missing else []):
        first.setdefault(row["case_id"], dict(row))
    ratings = _by_case(Evaluation.objects.filter(**related).values("case_id").annotate(
        n=Count("id"), good=Count("id", filter=Q(rating=Rating.GOOD))).order_by())
    visits = _by_case(FollowUpVisit.objects.filter(**related, done_at__isnull=False).values("case_id").annotate(
        n=Count("id"), good=Count("id", filter=Q(satisfaction__in=SATISFIED_VISITS))).order_by())
    clocks: dict[int, dict[str, dict[str, Any]]] = {}
    # `judged`, not `state`: Clock has a property of that name (pending | done | breached | done_late)
    for clock in (Clock.objects.filter(**related, name__in=[*STEP_NAMES, ClockName.DEADLINE])
                  .annotate(judged=clock_state(now)).values("case_id", "name", "judged", "done_at", "due_at")):
        clocks.setdefault(clock["case_id"], {})[clock["name"]] = dict(clock)
    facts = []
    for case in cases:
        pk = case["pk"]
        ev = events.get(pk, {})
        if ev.get("merged"):
            continue  # it counts with the case it was merged into
        received_at = ev.get("opened") or case["created_at"]
        request = channels.get(named.get(pk) or 0) or first.get(pk) or {}
        closed = bool(ev.get("closes"))
        resolved = closed and not ev.get("final_bad")
        fact = CaseFact(
            case_id=pk, place_id=case["grid_id"] or case["org_id"], received_at=received_at,
            received_on=timezone.localtime(received_at).date(), kind=case["kind"] or "",
            channel=request.get("channel", ""), sub_channel=request.get("sub_channel", ""),
            closed_at=ev.get("closed_at") if closed else None, received=1,
            triaged=int(bool(ev.get("triaged"))), retriaged=int(bool(ev.get("retriaged"))),
            closed=int(closed), resolved=int(resolved),
            grassroots=int(resolved and not ev.get("to_district")),
            own_level=int(resolved and not ev.get("escalated")),
            escalated=int(bool(ev.get("escalated"))), lapsed=int(closed and bool(ev.get("lapsed"))),
            ratings=ratings.get(pk, {}).get("n", 0), ratings_good=ratings.get(pk, {}).get("good", 0),
            visits=visits.get(pk, {}).get("n", 0), visits_good=visits.get(pk, {}).get("good", 0),
            urgent=int(bool(case["urgent"])))
        if closed and fact.closed_at is not None:
            seconds = max(0.0, (fact.closed_at - received_at).total_seconds())
            fact.close_tenths = round(seconds * TENTHS_PER_DAY / 86400)
        own = clocks.get(pk, {})
        deadline = own.get(ClockName.DEADLINE)
        if closed and deadline is not None and deadline["done_at"] is not None:
            fact.deadlined = 1
            fact.timely = int(deadline["done_at"] <= deadline["due_at"])
        for step in STEP_NAMES:
            state = own.get(step, {}).get("judged")
            setattr(fact, f"{step}_met", int(state == "met"))
            setattr(fact, f"{step}_missed", int(state == "breached"))
        facts.append(fact)
    return facts


FACT_FIELDS = tuple(field.attname for field in CaseFact._meta.concrete_fields)  # case_id, place_id, …, the counts


def _fact_row(fact: CaseFact) -> dict[str, Any]:
    """A fact as the values its sums read (what `CaseFact.objects.values(*FACT_FIELDS)` gives)."""
    return {name: getattr(fact, name) for name in FACT_FIELDS}


def facts_refresh(case_ids: Iterable[int], *, now: datetime | None = None) -> int:
    """Derive the facts of these cases again, and apply what changed to the day and month sums of
    every node above each case's place — the old facts taken out, the new ones added — so a case's
    move costs a few rows whatever the size of its day. Returns how many sum rows were written.
    Run by one sweep at a time (`_pass` holds the cursor's lock)."""
    ids = sorted(set(case_ids))
    written = 0
    chain = _ancestry()
    for start in range(0, len(ids), 1000):
        chunk = ids[start:start + 1000]
        with transaction.atomic():
            before = {row["case_id"]: row for row in CaseFact.objects.filter(case_id__in=chunk).values(*FACT_FIELDS)}
            facts = {fact.case_id: fact for fact in case_facts({"pk__in": chunk}, now=now)}
            after = {pk: _fact_row(fact) for pk, fact in facts.items()}
            moved = [pk for pk in chunk if before.get(pk) != after.get(pk)]
            if not moved:
                continue
            CaseFact.objects.filter(case_id__in=moved).delete()
            CaseFact.objects.bulk_create([facts[pk] for pk in moved if pk in facts])
            changes = _changes([before[pk] for pk in moved if pk in before], [after[pk] for pk in moved if pk in after],
                               chain)
            written += _apply(DayFigures, "day", changes[DAY]) + _apply(MonthFigures, "month", changes[MONTH])
    return written


# ---- the sums: per day and per month, up the tree ------------------------------------------------

def _ancestry() -> Callable[[int], list[int]]:
    """node id → the node and every node above it (by each node's parent: one query for the tree)."""
    parents = dict(OrgNode.objects.values_list("pk", "parent_id"))
    memo: dict[int, list[int]] = {}

    def chain(pk: int) -> list[int]:
        if pk not in memo:
            parent = parents.get(pk)
            memo[pk] = [pk, *(chain(parent) if parent is not None and parent != pk else [])]
        return memo[pk]

    return chain


Key = tuple[int, date, str, str]  # node, day or month (its first day), kind, sub-channel
Sums = TypeVar("Sums", DayFigures, MonthFigures)
DAY, MONTH = "day", "month"


def month_of(day: date) -> date:
    return day.replace(day=1)


def _empty() -> dict[str, Any]:
    return {**{c: 0 for c in COUNTS}, "close_days": {}}


def _changes(before: Iterable[Mapping[str, Any]], after: Iterable[Mapping[str, Any]],
             chain: Callable[[int], list[int]]) -> dict[str, dict[Key, dict[str, Any]]]:
    """What replacing the facts `before` by `after` changes in the day and month sums: signed
    counts and histogram entries per row key (a fact counts at its place and every node above it;
    a fact without a place counts nowhere)."""
    out: dict[str, dict[Key, dict[str, Any]]] = {DAY: {}, MONTH: {}}
    for sign, facts in ((-1, before), (1, after)):
        for fact in facts:
            if fact["place_id"] is None:
                continue
            tenths = None if fact["close_tenths"] is None else str(fact["close_tenths"])
            for node in chain(fact["place_id"]):
                for bucket, when in ((DAY, fact["received_on"]), (MONTH, month_of(fact["received_on"]))):
                    change = out[bucket].setdefault((node, when, fact["kind"], fact["sub_channel"]), _empty())
                    for c in COUNTS:
                        change[c] += sign * fact[c]
                    if tenths is not None:
                        change["close_days"][tenths] = change["close_days"].get(tenths, 0) + sign
    for changes in out.values():
        for key in [k for k, v in changes.items()
                    if not any(v[c] for c in COUNTS) and not any(v["close_days"].values())]:
            del changes[key]
    return out


def _keys_q(field: str, keys: Iterable[Key]) -> Q:
    """The rows of these keys (and few others): for each bucket, its nodes, kinds and sub-channels."""
    per_bucket: dict[date, tuple[set[int], set[str], set[str]]] = {}
    for node, bucket, kind, sub in keys:
        nodes, kinds, subs = per_bucket.setdefault(bucket, (set(), set(), set()))
        nodes.add(node)
        kinds.add(kind)
        subs.add(sub)
    q = Q()
    for bucket, (nodes, kinds, subs) in per_bucket.items():
        q |= Q(**{field: bucket}, node_id__in=nodes, kind__in=kinds, sub_channel__in=subs)
    return q


def _apply(model: type[Sums], field: str, changes: dict[Key, dict[str, Any]]) -> int:
    """Add signed changes to the rows of `model` (bucket `field`): a row that changes is written
    again (deleted and inserted: two statements for the whole batch, where an UPDATE per row or
    Django's bulk_update of 25 columns took seconds), a row left with no case received is deleted
    (every fact counts one received), as a rebuild would write them. Returns how many rows changed."""
    if not changes:
        return 0
    existing = {(r.node_id, getattr(r, field), r.kind, r.sub_channel): r
                for r in model.objects.select_for_update().filter(_keys_q(field, changes))}
    replaced: list[int] = []
    rows: list[Sums] = []
    for key, change in changes.items():
        old = existing.get(key)
        if old is not None:
            replaced.append(old.pk)
        counts = {c: (getattr(old, c) if old is not None else 0) + change[c] for c in COUNTS}
        if counts["received"] <= 0:
            continue  # no case left in it
        hist = dict(old.close_days or {}) if old is not None else {}
        for tenths, n in change["close_days"].items():
            hist[tenths] = hist.get(tenths, 0) + n
        rows.append(model(node_id=key[0], kind=key[2], sub_channel=key[3], close_days={k: v for k, v in hist.items() if v},
                          **{field: key[1]}, **counts))
    if replaced:
        model.objects.filter(pk__in=replaced).delete()
    model.objects.bulk_create(rows, batch_size=2000)
    return len(changes)


def day_sums(days: Iterable[date]) -> dict[Key, dict]:
    """The rows `DayFigures` should hold for these days, from the facts: two grouped queries, then
    each group added to its place and every node above it."""
    days = sorted(set(days))
    chain = _ancestry()
    out: dict[Key, dict] = {}
    facts = CaseFact.objects.filter(received_on__in=days, place__isnull=False)
    group = ("received_on", "place_id", "kind", "sub_channel")
    for row in facts.values(*group).annotate(**{f"s_{c}": Sum(c) for c in COUNTS}).order_by():
        for node in chain(row["place_id"]):
            sums = out.setdefault((node, row["received_on"], row["kind"], row["sub_channel"]), _empty())
            for c in COUNTS:
                sums[c] += row[f"s_{c}"] or 0
    for row in (facts.filter(close_tenths__isnull=False).values(*group, "close_tenths")
                .annotate(n=Count("pk")).order_by()):
        for node in chain(row["place_id"]):
            hist = out[(node, row["received_on"], row["kind"], row["sub_channel"])]["close_days"]
            key = str(row["close_tenths"])
            hist[key] = hist.get(key, 0) + row["n"]
    return out


def month_sums(month: date) -> dict[Key, dict]:
    """The rows `MonthFigures` should hold for one month: its day rows summed (the counts in SQL,
    the histograms merged)."""
    rows = DayFigures.objects.filter(day__gte=month, day__lt=(month + timedelta(days=32)).replace(day=1))
    out: dict[Key, dict] = {}
    group = ("node_id", "kind", "sub_channel")
    for row in rows.values(*group).annotate(**{f"s_{c}": Sum(c) for c in COUNTS}).order_by():
        out[(row["node_id"], month, row["kind"], row["sub_channel"])] = {
            **{c: row[f"s_{c}"] or 0 for c in COUNTS}, "close_days": {}}
    for node_id, kind, sub, hist in rows.filter(closed__gt=0).values_list(*group, "close_days"):
        merged = out[(node_id, month, kind, sub)]["close_days"]
        for tenths, n in (hist or {}).items():
            merged[tenths] = merged.get(tenths, 0) + n
    return out


def _sync(model: type[Sums], field: str, buckets: list[date], wanted: dict[Key, dict]) -> int:
    """Bring the rows of `model` in these buckets in line with `wanted`: rows that differ are written
    again, new ones created, vanished ones deleted. Returns how many rows were written."""
    with transaction.atomic():
        existing = {(r.node_id, getattr(r, field), r.kind, r.sub_channel): r
                    for r in model.objects.select_for_update().filter(**{f"{field}__in": buckets})}
        rows: list[Sums] = []
        replaced: list[int] = []
        for key, sums in wanted.items():
            row = existing.pop(key, None)
            if row is None or any(getattr(row, c) != sums[c] for c in COUNTS) or row.close_days != sums["close_days"]:
                if row is not None:
                    replaced.append(row.pk)  # written again, as in _apply
                rows.append(model(node_id=key[0], kind=key[2], sub_channel=key[3], **{field: key[1]}, **sums))
        replaced += [r.pk for r in existing.values()]  # vanished
        if replaced:
            model.objects.filter(pk__in=replaced).delete()
        model.objects.bulk_create(rows, batch_size=2000)
    return len(rows) + len(existing)


# ---- the sweep and the rebuild ------------------------------------------------------------------

def settle_seconds() -> int:
    return settings.SANSHI_KPI_SETTLE_SECONDS


def _locked() -> bool:
    """Take the cache's write lock for this transaction: the fresh cursor's row. False when another
    sweep or a rebuild holds it (this round is skipped: the next one reads on from the cursor). On
    SQLite the database's own write lock serialises writers instead."""
    Cursor.objects.get_or_create(name=FRESH)
    return bool(list(Cursor.objects.select_for_update(skip_locked=True).filter(name=FRESH).values_list("pk", flat=True)))


def _pass(name: str, *, limit: int, now: datetime) -> int:
    """Read the next case events after cursor `name` and derive their cases' figures again. The
    fresh pass reads every event at once; the settled pass reads them again once they are
    SANSHI_KPI_SETTLE_SECONDS old, behind the fresh pass — an event whose transaction committed after
    a later id was read (ids are taken at insert, not at commit) is read then. One pass at a time
    (facts_refresh applies changes: two at once would count a change twice)."""
    with transaction.atomic():
        if not _locked():
            return 0
        cursor, _created = Cursor.objects.get_or_create(name=name)
        qs = CaseEvent.objects.filter(pk__gt=cursor.last_event_id).order_by("pk")
        if name == SETTLED:
            fresh = Cursor.objects.filter(name=FRESH).values_list("last_event_id", flat=True).first() or 0
            qs = qs.filter(pk__lte=fresh)
        events = list(qs.values_list("pk", "case_id", "at")[:limit])
        if name == SETTLED:  # up to the first event not yet settled
            cutoff = now - timedelta(seconds=settle_seconds())
            events = list(takewhile(lambda event: event[2] < cutoff, events))
        if not events:
            return 0
        facts_refresh({e[1] for e in events}, now=now)
        cursor.last_event_id = events[-1][0]
        cursor.save(update_fields=["last_event_id", "updated_at"])
    return len(events)


def kpis_refresh(*, now: datetime | None = None, limit: int | None = None) -> int:
    """The worker's sweep: the figures of the cases whose events arrived since the last round (and,
    a second time, of those events once settled). Returns how many events it read."""
    now = now or timezone.now()
    limit = limit or settings.SANSHI_KPI_BATCH
    return _pass(FRESH, limit=limit, now=now) + _pass(SETTLED, limit=limit, now=now)


def kpis_rebuild(*, progress: Callable[[str], None] | None = None, batch: int = 5000,
                 now: datetime | None = None) -> dict[str, int]:
    """Throw the cache away and derive it again from the event rows: every case's facts (in batches
    of ids), then every day's sums, then every month's. One transaction: the dashboard reads the old
    figures until the new ones are complete, a failed rebuild leaves the old cache, and the sweep
    skips its rounds meanwhile (it reads on from the cursors, set to the last event before the facts
    are read). Returns what was written."""
    say = progress or (lambda _message: None)
    now = now or timezone.now()
    with transaction.atomic():
        Cursor.objects.get_or_create(name=FRESH)
        Cursor.objects.select_for_update().filter(name=FRESH).get()  # waits for a sweep's round to end
        last = CaseEvent.objects.aggregate(m=Max("pk"))["m"] or 0
        for name in (FRESH, SETTLED):
            Cursor.objects.update_or_create(name=name, defaults={"last_event_id": last})
        CaseFact.objects.all().delete()
        bounds = Case.objects.aggregate(lo=Min("pk"), hi=Max("pk"))
        total = Case.objects.count()
        facts = 0
        if bounds["lo"] is not None:
            for start in range(bounds["lo"], bounds["hi"] + 1, batch):
                rows = case_facts({"pk__gte": start, "pk__lt": start + batch}, now=now)
                CaseFact.objects.bulk_create(rows, batch_size=2000)
                facts += len(rows)
                say(f"facts: {min(start + batch - bounds['lo'], bounds['hi'] - bounds['lo'] + 1)}/"
                    f"{bounds['hi'] - bounds['lo'] + 1} case ids, {facts} cases counted of {total}")
        DayFigures.objects.all().delete()
        MonthFigures.objects.all().delete()
        days = sorted(CaseFact.objects.values_list("received_on", flat=True).distinct())
        day_rows = 0
        for start in range(0, len(days), 31):
            chunk = days[start:start + 31]
            day_rows += _sync(DayFigures, "day", chunk, day_sums(chunk))
            say(f"days: {min(start + 31, len(days))}/{len(days)}, {day_rows} rows")
        months = sorted({month_of(day) for day in days})
        month_rows = 0
        for i, month in enumerate(months, 1):
            month_rows += _sync(MonthFigures, "month", [month], month_sums(month))
            say(f"months: {i}/{len(months)}, {month_rows} rows")
    log.info("kpis rebuilt: %s facts, %s day rows, %s month rows, events up to %s", facts, day_rows, month_rows, last)
    return {"facts": facts, "day_rows": day_rows, "month_rows": month_rows, "days": len(days), "last_event": last}


def _stored(model: type[Sums], field: str, buckets: list[date]) -> dict[Key, dict]:
    return {(r.node_id, getattr(r, field), r.kind, r.sub_channel): {**{c: getattr(r, c) for c in COUNTS},
                                                                      "close_days": r.close_days or {}}
            for r in model.objects.filter(**{f"{field}__in": buckets})}


@dataclass(frozen=True)
class Check:
    compared: int  # rows compared
    differ: list[str]  # the keys whose stored row differs from the facts' sums


def _compare(stored: dict[Key, dict], wanted: dict[Key, dict], field: str) -> tuple[int, list[str]]:
    keys = sorted(set(stored) | set(wanted))
    return len(keys), [f"{field} {k[1].isoformat()} node {k[0]} {k[2] or '-'} {k[3] or '-'}"
                       for k in keys if stored.get(k) != wanted.get(k)]


def _month_from_facts(month: date) -> dict[Key, dict]:
    """What a month's rows should hold, from the facts (not from its day rows, which may be the ones
    that drifted)."""
    after = (month + timedelta(days=32)).replace(day=1)
    out: dict[Key, dict] = {}
    for (node, _day, kind, sub), sums in day_sums([month + timedelta(days=i) for i in range((after - month).days)]).items():
        into = out.setdefault((node, month, kind, sub), _empty())
        for c in COUNTS:
            into[c] += sums[c]
        for tenths, n in sums["close_days"].items():
            into["close_days"][tenths] = into["close_days"].get(tenths, 0) + n
    return out


def kpis_check(days: int = 31, *, today: date | None = None) -> Check:
    """Compare the day rows of the last `days` days, and the month rows of their months, each with
    what the facts sum to now: the sweep applies changes, so this shows a drift should one ever
    appear. Reads only."""
    today = today or timezone.localdate()
    recent = [today - timedelta(days=i) for i in range(max(1, days))]
    compared, differ = _compare(_stored(DayFigures, "day", recent), day_sums(recent), "day")
    for month in sorted({month_of(d) for d in recent}):
        n, bad = _compare(_stored(MonthFigures, "month", [month]), _month_from_facts(month), "month")
        compared, differ = compared + n, differ + bad
    return Check(compared=compared, differ=differ)


# ---- wall screens -------------------------------------------------------------------------------

SCREEN_ROLES = scope.COMMAND_ROLES  # the street's command centre issues and revokes them


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def screen_nodes(user) -> list[OrgNode]:
    """Where `user` may put a wall screen: the nodes where they hold a command-centre role (their
    street), highest first."""
    return scope.area_nodes(user, only=SCREEN_ROLES)


def _covering(user, node: OrgNode) -> OrgNode | None:
    return next((n for n in screen_nodes(user) if within(node, n)), None)


@dataclass(frozen=True)
class IssuedScreen:
    screen: WallScreen
    token: str  # the cookie's value: given once, to the browser that becomes the screen


def screen_issue(*, actor, node: OrgNode, label: str) -> IssuedScreen:
    """Turn the browser the actor is using into a read-only screen of `node` (in their street) for
    SANSHI_SCREEN_DAYS days, until revoked. Audited."""
    area = _covering(actor, node)
    if area is None:
        if not screen_nodes(actor):
            raise NotPermitted(_("只有街道指挥中心接线员和街道干部可以开启大屏"))
        raise NotFound(_("节点不存在或不在您的管辖范围内"))
    label = (label or "").strip()
    if not label:
        raise ValidationFailed(_("请填写大屏名称"), errors={"label": _("例如：指挥中心一号屏")})
    if len(label) > (WallScreen._meta.get_field("label").max_length or 60):
        raise ValidationFailed(_("大屏名称太长"), errors={"label": _("最多60个字")})
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        screen = WallScreen.objects.create(node=node, label=label, token_hash=_token_hash(token), issued_by=actor,
                                           issued_at=now, expires_at=now + timedelta(days=settings.SANSHI_SCREEN_DAYS))
        role = next((r for r in scope.roles_of(actor) if r.role in SCREEN_ROLES and r.node_id == area.pk), None)
        audit_record(event="screen.issue", actor=actor, role=role.role if role else "", node=node.code,
                     obj_type="wall_screen", obj_id=str(screen.pk))
    return IssuedScreen(screen=screen, token=token)


def screens(user):
    """The wall screens of nodes in `user`'s command-centre area, newest first."""
    nodes = screen_nodes(user)
    if not nodes:
        return WallScreen.objects.none()
    return (WallScreen.objects.filter(scope.nodes_q(user, "node", only=SCREEN_ROLES))
            .select_related("node", "issued_by", "revoked_by"))


def screen_revoke(*, actor, screen_id: int) -> WallScreen:
    """End a wall screen at once: its next refresh shows the sign-in notice. Audited."""
    if not screen_nodes(actor):
        raise NotPermitted(_("只有街道指挥中心接线员和街道干部可以收回大屏"))
    with transaction.atomic():
        screen = screens(actor).select_for_update(of=("self",)).filter(pk=screen_id).first()
        if screen is None:
            raise NotFound(_("大屏授权不存在或不在您的管辖范围内"))
        if screen.revoked_at is None:
            screen.revoked_at, screen.revoked_by = timezone.now(), actor
            screen.save(update_fields=["revoked_at", "revoked_by"])
            area = _covering(actor, screen.node)
            role = next((r for r in scope.roles_of(actor)
                         if r.role in SCREEN_ROLES and area is not None and r.node_id == area.pk), None)
            audit_record(event="screen.revoke", actor=actor, role=role.role if role else "", node=screen.node.code,
                         obj_type="wall_screen", obj_id=str(screen.pk))
    return screen


def screen_for_token(token: str, *, now: datetime | None = None) -> WallScreen | None:
    """The live screen whose cookie holds `token` (neither revoked nor expired), its last refresh
    noted at most once a minute; None otherwise."""
    if not token:
        return None
    now = now or timezone.now()
    screen = (WallScreen.objects.select_related("node").filter(token_hash=_token_hash(token), revoked_at__isnull=True,
                                                                expires_at__gt=now).first())
    if screen is not None and (screen.last_seen_at is None or now - screen.last_seen_at > timedelta(minutes=1)):
        WallScreen.objects.filter(pk=screen.pk).update(last_seen_at=now)
        screen.last_seen_at = now
    return screen
