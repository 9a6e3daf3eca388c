"""Chaos bench: kill things under bounded load and count what survives (issue 19, item 4).

    .venv/bin/python bench/chaos.py [--seconds 20] [--rate 20] [--clients 4] [--only web,worker,…]

Everything runs against a throw-away PostgreSQL cluster this script makes itself (initdb in a
temporary folder, its own port and socket folder, removed at the end) — never the shared server
on 5432, which this bench does not touch. On it: uWSGI with uwsgi.ini on a loopback port (2
processes), `sanshi worker` (its job lease shortened to 10 s so a killed job runs again within the
bench), and a webhook receiver in this process that records every `X-Sanshi-Delivery`. A small
supervisor stands in for systemd's `Restart=always` (deploy/): a web server or worker that exits
is started again 2 s later (the web server's whole process group is killed first, as systemd
kills a unit's control group).

Each experiment runs `--seconds` of load — `--clients` threads posting intake requests
(POST /api/v1/requests, each text with its own marker) at `--rate` requests/s in all — while one
urgent clock falls due every second; the fault comes 5 s in. A client does what a hotline system
should (docs/operations.md, "Retries"): it sends each request with its own `Idempotency-Key` and,
when it gets no answer, a 503 or a 409, sends it again with the same key, `--retry-delay` s later
(not the 30 s of `Retry-After`: the bench is short), at most `--retries` times (0: no key, no
retry — the issue's original experiment).
- baseline: nothing;
- web: kill -9 of the uWSGI master;
- worker: kill -9 of `sanshi worker` (mid-job when one is running);
- backend: kill -9 of one PostgreSQL backend (one of the worker's) — PostgreSQL then ends every
  backend and recovers, so the web server's connections go too;
- pg-restart: `pg_ctl restart -m fast` of the throw-away cluster.
Then the bench waits (bounded) for the worker to catch up and counts:
- requests: sent, acknowledged (a 201 in the end), of those on a retry, lost (acknowledged but
  not stored), duplicated (one marker stored twice), stored without a 201 (given up after its
  retries), and over all attempts: retries, 503s, other 5xx (a 500 would be a bug), refused (no
  connection, or cut mid-answer); web recovery (fault → the first 201 after the last failed
  attempt, 0 when none failed);
- clocks: due, breached, worst lag (breached − due), notifications lost / duplicated (per clock:
  none / more than one), webhook ids (distinct `X-Sanshi-Delivery` per clock: more than one is the
  issue's bug), webhook resends (one id received twice: the at-least-once send a receiver drops),
  worker recovery (fault → the first breach written after it).
A table, then one JSON line. Loopback only; the load and every wait are bounded in count and time.
"""

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
EXPERIMENTS = ("baseline", "web", "worker", "backend", "pg-restart")
FAULT_AT = 5.0
GRID = "CH1C1-G01"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- the throw-away PostgreSQL cluster ------------------------------------------------------------

def pg_bin(name: str) -> str:
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(candidate)
    found = shutil.which(name)
    if not found:
        raise SystemExit(f"{name} not found: install PostgreSQL's server package")
    return found


class Cluster:
    """initdb in a temporary folder (owned by the `postgres` user when run as root), on its own
    port and socket folder; stopped and removed by `close()`."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="sanshi-chaos-pg-"))
        self.data, self.log = self.dir / "data", self.dir / "postgres.log"
        self.port = free_port()
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run(pg_bin("initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                  "--locale=C.UTF-8")
        self.start()

    def _run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([*self.as_user, *command], check=check, capture_output=True, text=True, timeout=120)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=60"
        self._run(pg_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")

    def restart(self) -> None:  # -l: the new postmaster must not hold this process's pipes open
        self._run(pg_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-m", "fast", "-w", "restart")

    def url(self, dbname: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{dbname}"

    def psql(self, sql: str, dbname: str = "postgres") -> str:
        return subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", dbname,
                               "-Atc", sql], check=True, capture_output=True, text=True, timeout=60).stdout.strip()

    def close(self) -> None:
        self._run(pg_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.dir, ignore_errors=True)


# ---- the processes, supervised as systemd would -----------------------------------------------------

class Supervised:
    """A process started again `restart_after` s after it exits (Restart=always, RestartSec=2)."""

    def __init__(self, name: str, command: list, env: dict, log: Path, restart_after: float = 2.0):
        self.name, self.command, self.env, self.log = name, command, env, log
        self.restart_after = restart_after
        self.lock = threading.Lock()
        self.stopping = False
        self.restarts = 0
        self.process = self._start()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _start(self) -> subprocess.Popen:
        with open(self.log, "a") as out:
            return subprocess.Popen(self.command, env=self.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True)

    def _watch(self) -> None:
        while not self.stopping:
            if self.process.poll() is not None and not self.stopping:
                with self.lock:
                    try:  # what is left of the unit (uWSGI's workers after their master): killed, as systemd does
                        os.killpg(self.process.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                    time.sleep(self.restart_after)
                    if not self.stopping:
                        self.process = self._start()
                        self.restarts += 1
            time.sleep(0.05)

    def kill9(self) -> None:
        with self.lock:
            self.process.send_signal(signal.SIGKILL)

    def stop(self) -> None:
        self.stopping = True
        self.thread.join(5)
        with self.lock:
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGTERM)
                try:
                    self.process.wait(30)
                except subprocess.TimeoutExpired:
                    pass
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


# ---- the webhook receiver ----------------------------------------------------------------------------

class Receiver:
    def __init__(self):
        self.received: list[tuple[str, str]] = []  # (delivery id, subject)
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 — http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    subject = json.loads(body).get("subject", "")
                except ValueError:
                    subject = ""
                with receiver.lock:
                    receiver.received.append((self.headers.get("X-Sanshi-Delivery", ""), subject))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# ---- the load ------------------------------------------------------------------------------------------

RETRIED = ("refused", "503", "409")  # no answer, the database down, the same key still being handled


class Load:
    """`clients` threads posting intake requests at `rate` requests/s in all, for `seconds`; each
    request sent again with its Idempotency-Key up to `retries` times."""

    def __init__(self, port: int, tag: str, rate: float, seconds: float, clients: int, retries: int = 0,
                 retry_delay: float = 1.0):
        self.port, self.tag, self.rate, self.seconds, self.clients = port, tag, rate, seconds, clients
        self.retries, self.retry_delay = retries, retry_delay
        self.results: list[tuple[str, str, int]] = []  # (marker, last outcome, retries)
        self.attempts: list[tuple[float, str]] = []  # (when answered, outcome: 201 | 503 | 5xx | refused | 4xx)
        self.lock = threading.Lock()

    def post(self, marker: str, key: str = "") -> str:
        body = json.dumps({"text": f"楼道的灯坏了好几天，晚上看不见路，请尽快修理（{marker}）", "grid": GRID,
                           "channel": "web"}, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", **({"Idempotency-Key": key} if key else {})}
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            conn.request("POST", "/api/v1/requests", body, headers)
            status = conn.getresponse().status
            conn.close()
        except OSError:
            outcome = "refused"
        except http.client.HTTPException:
            outcome = "refused"  # the connection was cut mid-answer
        else:
            outcome = str(status) if status in (201, 503, 409) else ("5xx" if status >= 500 else str(status))
        with self.lock:
            self.attempts.append((time.monotonic(), outcome))
        return outcome

    def client(self, number: int, start: float) -> None:
        per_client = self.rate / self.clients
        total = int(per_client * self.seconds)
        for n in range(total):
            delay = start + n / per_client - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            marker = f"chaos-{self.tag}-{number}-{n}"
            key = f"{marker}-key" if self.retries else ""
            outcome, tries = self.post(marker, key), 0
            while outcome in RETRIED and tries < self.retries:
                time.sleep(self.retry_delay)
                outcome, tries = self.post(marker, key), tries + 1
            with self.lock:
                self.results.append((marker, outcome, tries))

    def run(self) -> threading.Thread:
        start = time.monotonic()
        threads = [threading.Thread(target=self.client, args=(i, start), daemon=True) for i in range(self.clients)]
        for t in threads:
            t.start()

        def join():
            for t in threads:
                t.join(self.seconds + 60 + self.retries * (self.retry_delay + 10))

        joiner = threading.Thread(target=join, daemon=True)
        joiner.start()
        return joiner


# ---- the world on the throw-away database -------------------------------------------------------------

def django_setup(url: str, receiver_url: str) -> None:
    os.environ.update({"DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "sanshi.settings.dev", "DEBUG": "false",
                       "LOG_LEVEL": "WARNING"})
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "-v", "0")
    from sanshi.accounts.models import User
    from sanshi.catalog.services import ensure_catalogue
    from sanshi.core.models import WebhookEndpoint
    from sanshi.registry.models import Role, StaffRole
    from sanshi.registry.services import node_create

    ensure_catalogue()
    district = node_create(code="CH", name="混沌区", level="district")
    street = node_create(code="CH1", name="混沌街道", level="street", parent=district)
    community = node_create(code="CH1C1", name="混沌社区", level="community", parent=street)
    node_create(code=GRID, name="混沌网格", level="grid", parent=community)
    operator = User.objects.create_user("chaos-operator", password="chaos-pass-2026")  # noqa: S106 — bench only
    StaffRole.objects.create(user=operator, node=street, role=Role.OPERATOR)
    WebhookEndpoint.objects.create(name="混沌接收方", url=receiver_url, kinds="clock_breach")


def db_call(func, seconds: float = 60):
    """Run an ORM call from this process, riding out the faults this bench itself causes."""
    from django.db import close_old_connections, connection

    for _ in range(int(seconds / 0.5)):
        try:
            return func()
        except Exception:  # noqa: BLE001 — the database is restarting; the bench waits for it
            close_old_connections()
            try:
                connection.close()
            except Exception:  # noqa: BLE001, S110
                pass
            time.sleep(0.5)
    return func()


def plant_clocks(tag: str, seconds: float) -> list[str]:
    """One urgent case per second of the experiment, its `arrive` clock falling due then."""
    from django.utils import timezone

    from sanshi.cases.models import Case, Status
    from sanshi.rapid.models import Clock, ClockName
    from sanshi.registry.models import OrgNode

    grid = OrgNode.objects.get(code=GRID)
    start = timezone.now() + timedelta(seconds=1)
    cases = [Case(number=f"CH-{tag}-{i}", title="混沌探针", status=Status.HANDLING, kind="SHARED", grid=grid,
                  org=grid.parent, urgent=True) for i in range(int(seconds))]
    Case.objects.bulk_create(cases)
    Clock.objects.bulk_create([Clock(case=c, name=ClockName.ARRIVE, started_at=start - timedelta(minutes=5),
                                     due_at=start + timedelta(seconds=i)) for i, c in enumerate(cases)])
    return [c.number for c in cases]


def settled(numbers: list[str], receiver: Receiver) -> bool:
    """Every clock breached, no leased job left to run again, a webhook received for every clock."""
    from sanshi.core.models import Job
    from sanshi.rapid.models import Clock

    if Clock.objects.filter(case__number__in=numbers, breached_at__isnull=True).exists():
        return False
    if Job.objects.filter(status="pending", attempts__gt=0).exists():  # a leased job not yet run again
        return False
    with receiver.lock:
        seen = {s for _, s in receiver.received}
    return all(any(n in s for s in seen) for n in numbers)


def count_requests(load: Load, fault_at: float) -> dict:
    from sanshi.intake.models import Request

    stored: dict[str, int] = {}
    for text in Request.objects.filter(text__contains=f"chaos-{load.tag}-").values_list("text", flat=True):
        marker = text.rsplit("（", 1)[-1].rstrip("）")
        stored[marker] = stored.get(marker, 0) + 1
    acked = acked_on_retry = lost = unanswered = 0
    for marker, outcome, tries in load.results:
        acked += outcome == "201"
        acked_on_retry += outcome == "201" and tries > 0
        lost += outcome == "201" and not stored.get(marker)
        unanswered += outcome != "201" and bool(stored.get(marker))
    attempts = {"503": 0, "5xx": 0, "refused": 0, "other": 0}
    for _, outcome in load.attempts:
        if outcome != "201":
            attempts[outcome if outcome in attempts else "other"] += 1
    after = sorted((when, outcome) for when, outcome in load.attempts if when >= fault_at)
    last_failed = max((when for when, outcome in after if outcome != "201"), default=None)
    if last_failed is None:
        recovery: float | None = 0.0
    else:
        first_ok = next((when for when, outcome in after if outcome == "201" and when > last_failed), None)
        recovery = None if first_ok is None else round(first_ok - fault_at, 1)
    return {"sent": len(load.results), "acked": acked, "acked_on_retry": acked_on_retry, "lost": lost,
            "duplicated": sum(1 for n in stored.values() if n > 1), "stored_unanswered": unanswered,
            "retries": sum(tries for _, _, tries in load.results), "503": attempts["503"], "5xx": attempts["5xx"],
            "refused": attempts["refused"], "other": attempts["other"], "web_recovery_s": recovery}


def count_clocks(numbers: list[str], receiver: Receiver, fault_wall) -> dict:
    from sanshi.core.models import Notification
    from sanshi.rapid.models import Clock

    clocks = list(Clock.objects.filter(case__number__in=numbers).select_related("case"))
    lags = [(c.breached_at - c.due_at).total_seconds() for c in clocks if c.breached_at]
    notes = {n: 0 for n in numbers}
    for subject in Notification.objects.filter(kind="clock_breach", subject__contains="CH-").values_list(
            "subject", flat=True):
        number = subject.split("：", 1)[-1].split("·", 1)[0]
        if number in notes:
            notes[number] += 1
    with receiver.lock:
        received = list(receiver.received)
    ids: dict[str, set] = {n: set() for n in numbers}
    resends = 0
    seen: set = set()
    for delivery, subject in received:
        number = subject.split("：", 1)[-1].split("·", 1)[0]
        if number in ids:
            ids[number].add(delivery)
            resends += delivery in seen
            seen.add(delivery)
    after = [c.breached_at for c in clocks if c.breached_at and c.breached_at >= fault_wall]
    return {"clocks": len(clocks), "breached": len(lags), "lag_max_s": round(max(lags), 1) if lags else None,
            "notes_lost": sum(1 for n in notes.values() if n == 0),
            "notes_dup": sum(1 for n in notes.values() if n > 1),
            "webhooks_lost": sum(1 for s in ids.values() if not s),
            "webhook_ids_dup": sum(1 for s in ids.values() if len(s) > 1), "webhook_resends": resends,
            "worker_recovery_s": round((min(after) - fault_wall).total_seconds(), 1) if after else None}


def backend_pid(cluster: Cluster, app: str) -> int | None:
    out = cluster.psql(f"SELECT pid FROM pg_stat_activity WHERE application_name = '{app}' ORDER BY pid LIMIT 1",
                       "sanshi_chaos")
    return int(out) if out else None


def fault(name: str, cluster: Cluster, web: Supervised, worker: Supervised) -> str:
    if name == "web":
        web.kill9()
        return f"kill -9 uWSGI master {web.process.pid}"
    if name == "worker":
        worker.kill9()
        return f"kill -9 worker {worker.process.pid}"
    if name == "backend":
        pid = backend_pid(cluster, "chaos-worker")
        if pid is None:
            return "no worker backend found"
        os.kill(pid, signal.SIGKILL)
        return f"kill -9 PostgreSQL backend {pid} (the worker's)"
    if name == "pg-restart":
        t = time.monotonic()
        cluster.restart()
        return f"pg_ctl restart -m fast ({time.monotonic() - t:.1f} s)"
    return "none"


def experiment(name: str, args, cluster: Cluster, web: Supervised, worker: Supervised, receiver: Receiver,
               port: int) -> dict:
    from django.utils import timezone

    tag = name  # a fresh database each run: the name alone is unique (no long digits a mask could take)
    numbers = db_call(lambda: plant_clocks(tag, args.seconds))
    load = Load(port, tag, args.rate, args.seconds, args.clients, args.retries, args.retry_delay)
    joiner = load.run()
    time.sleep(FAULT_AT)
    fault_at, fault_wall = time.monotonic(), timezone.now()
    what = fault(name, cluster, web, worker)
    joiner.join(args.seconds + 90 + args.retries * (args.retry_delay + 10))
    deadline = time.monotonic() + 90  # a killed job runs again after its 10 s lease; the worker restarts in 2 s
    while time.monotonic() < deadline and not db_call(lambda: settled(numbers, receiver)):
        time.sleep(0.5)
    time.sleep(1.0)  # a last resend, if any, reaches the receiver
    requests = db_call(lambda: count_requests(load, fault_at))
    clocks = db_call(lambda: count_clocks(numbers, receiver, fault_wall))
    return {"experiment": name, "fault": what, **requests, **clocks}


COLUMNS = [("experiment", "experiment", 10), ("sent", "sent", 5), ("acked", "acked", 5), ("acked_on_retry", "on retry", 8),
           ("lost", "lost", 4), ("duplicated", "dup", 3), ("stored_unanswered", "unans", 5), ("retries", "retries", 7),
           ("503", "503", 4), ("5xx", "5xx", 4), ("refused", "refused", 7),
           ("web_recovery_s", "web rec s", 9), ("clocks", "clocks", 6), ("breached", "breached", 8),
           ("lag_max_s", "lag max s", 9), ("notes_lost", "notes lost", 10), ("notes_dup", "notes dup", 9),
           ("webhooks_lost", "hooks lost", 10), ("webhook_ids_dup", "hook ids dup", 12),
           ("webhook_resends", "resends", 7), ("worker_recovery_s", "worker rec s", 12)]


def table(rows: list[dict]) -> str:
    def cell(v):
        return "–" if v is None else str(v)

    lines = ["  ".join(title.rjust(w) for _, title, w in COLUMNS)]
    lines += ["  ".join(cell(r[key]).rjust(w) for key, _, w in COLUMNS) for r in rows]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0, help="load per experiment (the fault comes 5 s in)")
    parser.add_argument("--rate", type=float, default=20.0, help="intake requests per second, all clients together")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--retries", type=int, default=5,
                        help="times a request is sent again with its Idempotency-Key (0: no key, no retry)")
    parser.add_argument("--retry-delay", type=float, default=1.0, help="seconds between tries")
    parser.add_argument("--only", default=",".join(EXPERIMENTS), help="experiments, comma-separated")
    args = parser.parse_args()
    chosen = [e for e in args.only.split(",") if e]
    unknown = set(chosen) - set(EXPERIMENTS)
    if unknown:
        parser.error(f"unknown experiments: {sorted(unknown)}")
    load = os.getloadavg()
    print(f"host: {os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
          "(other work may run at the same time)", flush=True)
    cluster = Cluster()
    receiver = Receiver()
    logs = Path(tempfile.mkdtemp(prefix="sanshi-chaos-logs-"))
    web = worker = None
    rows: list[dict] = []
    try:
        print(f"throw-away PostgreSQL on 127.0.0.1:{cluster.port} ({cluster.data}); migrating …", flush=True)
        cluster.psql("CREATE DATABASE sanshi_chaos")
        url = cluster.url("sanshi_chaos")
        django_setup(url, receiver.url)
        port = free_port()
        env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "sanshi.settings.dev", "DEBUG": "false",
               "LOG_LEVEL": "WARNING", "SANSHI_RATE_ANON": "100000000/min", "SANSHI_RATE_USER": "100000000/min",
               "SANSHI_RATE_REPORT": "100000000/min", "SANSHI_NOTIFY_CHANNELS": "*=webhook",
               "SANSHI_TRIAGE_MODEL_PATH": str(logs / "no-model.joblib"), "SANSHI_JOB_LEASE_SECONDS": "10",
               "SANSHI_VAR_DIR": str(logs), "SANSHI_MEDIA_ROOT": str(logs / "media")}
        web = Supervised("web", [str(BIN / "uwsgi"), "--ini", str(ROOT / "uwsgi.ini"), "--http-socket",
                                 f"127.0.0.1:{port}", "--processes", "2"], {**env, "PGAPPNAME": "chaos-web"},
                         logs / "web.log")
        worker = Supervised("worker", [str(BIN / "sanshi"), "worker"], {**env, "PGAPPNAME": "chaos-worker"},
                            logs / "worker.log")
        warm = Load(port, "warm", 4, 5, 2)
        for _ in range(150):  # the server answers within 30 s
            if warm.post("chaos-warm-0") == "201":
                break
            time.sleep(0.2)
        print(f"uWSGI on 127.0.0.1:{port}, worker running; logs in {logs}", flush=True)
        for name in chosen:
            print(f"[{name}] {args.seconds:.0f} s at {args.rate:g} requests/s, one clock due a second …", flush=True)
            row = experiment(name, args, cluster, web, worker, receiver, port)
            print(f"      fault: {row['fault']}; acked {row['acked']}/{row['sent']} ({row['acked_on_retry']} on a retry), "
                  f"lost {row['lost']}, dup {row['duplicated']}, 503 {row['503']}, other 5xx {row['5xx']}, refused "
                  f"{row['refused']}; clocks breached {row['breached']}/{row['clocks']}, "
                  f"notifications lost {row['notes_lost']} dup {row['notes_dup']}, webhook ids dup "
                  f"{row['webhook_ids_dup']}", flush=True)
            rows.append(row)
    finally:
        for process in (web, worker):
            if process is not None:
                process.stop()
        receiver.close()
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: BLE001, S110 — Django may not be set up yet
            pass
        cluster.close()
    print()
    print(table(rows))
    load = os.getloadavg()
    print(f"host: load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the end; restarts: web "
          f"{web.restarts if web else 0}, worker {worker.restarts if worker else 0}")
    print(json.dumps({"bench": "chaos", "seconds": args.seconds, "rate": args.rate, "clients": args.clients,
                      "retries": args.retries, "retry_delay": args.retry_delay, "load": round(load[0], 2),
                      "rows": rows}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
