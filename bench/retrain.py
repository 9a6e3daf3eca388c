"""Benchmark: one retraining run of the triage model, as the worker makes it (the learning loop,
docs/triage.md).

    .venv/bin/python bench/retrain.py [--no-cv] [--in-process]

Works on a model file in a temporary directory (never the serving model) and the corrections stored
in the configured database (the dev database `make run` uses, unless DATABASE_URL says otherwise).
1. Trains a serving model there (with CV, so the guard has figures to compare with).
2. Queues a `triage.retrain` job and runs it as the worker's slow-jobs thread does, while a probe
   thread in the same process sleeps 50 ms at a time and records how late it wakes (the GIL held by
   this process delays the worker's other threads: notifications and clock sweeps).
3. Prints the run's wall time, the CPU and peak memory of this process and of the training child,
   the probe's lateness (p50 / p99 / max) and what the run decided.

`--in-process` trains inside this process instead of a child (what the worker did not choose: the
figures show why). Figures are printed, never asserted; the job row and the temporary directory are
deleted afterwards.
"""

import argparse
import os
import resource
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from intake import cpu_model  # noqa: E402  (bench/intake.py: the host's CPU, printed beside the figures)


def percentile(values, q):
    values = sorted(values)
    return values[max(0, min(len(values) - 1, round(q / 100 * (len(values) - 1))))] if values else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--no-cv", action="store_true", help="retrain without cross-validation (and no guard)")
    ap.add_argument("--in-process", action="store_true", help="train in this process, not in a child")
    args = ap.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sanshi.settings.dev")
    import django

    django.setup()
    from django.conf import settings

    from sanshi.core.jobs import enqueue, run_due_jobs, slow_kinds
    from sanshi.core.models import Job
    from sanshi.triage import training
    from sanshi.triage.ml import default_data_files
    from sanshi.triage.models import TriageDecision

    print(f"CPU: {cpu_model()}")
    if not default_data_files():
        sys.exit("no training data (SANSHI_TRIAGE_DATA or ../shared/data)")
    tmp = tempfile.mkdtemp(prefix="sanshi-retrain-")
    settings.SANSHI_TRIAGE_MODEL_PATH = str(Path(tmp) / "triage.pkl")
    settings.SANSHI_TRIAGE_RETRAIN_CV = not args.no_cv
    print(f"corrections stored in the database: {TriageDecision.objects.filter(corrected=True).count()}")

    t = time.time()
    serving = training.train_model(model_path=settings.SANSHI_TRIAGE_MODEL_PATH, cv=True, db=False, child=True)
    print(f"serving model (data files only, with CV): {time.time() - t:.1f} s, kind "
          f"{serving['report']['kind']['macro_f1']:.3f}, department {serving['report']['department']['macro_f1']:.3f}")

    if args.in_process:  # the same run, with the training in this process
        original = training.train_model

        def in_process(**kwargs):
            model = original(**{**kwargs, "child": False, "reference_until": None})
            return {"version": model.model_version, "report": model.report}

        training.train_model = in_process

    lateness, stop = [], threading.Event()

    def probe():
        while not stop.is_set():
            t0 = time.perf_counter()
            time.sleep(0.05)
            lateness.append((time.perf_counter() - t0 - 0.05) * 1000)

    prober = threading.Thread(target=probe, daemon=True)
    prober.start()
    time.sleep(1)
    lateness.clear()
    job = enqueue(training.RETRAIN_JOB, {"trigger": "manual"})
    self0, child0 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.time()
    run_due_jobs(1, kinds=slow_kinds())
    wall = time.time() - t
    stop.set()
    prober.join()
    self1, child1 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    job.refresh_from_db()
    where = "this process" if args.in_process else "a child process"
    print(f"retraining run ({where}, CV {'off' if args.no_cv else 'on'}): {wall:.1f} s wall")
    print(f"  CPU: this process {self1.ru_utime + self1.ru_stime - self0.ru_utime - self0.ru_stime:.1f} s, "
          f"children {max(0.0, child1.ru_utime + child1.ru_stime - child0.ru_utime - child0.ru_stime):.1f} s; "
          f"peak RSS: this "
          f"process {self1.ru_maxrss / 1024:.0f} MB, largest child {child1.ru_maxrss / 1024:.0f} MB")
    print(f"  a thread sleeping 50 ms at a time woke late by p50 {percentile(lateness, 50):.1f} ms, "
          f"p99 {percentile(lateness, 99):.1f} ms, max {max(lateness):.1f} ms ({len(lateness)} wake-ups)")
    if job.status == Job.Status.DONE:
        r = job.result
        print(f"  decided: {'replaced' if r['replaced'] else 'kept the serving model'} — {r['why']}; "
              f"kind {r['kind_f1']}, department {r['department_f1']}, corrections taken in {r['corrections']}")
    else:
        print(f"  the run did not finish: {job.status}, {job.last_error[-300:]}")
    Job.objects.filter(pk=job.pk).delete()
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
