"""Benchmark: the dashboard's API (GET /api/v1/kpis) on N cases and their events, on PostgreSQL
(issue 21, "Scale").

    .venv/bin/python bench/dashboard.py [--cases 1000000] [--requests 20] [--streets 10]
        [--communities 10] [--grids 10] [--database-url postgres://postgres@127.0.0.1:5432/sanshi_bench_dashboard]
        [--keep] [--reuse]

1. A throwaway database (dropped and created again, dropped at the end unless --keep), migrated.
2. A tree: one district, --streets streets, --communities communities each, --grids grids each.
3. N cases received over the last two years, spread over the grids, with one request each (30%
   12345 work orders) and the event rows the services write (open, triage, settle or
   deliberate/resolve/publicise, request_evaluation, close; 5% rated bad once and redone a level
   up; 3% still open) — written with COPY.
4. The figures' cache derived from those events by `sanshi.kpis.services.kpis_rebuild` (what
   `sanshi kpis rebuild` runs), timed; then ANALYZE.
5. GET /api/v1/kpis as a district officer (bearer token, in-process through Django's test client:
   middleware, auth, the body's queries and JSON, no network), --requests times at each level
   (district, then a random street, community and grid each time) for the last whole month and
   for the last twelve months (the default period, with its year before). p50 and p95 in ms. Then
   the dashboard page itself (/staff/dashboard/, the HTML with its charts, a year) at each level.
6. The worker's sweep: --sweep old open cases (received over the two years) closed now, one event
   each; the time `kpis_refresh` takes to read them (fresh and settled passes) and apply their
   changes to the day and month rows, in events a second. (It changes the database: with --reuse,
   a later run measures the cache with those cases closed.)

With --reuse an existing database of an earlier --keep run is migrated and used as it is (no
drop, no fill; --cases is read from it), so a million cases are written once and the cache
rebuilt and measured again after a change to the cache.

Figures are printed as they come, then one JSON line (the last line). Loopback only.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PASSWORD = "bench-dashboard-pass-1"  # noqa: S105 — a throwaway database's throwaway account
CHUNK = 20000  # cases per COPY round


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[max(0, min(len(values) - 1, round(q / 100 * (len(values) - 1))))] if values else float("nan")


def host_line() -> str:
    load = os.getloadavg()
    return f"host: {os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (other work may run)"


def prepare_database(url: str) -> None:
    dbname = url.rsplit("/", 1)[1]
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", dbname], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", dbname], check=True)


def drop_database(url: str) -> None:
    from django.db import connections

    connections.close_all()
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", url.rsplit("/", 1)[1]], check=True)


def build_tree(streets: int, communities: int, grids: int):
    from sanshi.registry.models import GridType, Level
    from sanshi.registry.services import node_create

    district = node_create(code="B", name="基准区", level=Level.DISTRICT)
    out = []  # (grid, community, street)
    for s in range(1, streets + 1):
        street = node_create(code=f"B{s:02d}", name=f"第{s}街道", level=Level.STREET, parent=district)
        for c in range(1, communities + 1):
            community = node_create(code=f"B{s:02d}C{c:02d}", name=f"第{s}街道第{c}社区", level=Level.COMMUNITY,
                                    parent=street, community_type="urban")
            for g in range(1, grids + 1):
                grid = node_create(code=f"{community.code}-G{g:02d}", name=f"{community.name}{g}网格",
                                   level=Level.GRID, parent=community, grid_type=GridType.RESIDENTIAL)
                out.append((grid, community, street))
    return district, out


def existing_tree():
    """The tree an earlier run built: the district and (grid, community, street) for each grid."""
    from sanshi.registry.models import Level, OrgNode

    nodes = {n.pk: n for n in OrgNode.objects.all()}
    district = next(n for n in nodes.values() if n.level == Level.DISTRICT)
    out = []
    for grid in sorted((n for n in nodes.values() if n.level == Level.GRID), key=lambda n: n.code):
        community = nodes[grid.parent_id]
        out.append((grid, community, nodes[community.parent_id]))
    return district, out


def fill(n_cases: int, grids: list, district, seed: int, say) -> int:
    """COPY n_cases cases, their requests and their events; returns how many event rows."""
    from django.db import connection
    from django.utils import timezone

    from sanshi.catalog.selectors import current_items
    from sanshi.catalog.services import ensure_catalogue

    ensure_catalogue()
    items = {}
    for item in current_items():
        items.setdefault(item.kind, []).append(item.pk)
    rng = random.Random(seed)
    now = timezone.now()
    level_of = {"HOUSEHOLD": "grid", "SHARED": "community", "PUBLIC": "street"}
    body_of = {"grid": "grid_neighbour_meeting", "community": "community_review_meeting",
               "street": "street_joint_meeting", "district": "district_joint_meeting"}
    up = {"grid": "community", "community": "street", "street": "district"}
    subs = [("hotline", "assigned")] * 3 + [("superior", "assigned"), ("grid_patrol", "patrol"), ("web", "resident"),
                                            ("walk_in", "resident"), ("grid_visit", "patrol"),
                                            ("qr_door_plate", "resident"), ("wechat_group", "resident")]
    case_cols = ("id", "number", "title", "status", "kind", "catalogue_item_id", "level", "body", "org_id", "grid_id",
                 "urgent", "escalations", "resolution", "result", "notice", "suggestion", "created_at", "updated_at",
                 "closed_at")
    request_cols = ("id", "tracking_code", "title", "text", "channel", "sub_channel", "grid_id", "address",
                    "reporter_name", "reporter_phone", "reporter_phone_hash", "received_at", "suggestion", "case_id",
                    "feedback")
    event_cols = ("id", "case_id", "action", "from_status", "to_status", "actor_label", "at", "note", "public_note",
                  "data")
    event_id = 0
    connection.ensure_connection()
    raw = connection.connection
    started = time.monotonic()
    for start in range(1, n_cases + 1, CHUNK):
        stop = min(n_cases + 1, start + CHUNK)
        cases, requests, events = [], [], []
        for pk in range(start, stop):
            grid, community, street = rng.choice(grids)
            kind = rng.choices(("PUBLIC", "SHARED", "HOUSEHOLD"), (25, 35, 40))[0]
            level = level_of[kind]
            org = {"grid": grid, "community": community, "street": street}[level]
            received = now - timedelta(seconds=rng.uniform(600, 730 * 86400))
            roll = rng.random()
            path = "open" if roll < 0.03 else "escalated" if roll < 0.08 else "closed"
            sub, channel = rng.choice(subs)
            t = received
            rows = [("open", "", "received", '{"request": %d, "channel": "%s"}' % (pk, channel))]
            rows.append(("triage", "received", "triaged",
                         json.dumps({"kind": kind, "level": level, "org": org.code})))
            if path != "open":
                if kind == "HOUSEHOLD":
                    rows.append(("settle", "triaged", "handling", "{}"))
                else:
                    rows += [("deliberate", "triaged", "deliberating", "{}"),
                             ("resolve", "deliberating", "handling", '{"redo": false}'),
                             ("publicise", "handling", "publicised", "{}")]
                rows.append(("request_evaluation", "publicised" if kind != "HOUSEHOLD" else "handling", "evaluating",
                             "{}"))
                if path == "escalated":
                    above = {"community": community, "street": street, "district": district}[up[level]]
                    rows += [("escalate", "evaluating", "deliberating",
                              json.dumps({"from_level": level, "to_level": up[level], "org": above.code,
                                          "from_org": org.code})),
                             ("resolve", "deliberating", "handling", '{"redo": true}'),
                             ("send_down", "handling", "handling",
                              json.dumps({"from_org": above.code, "to_org": org.code}))]
                    if kind != "HOUSEHOLD":
                        rows.append(("publicise", "handling", "publicised", "{}"))
                    rows.append(("request_evaluation", "publicised" if kind != "HOUSEHOLD" else "handling",
                                 "evaluating", "{}"))
                rows.append(("close", "evaluating", "closed", '{"round": 1}'))
            times = []
            for _row in rows:
                times.append(min(t, now - timedelta(seconds=60)))
                t += timedelta(hours=rng.uniform(1, 30))
            for (action, before, after, data), at in zip(rows, times, strict=True):
                event_id += 1
                events.append((event_id, pk, action, before, after, "工作人员", at, "", "", data))
            closed = path != "open"
            cases.append((pk, f"B{pk:010d}", "基准事项", "closed" if closed else "triaged", kind,
                          rng.choice(items[kind]), level, body_of[level], org.pk, grid.pk, False,
                          int(path == "escalated"), "", "", "", "{}", received, times[-1],
                          times[-1] if closed else None))
            requests.append((pk, f"T{pk:011d}"[-12:], "基准诉求", "基准诉求内容", channel, sub, grid.pk, "", "", "", "",
                             received, "{}", pk, ""))
        with raw.cursor() as cursor:
            for table, cols, data in (("cases_case", case_cols, cases), ("intake_request", request_cols, requests),
                                      ("cases_caseevent", event_cols, events)):
                with cursor.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                    for row in data:
                        copy.write_row(row)
        raw.commit()
        done = stop - 1
        rate = done / max(time.monotonic() - started, 1e-6)
        say(f"  {done:,}/{n_cases:,} cases, {event_id:,} events ({rate:,.0f} cases/s)")
    with connection.cursor() as cursor:
        for table in ("cases_case", "intake_request", "cases_caseevent"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
    return event_id


def last_whole_month(today: date) -> tuple[date, date]:
    end = today.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


def measure(levels: dict, n: int, say) -> dict:
    from django.test import Client
    from django.utils import timezone

    from sanshi.accounts.models import User

    client = Client()
    token = client.post("/api/v1/auth/token", {"username": "bench-district", "password": PASSWORD},
                        content_type="application/json")
    assert token.status_code == 200, token.content
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token.json()['token']}"}
    first, last = last_whole_month(timezone.localdate())
    periods = {"month": f"&from={first}&to={last}", "year": ""}
    rng = random.Random(7)
    out: dict = {}
    for level, nodes in levels.items():
        for period, query in periods.items():
            client.get(f"/api/v1/kpis?node={nodes[0].code}{query}", **auth)  # warm the connection and the plan
            times = []
            for _ in range(n):
                node = rng.choice(nodes)
                t0 = time.perf_counter()
                response = client.get(f"/api/v1/kpis?node={node.code}{query}", **auth)
                times.append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200, response.content[:300]
            r = {"p50_ms": round(percentile(times, 50), 1), "p95_ms": round(percentile(times, 95), 1),
                 "max_ms": round(max(times), 1), "n": n}
            out.setdefault(level, {})[period] = r
            say(f"  {level:<9} {period:<5} p50 {r['p50_ms']:7.1f} ms   p95 {r['p95_ms']:7.1f} ms   "
                f"max {r['max_ms']:7.1f} ms  ({n} requests)")
    page = Client()
    page.force_login(User.objects.get(username="bench-district"))
    for level, nodes in levels.items():
        page.get(f"/staff/dashboard/?node={nodes[0].code}")  # warm the templates and the plan
        times = []
        for _ in range(n):
            node = rng.choice(nodes)
            t0 = time.perf_counter()
            response = page.get(f"/staff/dashboard/?node={node.code}")
            times.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, response.status_code
        r = {"p50_ms": round(percentile(times, 50), 1), "p95_ms": round(percentile(times, 95), 1),
             "max_ms": round(max(times), 1), "n": n}
        out.setdefault("page", {})[level] = r
        say(f"  page {level:<9} year p50 {r['p50_ms']:7.1f} ms   p95 {r['p95_ms']:7.1f} ms   "
            f"max {r['max_ms']:7.1f} ms  (/staff/dashboard/, HTML with its SVG charts)")
    return out


def sweep(n: int, say) -> dict:
    """Close n of the open cases now (one close event each, COPY: received over the last two years, so
    their changes touch many days and months), then run the worker's sweep (`kpis_refresh`, both
    passes: `now` is put past the settle time) until it has read them. Checks that the district's
    month rows count n more closed cases."""
    from django.conf import settings
    from django.db import connection
    from django.db.models import Max, Sum
    from django.utils import timezone

    from sanshi.cases.models import Case, CaseEvent
    from sanshi.kpis.models import MonthFigures
    from sanshi.kpis.services import kpis_refresh
    from sanshi.registry.models import Level

    closed_before = MonthFigures.objects.filter(node__level=Level.DISTRICT).aggregate(c=Sum("closed"))["c"] or 0
    ids = list(Case.objects.filter(status="triaged").order_by("?").values_list("pk", flat=True)[:n])
    first = (CaseEvent.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
    now = timezone.now()
    raw = connection.connection
    with raw.cursor() as cursor, cursor.copy("COPY cases_caseevent (id, case_id, action, from_status, to_status, "
                                             "actor_label, at, note, public_note, data) FROM STDIN") as copy:
        for i, pk in enumerate(ids):
            copy.write_row((first + i, pk, "close", "evaluating", "closed", "工作人员", now, "", "", '{"round": 1}'))
    raw.commit()
    with connection.cursor() as cursor:
        cursor.execute("SELECT setval(pg_get_serial_sequence('cases_caseevent', 'id'), (SELECT MAX(id) FROM "
                       "cases_caseevent))")
    Case.objects.filter(pk__in=ids).update(status="closed", closed_at=now)
    later = now + timedelta(seconds=settings.SANSHI_KPI_SETTLE_SECONDS + 1)
    t0 = time.monotonic()
    read = rounds = 0
    while k := kpis_refresh(now=later):
        read, rounds = read + k, rounds + 1
    seconds = time.monotonic() - t0
    closed_after = MonthFigures.objects.filter(node__level=Level.DISTRICT).aggregate(c=Sum("closed"))["c"] or 0
    assert closed_after - closed_before == len(ids), (closed_before, closed_after, len(ids))
    out = {"cases": len(ids), "events_read": read, "rounds": rounds, "seconds": round(seconds, 1),
           "events_per_s": round(read / max(seconds, 1e-6)), "batch": settings.SANSHI_KPI_BATCH}
    say(f"  {len(ids):,} old open cases closed now: the sweep read {read:,} events (each twice: fresh, settled) in "
        f"{rounds} rounds of up to {settings.SANSHI_KPI_BATCH}, {seconds:.1f} s = {out['events_per_s']:,} events/s; "
        f"the district's month rows count {len(ids):,} more closed")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/sanshi_bench_dashboard")
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=20, help="requests per level and period")
    parser.add_argument("--streets", type=int, default=10)
    parser.add_argument("--communities", type=int, default=10, help="per street")
    parser.add_argument("--grids", type=int, default=10, help="per community")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--sweep", type=int, default=2000,
                        help="then close this many old open cases and time the worker's sweep (0: skip)")
    parser.add_argument("--reuse", action="store_true",
                        help="use the database an earlier --keep run left (implies --keep): migrate, rebuild, measure")
    parser.add_argument("--no-rebuild", action="store_true",
                        help="with --reuse: measure the cache as it stands (to compare two versions of the reads)")
    args = parser.parse_args()
    os.environ.update({"DATABASE_URL": args.database_url, "DJANGO_SETTINGS_MODULE": "sanshi.settings.dev",
                       "DEBUG": "false", "LOG_LEVEL": "WARNING", "SANSHI_RATE_USER": "1000000/min",
                       "SANSHI_RATE_SIGN_IN": "1000/min"})

    def say(line: str) -> None:
        print(line, flush=True)

    say(host_line())
    if args.reuse:
        args.keep = True
        say(f"reusing database {args.database_url.rsplit('/', 1)[1]} …")
    else:
        say(f"fresh database {args.database_url.rsplit('/', 1)[1]} …")
        prepare_database(args.database_url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from sanshi.accounts.models import User
    from sanshi.cases.models import Case, CaseEvent
    from sanshi.kpis.models import CaseFact, DayFigures
    from sanshi.kpis.services import kpis_rebuild
    from sanshi.registry.models import Role, StaffRole

    result: dict = {"cases": args.cases}
    try:
        t0 = time.monotonic()
        call_command("migrate", "-v", "0")
        say(f"migrated in {time.monotonic() - t0:.0f} s")
        t0 = time.monotonic()
        if args.reuse:
            district, grids = existing_tree()
            result.update(cases=Case.objects.count(), events=CaseEvent.objects.count())
            say(f"found: {result['cases']:,} cases, {result['events']:,} events, {len(grids)} grids")
        else:
            district, grids = build_tree(args.streets, args.communities, args.grids)
            user = User.objects.create_user(username="bench-district", password=PASSWORD, display_name="基准区干部")
            StaffRole.objects.create(user=user, node=district, role=Role.DISTRICT_OFFICER)
            say(f"tree: 1 district, {args.streets} streets, {args.streets * args.communities} communities, "
                f"{len(grids)} grids ({time.monotonic() - t0:.0f} s)")
            t0 = time.monotonic()
            say(f"filling {args.cases:,} cases with COPY …")
            events = fill(args.cases, grids, district, args.seed, say)
            result.update(events=events, fill_s=round(time.monotonic() - t0, 1))
            say(f"filled: {args.cases:,} cases, {events:,} events in {result['fill_s']} s")
        t0 = time.monotonic()
        if args.reuse and args.no_rebuild:
            say("measuring the cache as it stands (--no-rebuild) …")
            rebuilt = {"facts": CaseFact.objects.count()}
        else:
            say("deriving the figures' cache from the events (kpis_rebuild) …")
            rebuilt = kpis_rebuild(progress=lambda line: say(f"  [{time.monotonic() - t0:6.0f} s] {line}"),
                                   batch=10000)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
            cursor.execute("SELECT pg_database_size(current_database())")
            size = cursor.fetchone()[0]
        result.update(rollup_s=round(time.monotonic() - t0, 1), facts=rebuilt["facts"],
                      day_rows=DayFigures.objects.count(), month_rows=rebuilt.get("month_rows"),
                      database_mb=round(size / 2**20))
        say(f"cache: {rebuilt['facts']:,} case facts, {result['day_rows']:,} day rows, {result['month_rows']} month "
            f"rows in {result['rollup_s']} s; "
            f"database {result['database_mb']:,} MB")
        streets = [street for _grid, _community, street in grids]
        communities = [community for _grid, community, _street in grids]
        levels = {"district": [district], "street": list({s.pk: s for s in streets}.values()),
                  "community": list({c.pk: c for c in communities}.values()),
                  "grid": [grid for grid, _community, _street in grids]}
        say(f"GET /api/v1/kpis, {args.requests} requests per level and period (month: last whole month; "
            "year: last twelve months, with the year before):")
        result["api"] = measure(levels, args.requests, say)
        result["page"] = result["api"].pop("page")
        result["p95_max_ms"] = max(r["p95_ms"] for by in result["api"].values() for r in by.values())
        if args.sweep:
            say("the worker's sweep after new events:")
            result["sweep"] = sweep(args.sweep, say)
        result["load"] = [round(x, 2) for x in os.getloadavg()]
        result["at"] = datetime.now().astimezone().isoformat(timespec="seconds")
    finally:
        if not args.keep:
            drop_database(args.database_url)
            say("database dropped")
    print(json.dumps(result, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
