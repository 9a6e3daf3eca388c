"""Benchmark: Excel in and out (issue 21) on the demo district, through the pages.

    .venv/bin/python bench/xlsx.py [--requests 320] [--pool 9500] [--rows 1000]
                                   [--database-url postgres://postgres@127.0.0.1:5432/sanshi_bench_xlsx]

1. a fresh database (dropped and created again: never point it at a database you keep), migrated,
   with the demo of `--requests` requests (`sanshi demo --requests N`), and `--pool` more received
   cases copied in bulk from the demo's (each with its request), so the pool's export is measured
   near the cap of 10,000 rows (building that many through the services takes an hour here);
2. out: signed in as demo-district (the whole district: the longest lists), each list's export as a
   user downloads it (GET …/export/ with the list's widest filter), twice (the first request of the
   process pays for loading openpyxl and warming caches): rows, bytes, seconds;
3. in: as demo-secretary, a sheet of `--rows` households in its community's grids, then a sheet of
   `--rows` residents in them (a phone each, an ID number every other row): the dry run (预检) and
   the import, seconds each, through the upload page.

The export cap (SANSHI_EXPORT_MAX_ROWS) is raised for the run so the biggest list is measured whole.
Figures are printed, then one JSON line."""

import argparse
import io
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def fresh_database(url: str) -> None:
    if not url.startswith("postgres"):
        return
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def timed(call):
    start = time.perf_counter()
    result = call()
    return result, time.perf_counter() - start


def sheet(headers, rows) -> io.BytesIO:
    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    ws.append(list(headers))
    for row in rows:
        ws.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    buffer.name = "bench.xlsx"
    return buffer


def copy_pool(n: int) -> None:
    """`n` received cases, each a copy of one of the demo's received cases with its first request."""
    from sanshi.cases.models import Case, Status
    from sanshi.intake.models import Request

    models = list(Request.objects.filter(case__status=Status.RECEIVED).select_related("case")[:50])
    if not models or n <= 0:
        return
    for start in range(0, n, 1000):
        batch = range(start, min(n, start + 1000))
        cases = Case.objects.bulk_create([Case(
            number=f"{models[i % len(models)].case.number}-B{i}", title=models[i % len(models)].case.title,
            status=Status.RECEIVED, grid=models[i % len(models)].case.grid, org=models[i % len(models)].case.org,
            suggestion=models[i % len(models)].case.suggestion) for i in batch])
        Request.objects.bulk_create([Request(
            tracking_code=f"B{i:09d}", title=m.title, text=m.text, channel=m.channel, sub_channel=m.sub_channel,
            grid=m.grid, address=m.address, reporter_name=m.reporter_name, reporter_phone=m.reporter_phone,
            reporter_phone_hash=m.reporter_phone_hash, received_at=m.received_at, suggestion=m.suggestion, case=case)
            for i, case in zip(batch, cases, strict=True) for m in [models[i % len(models)]]])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=320)
    parser.add_argument("--pool", type=int, default=9500)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/sanshi_bench_xlsx")
    parser.add_argument("--reuse", action="store_true", help="measure the database built by an earlier run")
    args = parser.parse_args()
    if not args.reuse:
        fresh_database(args.database_url)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "sanshi.settings.dev"
    os.environ["SANSHI_EXPORT_MAX_ROWS"] = "1000000"
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import override_settings
    from openpyxl import load_workbook

    from sanshi.accounts.models import User
    from sanshi.cases.models import Case
    from sanshi.imports.permissions import importable_grids
    from sanshi.imports.sheets import HOUSEHOLDS, RESIDENTS
    from sanshi.registry.models import Household, Person

    if not args.reuse:
        call_command("migrate", verbosity=0)
        _, built = timed(lambda: call_command("demo", requests=args.requests, verbosity=0))
        print(f"demo: {args.requests} requests, {Case.objects.count()} cases, built in {built:.0f} s")
        _, copied = timed(lambda: copy_pool(args.pool))
        print(f"pool: {args.pool} received cases copied in {copied:.0f} s")
    figures: dict = {"requests": args.requests, "cases": Case.objects.count(), "exports": {}, "imports": {}}

    with override_settings(ALLOWED_HOSTS=["*"], SANSHI_EXPORT_MAX_ROWS=1_000_000):
        assert settings.SANSHI_EXPORT_MAX_ROWS == 1_000_000
        client = Client()
        client.force_login(User.objects.get(username="demo-district"))
        for name, url in (("pool", "/staff/pool/export/"),
                          ("street joint meeting, all", "/staff/bodies/street_joint_meeting/export/?status=all"),
                          ("community review meeting, all",
                           "/staff/bodies/community_review_meeting/export/?status=all"),
                          ("grid neighbour meeting, all", "/staff/bodies/grid_neighbour_meeting/export/?status=all"),
                          ("meetings", "/staff/meetings/export/"),
                          ("ledger, all", "/staff/ledger/export/?status=all"),
                          ("visits, all", "/staff/visits/export/?status=all")):
            times = []
            for _run in range(2):  # the first in this process, then again (warm)
                response, seconds = timed(lambda url=url: client.get(url))
                assert response.status_code == 200, (url, response.status_code, response.get("Location"))
                times.append(seconds)
            rows = sum(1 for _ in load_workbook(io.BytesIO(response.content), read_only=True).active.iter_rows()) - 3
            figures["exports"][name] = {"rows": rows, "bytes": len(response.content),
                                        "first_seconds": round(times[0], 3), "seconds": round(times[1], 3)}
            print(f"export {name:32} {rows:6} rows {len(response.content) / 1024:8.0f} KiB  first {times[0]:6.2f} s,"
                  f" again {times[1]:6.2f} s ({rows / times[1] if times[1] else 0:,.0f} rows/s)")

        secretary = User.objects.get(username="demo-secretary")
        client.force_login(secretary)
        grids = [g.code for g in importable_grids(secretary).order_by("code")]
        run = time.strftime("%H%M%S")  # a new set of addresses each run (--reuse)
        homes = [(grids[i % len(grids)], f"测试花园{run}-{i // 100 + 1}栋{i % 100 + 1:03d}室", f"户主{i}", 1 + i % 5)
                 for i in range(args.rows)]
        people = [(grid, address, f"居民{i}", f"139{i:08d}", f"{run}1990{i % 10000:04d}{i % 1000:03d}X"
                   if i % 2 else "") for i, (grid, address, _h, _m) in enumerate(homes)]
        before = (Household.objects.count(), Person.objects.count())
        for kind, headers, rows in (("households", HOUSEHOLDS.headers, homes), ("residents", RESIDENTS.headers, people)):
            for op in ("check", "import"):
                upload = sheet(headers, rows)
                response, seconds = timed(lambda kind=kind, op=op, upload=upload: client.post(
                    f"/staff/imports/{kind}/", {"file": upload, "op": op}))
                assert response.status_code in (200, 302), (kind, op, response.status_code,
                                                            response.content.decode()[-2000:])
                figures["imports"][f"{kind} {op}"] = {"rows": len(rows), "seconds": round(seconds, 3)}
                print(f"import {kind:10} {op:6} {len(rows):6} rows {seconds:7.2f} s")
        after = (Household.objects.count(), Person.objects.count())
        figures["imports"]["written"] = {"households": after[0] - before[0], "residents": after[1] - before[1]}
        print(f"written: {after[0] - before[0]} households, {after[1] - before[1]} residents")
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
