"""Benchmark: our job queue against django-tasks' database backend, on PostgreSQL (issue 19, item 2).

    .venv/bin/python bench/queues.py [--jobs 2000] [--rate 20] [--seconds 10] [--intervals 1.0,0.1]
                                     [--database-url postgres://…/sanshi_bench_queue]

Ours is `core/jobs.py` run by `sanshi worker` (leases, back-off, per-kind attempts, the slow lane,
SKIP LOCKED claims, a job's writes committed with its done mark). The other is django-tasks (the
backport of Django 6's `django.tasks`) with the database backend of `django-tasks-db`, run by its
`db_worker` command. It is not a project dependency: install both into the venv to compare
(`.venv/bin/pip install django-tasks django-tasks-db`); without them only ours is measured.

For each queue, on a fresh database, one worker process, the same poll interval for both:
1. enqueue cost inside a request's transaction — the enqueue call alone, and the whole
   transaction with its commit (`--jobs` transactions, one job each);
2. throughput: one worker drains those `--jobs` queued no-op jobs (jobs/s between the first and
   the last handler start);
3. latency, enqueue to run: a job every 1/`--rate` s for `--seconds` s while the worker idles
   between them; p50/p99 of (handler start − the enqueueing transaction's last statement), per
   poll interval in `--intervals`;
4. a worker killed (SIGKILL) in the middle of a job, then started again: does the job run again
   (ours: after its lease, shortened to 5 s here), or stay claimed for ever?
5. the worker's database backends terminated (pg_terminate_backend on its application_name)
   while it idles: is the process still alive, and does a job queued afterwards run?

Figures are printed, then one JSON line. Loopback only; every loop is bounded in count and time.
(Named queues.py, not queue.py: a queue.py in this folder would stand in for the standard library's
`queue` module in every script run from it — bench/intake.py's thread pool imports it.)
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = ROOT / ".venv" / "bin"
NOOP, SLOW = "bench.noop", "bench.slow"


def percentile(values, q):
    values = sorted(values)
    if not values:
        return float("nan")
    return values[max(0, min(len(values) - 1, round(q / 100 * (len(values) - 1))))]


def tasks_installed() -> bool:
    try:
        import django_tasks  # noqa: F401
        import django_tasks_db  # noqa: F401
    except ImportError:
        return False
    return True


def setup_django() -> None:
    """The development settings on the bench's database, plus django-tasks' apps when installed."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sanshi.settings.dev")
    import django
    from django.conf import settings

    if tasks_installed():
        settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "django_tasks", "django_tasks_db"]
        settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    django.setup()
    define_handlers()


# ---- the work: the same three functions under each queue -------------------------------------

def bench_noop(t: float = 0.0) -> dict:
    """A no-op that reports when it started (ours stores it as the job's result, django-tasks as the
    task's return value: no extra write)."""
    return {"started": time.time(), "t": t}


def bench_slow(seconds: float = 3.0) -> dict:
    time.sleep(seconds)
    return {"started": time.time()}


def define_handlers() -> None:
    from sanshi.core.jobs import job_handler

    noop, slow = getattr(bench_noop, "func", bench_noop), getattr(bench_slow, "func", bench_slow)
    job_handler(NOOP)(lambda payload: noop(payload.get("t", 0.0)))
    job_handler(SLOW)(lambda payload: slow(payload.get("seconds", 3.0)))
    if tasks_installed():
        from django_tasks import task

        # the task path is "__main__.bench_noop": the worker process is this script too
        globals()["bench_noop"] = task()(bench_noop)
        globals()["bench_slow"] = task()(bench_slow)


class Ours:
    name = "ours"

    def enqueue_noop(self, t: float) -> None:
        from sanshi.core.jobs import enqueue

        enqueue(NOOP, {"t": t})

    def enqueue_slow(self) -> None:
        from sanshi.core.jobs import enqueue

        enqueue(SLOW, {"seconds": 3.0})

    def started(self) -> list[tuple[float, float]]:
        from sanshi.core.models import Job

        return [(r["started"], r["t"]) for r in Job.objects.filter(kind=NOOP, status="done")
                .values_list("result", flat=True)]

    def done(self, kind=NOOP) -> int:
        from sanshi.core.models import Job

        return Job.objects.filter(kind=kind, status="done").count()

    def slow_state(self) -> str:
        from sanshi.core.models import Job

        job = Job.objects.filter(kind=SLOW).first()
        if job is None:
            return "missing"
        return "done" if job.status == "done" else ("claimed" if job.attempts else "queued")

    def clear(self) -> None:
        from sanshi.core.models import Job

        Job.objects.all().delete()


class Tasks:
    name = "django-tasks"

    def enqueue_noop(self, t: float) -> None:
        globals()["bench_noop"].enqueue(t)

    def enqueue_slow(self) -> None:
        globals()["bench_slow"].enqueue(3.0)

    def _rows(self, func: str):
        from django_tasks_db.models import DBTaskResult

        return DBTaskResult.objects.filter(task_path=f"__main__.{func}")

    def started(self) -> list[tuple[float, float]]:
        return [(r["started"], r["t"]) for r in self._rows("bench_noop").filter(status="SUCCESSFUL")
                .values_list("return_value", flat=True)]

    def done(self, kind=NOOP) -> int:
        return self._rows("bench_noop" if kind == NOOP else "bench_slow").filter(status="SUCCESSFUL").count()

    def slow_state(self) -> str:
        row = self._rows("bench_slow").first()
        if row is None:
            return "missing"
        return {"SUCCESSFUL": "done", "RUNNING": "claimed", "READY": "queued"}.get(row.status, row.status.lower())

    def clear(self) -> None:
        from django_tasks_db.models import DBTaskResult

        DBTaskResult.objects.all().delete()


# ---- the worker process -------------------------------------------------------------------------

def serve(queue: str, interval: float) -> None:
    """`--serve`: this script as the worker, so the handlers above are registered in it."""
    setup_django()
    from django.core.management import call_command

    if queue == "ours":
        call_command("worker")
    else:
        call_command("db_worker", "--interval", str(interval), "--no-startup-delay", "--no-reload", "-v", "0")


class Worker:
    def __init__(self, queue: str, interval: float, app: str, log_dir: str, **env: str):
        self.app = app
        self.log = open(Path(log_dir) / f"{app}.log", "a")  # noqa: SIM115 — closed in stop()
        environment = {**os.environ, "PGAPPNAME": app, "SANSHI_WORKER_POLL_SECONDS": str(interval), **env}
        self.process = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--serve", queue,
                                         "--interval", str(interval)], env=environment, cwd=ROOT,
                                        stdout=self.log, stderr=subprocess.STDOUT)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.log.close()


def wait_for(condition, seconds: float, step: float = 0.05) -> bool:
    for _ in range(int(seconds / step)):  # bounded in count
        if condition():
            return True
        time.sleep(step)
    return condition()


def backends(app: str) -> int:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [app])
        return cur.fetchone()[0]


def terminate(app: str) -> int:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = %s "
                    "AND pid <> pg_backend_pid()", [app])
        return cur.fetchone()[0]


# ---- the experiments ------------------------------------------------------------------------------

def enqueue_cost(queues, n: int) -> dict:
    """`n` transactions per queue, one job each, the queues taking turns (so a change in the host's
    load falls on both alike)."""
    from django.db import transaction

    calls: dict = {key: [] for key, _ in queues}
    txs: dict = {key: [] for key, _ in queues}
    for _ in range(n):
        for key, q in queues:
            t0 = time.perf_counter()
            with transaction.atomic():
                t1 = time.perf_counter()
                q.enqueue_noop(0.0)
                calls[key].append((time.perf_counter() - t1) * 1e6)
            txs[key].append((time.perf_counter() - t0) * 1e6)
    return {key: {"call_p50_us": percentile(calls[key], 50), "call_p99_us": percentile(calls[key], 99),
                  "tx_p50_us": percentile(txs[key], 50), "tx_p99_us": percentile(txs[key], 99)}
            for key, _ in queues}


def throughput(q, n: int) -> dict:
    ok = wait_for(lambda: q.done() >= n, 600, step=0.25)
    starts = sorted(s for s, _ in q.started())
    span = starts[-1] - starts[0] if len(starts) > 1 else float("nan")
    return {"jobs": len(starts), "complete": ok, "seconds": span, "per_s": (len(starts) - 1) / span if span else 0}


def latency(q, rate: float, seconds: float) -> dict:
    from django.db import transaction

    q.clear()  # only this run's jobs are read back
    n = int(rate * seconds)
    next_at = time.perf_counter()
    for _ in range(n):
        while time.perf_counter() < next_at:
            time.sleep(0.001)
        with transaction.atomic():
            q.enqueue_noop(time.time())  # the transaction's last statement: commit follows
        next_at += 1 / rate
    wait_for(lambda: q.done() >= n, 60, step=0.1)
    lags = [(started - t) * 1000 for started, t in q.started()]
    return {"n": len(lags), "p50_ms": percentile(lags, 50), "p99_ms": percentile(lags, 99),
            "max_ms": max(lags) if lags else float("nan")}


def crash(queue: str, q, log_dir: str) -> dict:
    """SIGKILL the worker in the middle of a 3 s job; start another; does the job run again?"""
    q.clear()
    q.enqueue_slow()
    env = {"SANSHI_JOB_LEASE_SECONDS": "5"}
    first = Worker(queue, 0.2, f"bench-queue-{queue}-crash1", log_dir, **env)
    try:
        claimed = wait_for(lambda: q.slow_state() == "claimed", 60)
        time.sleep(0.5)  # in the middle of the job
        first.kill()
    finally:
        first.stop()
    killed_at = time.monotonic()
    second = Worker(queue, 0.2, f"bench-queue-{queue}-crash2", log_dir, **env)
    try:
        rerun = wait_for(lambda: q.slow_state() == "done", 30, step=0.1)
        after = time.monotonic() - killed_at
    finally:
        second.stop()
    return {"claimed": claimed, "ran_again": rerun, "seconds": round(after, 1) if rerun else None,
            "state": q.slow_state()}


def terminated(queue: str, q, log_dir: str) -> dict:
    """Terminate the idle worker's backends; is it alive 3 s later, and does a new job run?"""
    q.clear()
    app = f"bench-queue-{queue}-term"
    worker = Worker(queue, 0.2, app, log_dir)
    try:
        connected = wait_for(lambda: backends(app) >= 1, 60)
        killed = terminate(app)
        time.sleep(3)
        alive = worker.process.poll() is None
        from django.db import transaction

        with transaction.atomic():
            q.enqueue_noop(time.time())
        ran = wait_for(lambda: q.done() >= 1, 15, step=0.1)
    finally:
        worker.stop()
    return {"connected": connected, "terminated": killed, "alive": alive, "ran_after": ran,
            "exit_code": worker.process.returncode if not alive else None}


def prepare_database(url: str) -> None:
    dbname = url.rsplit("/", 1)[1]
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", dbname], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", dbname], check=True)


def host_line() -> str:
    load = os.getloadavg()
    return f"host: {os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (other work may run)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/sanshi_bench_queue")
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=20.0, help="jobs per second in the latency run")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each latency run")
    parser.add_argument("--intervals", default="1.0,0.1", help="worker poll intervals to measure latency at")
    parser.add_argument("--serve", choices=["ours", "tasks"], help=argparse.SUPPRESS)
    parser.add_argument("--interval", type=float, default=1.0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.update({"DATABASE_URL": args.database_url, "DJANGO_SETTINGS_MODULE": "sanshi.settings.dev",
                       "DEBUG": "false", "LOG_LEVEL": "WARNING"})
    if args.serve:
        serve(args.serve, args.interval)
        return 0
    intervals = [float(x) for x in args.intervals.split(",") if x]
    print(host_line(), flush=True)
    print(f"fresh database {args.database_url.rsplit('/', 1)[1]} …", flush=True)
    prepare_database(args.database_url)
    setup_django()
    from django.core.management import call_command

    call_command("migrate", "-v", "0")
    queues = [("ours", Ours())] + ([("tasks", Tasks())] if tasks_installed() else [])
    if len(queues) == 1:
        print("django-tasks and django-tasks-db are not installed: measuring ours only")
    log_dir = tempfile.mkdtemp(prefix="sanshi-bench-queue-")
    results: dict = {}
    for _, q in queues:
        q.clear()
    print(f"enqueueing {args.jobs} jobs on each queue, one transaction each, taking turns …", flush=True)
    costs = enqueue_cost(queues, args.jobs)
    for key, q in queues:
        r: dict = {"latency": {}}
        print(f"\n[{q.name}]", flush=True)
        r["enqueue"] = e = costs[key]
        print(f"  enqueue in a transaction: call p50 {e['call_p50_us']:.0f} µs, p99 {e['call_p99_us']:.0f} µs; "
              f"whole transaction with commit p50 {e['tx_p50_us']:.0f} µs, p99 {e['tx_p99_us']:.0f} µs", flush=True)
        for i, interval in enumerate(intervals):
            app = f"bench-queue-{key}-{interval:g}"
            worker = Worker(key, interval, app, log_dir)
            try:
                if i == 0:
                    r["throughput"] = t = throughput(q, args.jobs)
                    print(f"  throughput, one worker draining {args.jobs} queued jobs: {t['per_s']:.0f} jobs/s "
                          f"({t['jobs']} in {t['seconds']:.2f} s)", flush=True)
                else:
                    wait_for(lambda app=app: backends(app) >= 1, 60)  # started
                    time.sleep(1.0)  # and idle
                r["latency"][f"{interval:g}"] = lat = latency(q, args.rate, args.seconds)
                print(f"  enqueue → run at a {interval:g} s poll interval: p50 {lat['p50_ms']:.0f} ms, "
                      f"p99 {lat['p99_ms']:.0f} ms, max {lat['max_ms']:.0f} ms ({lat['n']} jobs at {args.rate:g}/s)",
                      flush=True)
            finally:
                worker.stop()
        r["crash"] = c = crash(key, q, log_dir)
        print(f"  killed in the middle of a job, then restarted: "
              f"{'ran again after %.1f s' % c['seconds'] if c['ran_again'] else 'never ran again: ' + c['state']}",
              flush=True)
        r["terminated"] = d = terminated(key, q, log_dir)
        print(f"  its {d['terminated']} backend(s) terminated: "
              f"{'still running' if d['alive'] else 'the process exited (code %s)' % d['exit_code']}; "
              f"a job queued after {'ran' if d['ran_after'] else 'did not run'}", flush=True)
        results[key] = r
    print(f"\n{host_line()}")
    print(f"worker logs: {log_dir}")
    summary = {"bench": "queue", "jobs": args.jobs, "load": round(os.getloadavg()[0], 2)}
    for key, r in results.items():
        summary[key] = {
            "enqueue_call_p50_us": round(r["enqueue"]["call_p50_us"]), "enqueue_tx_p50_us": round(r["enqueue"]["tx_p50_us"]),
            "enqueue_tx_p99_us": round(r["enqueue"]["tx_p99_us"]),
            "throughput_per_s": round(r["throughput"]["per_s"]),
            **{f"latency_{k}s_p50_ms": round(v["p50_ms"]) for k, v in r["latency"].items()},
            **{f"latency_{k}s_p99_ms": round(v["p99_ms"]) for k, v in r["latency"].items()},
            "killed_job_ran_again": r["crash"]["ran_again"], "survives_terminated_backends": r["terminated"]["alive"],
        }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
