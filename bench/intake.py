"""Benchmark: POST /api/v1/requests against a real server (uWSGI with uwsgi.ini, or gunicorn with
--server gunicorn) + PostgreSQL on this machine.

Prints: sustained requests/s with N concurrent clients, and p50/p90/p99 latency at a fixed
100 requests/s (open loop: requests are sent on schedule whether or not earlier ones returned).
Targets (issue 2): ≥ 300 requests/s sustained; p99 ≤ 100 ms at 100 requests/s. Nothing asserted.

    .venv/bin/python bench/intake.py [--database-url postgres://postgres@127.0.0.1:5432/sanshi_bench]
                                     [--seconds 10] [--clients 16] [--workers 5]
                                     [--server uwsgi|gunicorn]

Only loopback traffic; every loop is bounded in count and time.

The machine's own speed varies from day to day (a shared 2-vCPU VM): the first line printed is
the CPU time of a fixed pure-Python loop, so that runs on different days can be compared.
"""

import argparse
import http.client
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
TEXTS = ["小区电梯经常困人，维修资金一直申请不下来。", "楼上邻居半夜装修噪音扰民。", "滨江路市政道路坑洼积水严重。",
         "小区物业费上涨但服务变差，业主希望更换物业。", "工地拖欠农民工工资三个月。"]


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds used so far by these processes (Linux /proc; 0 where unreadable)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def server_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    kids = [int(p) for p in children.read_text().split()] if children.exists() else []
    return [master, *kids]


def postgres_pids() -> list[int]:
    out = subprocess.run(["pgrep", "-x", "postgres"], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def machine_speed_ms() -> float:
    """CPU milliseconds for 3,000,000 additions in a Python loop, best of 3 (lower is faster)."""
    best = float("inf")
    for _ in range(3):
        start, x = time.process_time(), 0
        for i in range(3_000_000):
            x += i
        best = min(best, time.process_time() - start)
    return best * 1000


def cpu_model() -> str:
    """The host's CPU as the VM sees it: name, family/model and L3 size (Linux; "" elsewhere).

    The same speed line has come with 2.7 ms or 6.8 ms of server CPU per request on different hosts: the
    loop stays in the first-level cache, Django and the model do not, so the CPU generation is printed too.
    """
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return ""
    fields = {}
    for line in info.splitlines():
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    l3 = ""
    index3 = Path("/sys/devices/system/cpu/cpu0/cache/index3/size")
    if index3.exists():
        l3 = f", L3 {index3.read_text().strip()}"
    return (f"{fields.get('model name', '?')} (family {fields.get('cpu family', '?')} model {fields.get('model', '?')}"
            f"{l3}, {os.cpu_count()} CPUs)")


def percentile(values, q):
    values = sorted(values)
    if not values:
        return float("nan")
    k = max(0, min(len(values) - 1, round(q / 100 * (len(values) - 1))))
    return values[k]


def post(port: int, n: int) -> tuple[int, float]:
    body = json.dumps({"text": TEXTS[n % len(TEXTS)], "grid": "B1C1-G01", "channel": "web",
                       "reporter_phone": "13800000000"}, ensure_ascii=False).encode()
    start = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", "/api/v1/requests", body, {"Content-Type": "application/json"})
        status = conn.getresponse().status
    except OSError:
        status = 0
    finally:
        conn.close()
    return status, (time.perf_counter() - start) * 1000


def sustained(port: int, seconds: float, clients: int) -> dict:
    deadline = time.perf_counter() + seconds
    latencies, statuses, lock = [], {}, threading.Lock()
    counter = iter(range(10**9))

    def worker():
        while time.perf_counter() < deadline:
            status, ms = post(port, next(counter))
            with lock:
                latencies.append(ms)
                statuses[status] = statuses.get(status, 0) + 1

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    return {"rps": statuses.get(201, 0) / elapsed, "n": len(latencies), "statuses": statuses,
            "p50": percentile(latencies, 50), "p99": percentile(latencies, 99)}


def sustained_wrk(port: int, seconds: float, clients: int, threads: int) -> dict | None:
    """The same load from wrk (C, Debian package), which leaves more CPU to the server than
    Python threads do; its own CPU per request is measured too (it shares the machine's two cores
    with the server). Returns None when wrk is not installed."""
    import re
    import resource
    import shutil

    if not shutil.which("wrk"):
        return None
    body = json.dumps({"text": TEXTS[1], "grid": "B1C1-G01", "channel": "web"}, ensure_ascii=False)
    script = ('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
              f"wrk.body = [[{body}]]\n")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False, encoding="utf-8") as f:
        f.write(script)
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{clients}", f"-d{int(seconds)}s", "--latency", "-s", f.name,
                          f"http://127.0.0.1:{port}/api/v1/requests"], capture_output=True, text=True, check=True).stdout
    done = resource.getrusage(resource.RUSAGE_CHILDREN)
    os.unlink(f.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    wrk_cpu = (done.ru_utime + done.ru_stime) - (used.ru_utime + used.ru_stime)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    p50 = re.search(r"50%\s+([\d.]+)(ms|s|us)", out)
    p99 = re.search(r"99%\s+([\d.]+)(ms|s|us)", out)

    def ms(m):
        value, unit = float(m.group(1)), m.group(2)
        return value * {"ms": 1, "s": 1000, "us": 0.001}[unit]

    return {"rps": rps, "non2xx": int(non2xx.group(1)) if non2xx else 0, "p50": ms(p50), "p99": ms(p99),
            "cpu_ms": wrk_cpu / max(rps * seconds, 1) * 1000}


def fixed_rate(port: int, rate: float, seconds: float) -> dict:
    total = int(rate * seconds)
    latencies, statuses = [], {}
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=64) as pool:
        futures = []
        for n in range(total):
            delay = start + n / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            futures.append(pool.submit(post, port, n))
        for f in futures:
            status, ms = f.result()
            latencies.append(ms)
            statuses[status] = statuses.get(status, 0) + 1
    return {"n": total, "statuses": statuses, "p50": percentile(latencies, 50), "p90": percentile(latencies, 90),
            "p99": percentile(latencies, 99), "mean": statistics.fmean(latencies)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/sanshi_bench")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=5, help="server worker processes (2 × cores + 1)")
    parser.add_argument("--server", choices=["uwsgi", "gunicorn"], default="uwsgi",
                        help="uwsgi: what make run and production use (docs/adr/0003-web-server.md); "
                             "gunicorn: the server issue 2 names, for comparison (a dev dependency)")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--wrk-threads", type=int, default=2, help="wrk's threads (it runs on the same two cores)")
    args = parser.parse_args()
    env = {**os.environ, "DATABASE_URL": args.database_url, "DJANGO_SETTINGS_MODULE": "sanshi.settings.dev",
           "DEBUG": "false", "LOG_LEVEL": "WARNING",
           # one load generator on one address: lift the per-address API rate limit for the benchmark
           "SANSHI_RATE_ANON": "100000000/min", "SANSHI_RATE_USER": "100000000/min"}
    if args.database_url.startswith("postgres"):
        dbname = args.database_url.rsplit("/", 1)[1]
        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", dbname], check=True)
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", dbname], check=True)
    print("[1/4] migrate …", flush=True)
    subprocess.run([BIN / "sanshi", "migrate", "-v", "0"], env=env, check=True)
    subprocess.run([BIN / "sanshi", "shell", "-c", (
        "from sanshi.registry.services import node_create as n\n"
        "d=n(code='B',name='区',level='district'); s=n(code='B1',name='街道',level='street',parent=d)\n"
        "c=n(code='B1C1',name='社区',level='community',parent=s); n(code='B1C1-G01',name='网格',level='grid',parent=c)")],
        env=env, check=True)
    server_log = tempfile.NamedTemporaryFile("w+", prefix=f"sanshi-bench-{args.server}-", suffix=".log", delete=False)
    speed = machine_speed_ms()
    interpreter = f"{platform.python_version()} {os.path.realpath(sys.executable)}"  # the loop depends on it (ADR 0004)
    cpu = cpu_model()
    print(f"      machine speed: {speed:.0f} ms CPU for a fixed Python loop (lower is faster; Python {interpreter})",
          flush=True)
    print(f"      CPU: {cpu}", flush=True)
    if args.server == "uwsgi":
        print(f"[2/4] uWSGI (uwsgi.ini) with {args.workers} worker processes on 127.0.0.1:{args.port} …", flush=True)
        command = [BIN / "uwsgi", "--ini", str(ROOT / "uwsgi.ini"), "--http-socket", f"127.0.0.1:{args.port}",
                   "--processes", str(args.workers)]
    else:  # the wording: gunicorn sync workers, the app loaded once before the fork as uWSGI does
        print(f"[2/4] gunicorn (sync, --preload) with {args.workers} workers on 127.0.0.1:{args.port} …", flush=True)
        command = [BIN / "gunicorn", "sanshi.wsgi:application", "--bind", f"127.0.0.1:{args.port}", "--preload",
                   "--workers", str(args.workers), "--log-level", "warning"]
    server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=server_log, stderr=subprocess.STDOUT)
    # the worker runs beside the server as in production (it seals the audit journal, sends feedback)
    worker = subprocess.Popen([BIN / "sanshi", "worker"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    try:
        for _ in range(150):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=1)
                conn.request("GET", "/api/v1/openapi.json")
                conn.getresponse().read()
                break
            except OSError:
                time.sleep(0.2)
        else:
            print(f"the server did not answer within 30 s; its log: {server_log.name}")
            print(Path(server_log.name).read_text(errors="replace")[-3000:])
            return 1
        for n in range(50):  # warm up every worker (jieba, imports)
            post(args.port, n)
        print(f"[3/4] sustained load: {args.clients} clients for {args.seconds:.0f} s …", flush=True)
        s = sustained(args.port, args.seconds, args.clients)
        print(f"      sustained: {s['rps']:.0f} requests/s ({s['n']} requests, statuses {s['statuses']}), "
              f"p50 {s['p50']:.1f} ms, p99 {s['p99']:.1f} ms   [target ≥ 300 requests/s]")
        pids, pg = server_pids(server.pid), postgres_pids()
        before = (cpu_seconds(pids), cpu_seconds(pg), cpu_seconds([worker.pid]))
        w = sustained_wrk(args.port, args.seconds, args.clients, args.wrk_threads)
        if w:
            served = w["rps"] * args.seconds
            app_ms = (cpu_seconds(pids) - before[0]) / served * 1000
            db_ms = (cpu_seconds(pg) - before[1]) / served * 1000
            worker_ms = (cpu_seconds([worker.pid]) - before[2]) / served * 1000
            print(f"      sustained (wrk, {args.clients} connections): {w['rps']:.0f} requests/s, "
                  f"non-2xx {w['non2xx']}, p50 {w['p50']:.1f} ms, p99 {w['p99']:.1f} ms")
            print(f"      CPU per request: server {app_ms:.2f} ms, worker {worker_ms:.2f} ms, PostgreSQL {db_ms:.2f} ms, "
                  f"wrk {w['cpu_ms']:.2f} ms (2 cores = 2,000 ms of CPU per second)")
            s["cpu_app_ms"], s["cpu_db_ms"], s["cpu_worker_ms"] = round(app_ms, 2), round(db_ms, 2), round(worker_ms, 2)
            s["cpu_wrk_ms"] = round(w["cpu_ms"], 2)
            if w["non2xx"] == 0:
                s["rps"] = max(s["rps"], w["rps"])
        print(f"[4/4] fixed rate: 100 requests/s for {args.seconds:.0f} s …", flush=True)
        f = fixed_rate(args.port, 100, args.seconds)
        print(f"      at 100 requests/s: p50 {f['p50']:.1f} ms, p90 {f['p90']:.1f} ms, p99 {f['p99']:.1f} ms, "
              f"mean {f['mean']:.1f} ms (statuses {f['statuses']})   [target p99 ≤ 100 ms]")
        print(json.dumps({"bench": "intake", "sustained_rps": round(s["rps"], 1), "p50_ms_at_100rps": round(f["p50"], 1),
                          "p99_ms_at_100rps": round(f["p99"], 1), "workers": args.workers, "server": args.server,
                          "machine_speed_ms": round(speed), "python": interpreter, "cpu": cpu,
                          "cpu_ms_per_request": {"server": s.get("cpu_app_ms"), "worker": s.get("cpu_worker_ms"),
                                                 "postgres": s.get("cpu_db_ms"), "wrk": s.get("cpu_wrk_ms")},
                          "audit_sealing": env.get("SANSHI_AUDIT_SEALING", "auto"),
                          "database": args.database_url.split(":", 1)[0]}))
    finally:
        server.terminate()
        worker.terminate()
        server.wait(10)
        worker.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
