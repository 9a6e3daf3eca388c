"""The learning loop (自学习): the triage model is trained from the data files and the operators'
corrections, by `sanshi triage train`, by the worker at night once enough corrections have come in,
or when a street officer or the system administrator asks on the 分拣模型 page.

A retraining run is a `triage.retrain` job (the durable job table records who asked, when, and what
the run did). The worker runs it in its slow-jobs thread, never in the loop that sends notifications,
and the training itself in a child process at a lower priority (the worker's threads keep the GIL:
in one process, training held a sleeping thread up by as much as 0.77 s; in a child, 31 ms).
It trains a candidate beside the serving model and, when both carry cross-validated figures, puts
the candidate in place only if neither its kind nor its department macro-F1 is lower than the
serving model's by more than SANSHI_TRIAGE_RETRAIN_TOLERANCE; otherwise the serving model stays and
the run says why. Web processes pick up a replaced model file by itself (`services.loaded_model`).
See docs/triage.md, "The learning loop".
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sanshi.accounts.models import User
from sanshi.audit.services import audit_record
from sanshi.catalog.models import Kind
from sanshi.catalog.selectors import current_items
from sanshi.core.errors import ApplicationError, NotPermitted
from sanshi.core.jobs import enqueue, job_handler
from sanshi.core.models import Job
from sanshi.registry.models import Role, StaffRole

from .models import TriageDecision

CORRECTION_FIELDS = ["text", "title", "kind", "catalogue_code", "department", "urgent"]
RETRAIN_JOB = "triage.retrain"
NIGHT_HOURS = 4  # the nightly run may start from SANSHI_TRIAGE_RETRAIN_HOUR for this many hours
VIEW_ROLES = {Role.OPERATOR, Role.STREET_OFFICER, Role.SYSTEM_ADMIN}  # those who work with the suggestions
RETRAIN_ROLES = {Role.STREET_OFFICER, Role.SYSTEM_ADMIN}


def catalogue_items() -> list[dict]:
    return [{"code": i.code, "kind": i.kind, "name": i.name, "description": i.description,
             "examples": list(i.examples), "keywords": list(i.keywords), "deadline_days": i.deadline_days}
            for i in current_items()]


def write_corrections(path, *, everything: bool = False, audit: bool = False,
                      until: int | None = None) -> tuple[int, int]:
    """Write the operators' corrections (every decision with `everything`; only those up to id
    `until` when given) as CSV; return how many rows and the id of the last one (0 when none): a
    model trained on them has seen every correction up to that id."""
    rows = TriageDecision.objects.all() if everything else TriageDecision.objects.filter(corrected=True)
    if until is not None:
        rows = rows.filter(pk__lte=until)
    if audit:  # an export of residents' texts leaves a trace (never the texts themselves)
        with transaction.atomic():
            audit_record(event="export", obj_type="triage_corrections", obj_id=str(rows.count()))
    n, last = 0, 0
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(CORRECTION_FIELDS)
        for d in rows.order_by("pk").iterator():
            writer.writerow([d.text, d.title, d.kind, d.catalogue_code, d.department, int(d.urgent)])
            n, last = n + 1, d.pk
    return n, last


def train_model(*, model_path, data=(), corrections=(), db: bool = True, cv: bool = True, out=None,
                child: bool = False, reference_until: int | None = None):
    """Train on the data files (default: SANSHI_TRIAGE_DATA or ../shared/data), the extra
    corrections files and, with `db`, the corrections stored here; save to model_path. Returns the
    model, or with `child` (the worker's runs: training in a child process, see ml.cli) the saved
    model's {"version", "report"}, and with `reference_until` also "reference": the same data
    cross-validated with only the stored corrections up to that id. The database is read here,
    never in the child."""
    from . import ml
    from .ml.cli import train_in_child

    out = out or io.StringIO()
    Path(model_path).parent.mkdir(parents=True, exist_ok=True)
    extra = list(corrections)
    meta = {"db_corrections": 0, "db_corrections_until": 0}
    with tempfile.TemporaryDirectory() as tmp:
        if db:
            path = Path(tmp) / "corrections-db.csv"
            n, last = write_corrections(path)
            meta = {"db_corrections": n, "db_corrections_until": last}
            if n:
                out.write(f"本库的人工纠正：{n} 条，一并训练\n")
                extra.append(str(path))
        if child:
            reference = None
            if reference_until is not None:
                reference = list(corrections)
                n_ref, _last = write_corrections(Path(tmp) / "corrections-reference.csv", until=reference_until)
                if n_ref:
                    reference.append(str(Path(tmp) / "corrections-reference.csv"))
            return train_in_child(list(data), model_path, catalogue_items(), extra, cv, meta, reference)
        return ml.cmd_train(list(data), model_path, catalogue_items(), out=out, corrections_paths=extra,
                            cross_validation=cv, meta=meta)


# --------------------------------------------------------------------------- retraining
def model_info() -> dict | None:
    from .ml import read_model_info

    return read_model_info(settings.SANSHI_TRIAGE_MODEL_PATH)


def corrections_since(info: dict | None):
    """The corrections the model described by `info` has not seen (all of them without a model,
    or for a model saved before it recorded what it took in)."""
    until = ((info or {}).get("report") or {}).get("db_corrections_until") or 0
    return TriageDecision.objects.filter(corrected=True, pk__gt=until)


RETRAIN_CHECK_SECONDS = 60  # how often the worker looks at the nightly rule


def retrain_pending() -> Job | None:
    """The retraining run waiting or under way, if any."""
    return Job.objects.filter(kind=RETRAIN_JOB, status=Job.Status.PENDING).order_by("pk").first()


def triage_retrain_schedule(now=None) -> Job | None:
    """The nightly rule, checked by the worker: between SANSHI_TRIAGE_RETRAIN_HOUR and four hours
    later (local time), once a day, when at least SANSHI_TRIAGE_RETRAIN_MIN_CORRECTIONS corrections
    have come in since the serving model was trained and since the last run (a candidate that was
    kept out has seen them: the same data would give the same verdict), queue one run. 0 turns it
    off."""
    from .ml import default_data_files

    needed = settings.SANSHI_TRIAGE_RETRAIN_MIN_CORRECTIONS
    local = timezone.localtime(now or timezone.now())
    start = settings.SANSHI_TRIAGE_RETRAIN_HOUR
    if needed <= 0 or not start <= local.hour < start + NIGHT_HOURS:
        return None
    with transaction.atomic():
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        if Job.objects.filter(kind=RETRAIN_JOB, created_at__gte=midnight).exists() or retrain_pending():
            return None
        waiting = corrections_since(model_info())
        last_run = Job.objects.filter(kind=RETRAIN_JOB, status=Job.Status.DONE).order_by("-done_at", "-pk").first()
        if last_run is not None:  # a candidate kept out saw these already: wait for new ones
            waiting = waiting.filter(pk__gt=last_run.result.get("corrections_until") or 0)
        if waiting.count() < needed or not default_data_files():
            return None
        return enqueue(RETRAIN_JOB, {"trigger": "nightly"})


def may_retrain(user) -> bool:
    return StaffRole.objects.filter(user=user, role__in=RETRAIN_ROLES, active=True).exists()


def may_view(user) -> bool:
    return StaffRole.objects.filter(user=user, role__in=VIEW_ROLES, active=True).exists()


def triage_retrain_request(*, actor) -> Job:
    """A street officer or the system administrator asks for a run now (at most one is queued)."""
    from .ml import default_data_files

    if not may_retrain(actor):
        raise NotPermitted(_("只有街道干部或系统管理员可以重新训练分拣模型"))
    if not default_data_files():
        raise ApplicationError(_("找不到训练数据（SANSHI_TRIAGE_DATA），无法训练分拣模型"))
    with transaction.atomic():
        if retrain_pending() is not None:
            raise ApplicationError(_("已有一次训练在排队或进行中，请稍后刷新本页查看结果"))
        job = enqueue(RETRAIN_JOB, {"trigger": "manual", "by": actor.pk})
        audit_record(event="triage_retrain", actor=actor, obj_type="job", obj_id=str(job.pk))
    return job


def _f1(report: dict | None, key: str) -> float | None:
    return ((report or {}).get(key) or {}).get("macro_f1")


def _verdict(old: dict | None, new: dict) -> tuple[bool, str]:
    """Put the candidate in place? (and why, in Chinese, for the page)."""
    if old is None:
        return True, "此前没有模型"
    tolerance = settings.SANSHI_TRIAGE_RETRAIN_TOLERANCE
    worse, compared = [], False
    for key, label in (("kind", "三事类别"), ("department", "部门")):
        a, b = _f1(old, key), _f1(new, key)
        if a is None or b is None:
            continue
        compared = True
        if b < a - tolerance:
            worse.append(f"{label} macro-F1 {b:.3f} 低于现用模型的 {a:.3f}")
    if worse:
        return False, "；".join(worse) + "，保留现用模型"
    return True, "交叉验证不低于现用模型" if compared else "没有可比的交叉验证结果，直接替换"


def _lease() -> float:
    return settings.SANSHI_TRIAGE_RETRAIN_LEASE_SECONDS


# a run that fails once is tried once more (a worker that died mid-run); training failures are
# rarely transient, and each attempt costs minutes of CPU
@job_handler(RETRAIN_JOB, atomic=False, slow=True, lease_seconds=_lease, max_attempts=2)
def triage_retrain(payload: dict) -> dict:
    from .ml import read_model_info
    from .ml.model import info_path

    path = Path(settings.SANSHI_TRIAGE_MODEL_PATH)
    candidate = path.with_name(path.name + ".candidate")
    old = read_model_info(path)
    if old is None and path.is_file():  # a model saved before it wrote its info: its own report
        from .ml import TriageModel

        previous = TriageModel.load(path)
        old = {"version": previous.model_version, "report": previous.report}
        del previous
    cv = settings.SANSHI_TRIAGE_RETRAIN_CV
    old_report = (old or {}).get("report") or {}
    # a serving model trained without cross-validation (the first start's) has no figures to beat:
    # the child also cross-validates the data it was trained on, so the guard still holds
    unmeasured = old is not None and cv and (_f1(old_report, "kind") is None or _f1(old_report, "department") is None)
    try:
        new = train_model(model_path=candidate, cv=cv, child=True,
                          reference_until=(old_report.get("db_corrections_until") or 0) if unmeasured else None)
        # the figures the candidate is held to (none without a serving model)
        reference = None if old is None else (new.get("reference") if unmeasured else old_report)
        replace, why = _verdict(reference, new["report"])
        if unmeasured:
            why = "现用模型未做交叉验证，已按其训练数据补做；" + why
        if replace:
            os.replace(candidate, path)
            os.replace(info_path(candidate), info_path(path))
    finally:
        candidate.unlink(missing_ok=True)
        info_path(candidate).unlink(missing_ok=True)
    report = new["report"]
    return {"replaced": replace, "why": why, "version": new["version"],
            "previous": (old or {}).get("version"), "kind_f1": _f1(report, "kind"),
            "department_f1": _f1(report, "department"), "corrections": report.get("db_corrections", 0),
            "corrections_until": report.get("db_corrections_until", 0),
            "previous_kind_f1": _f1(reference, "kind"), "previous_department_f1": _f1(reference, "department"),
            "seconds": report.get("train_seconds")}


# --------------------------------------------------------------------------- the page
def _error_text(error: str) -> str:
    """The last line of a run's error, without the exception's class name (for the page)."""
    if not error:
        return ""
    last = error.strip().splitlines()[-1]
    name, sep, message = last.partition(": ")
    return (message if sep and name.isidentifier() else last)[:200]


RUN_STATES = {"queued": gettext_lazy("排队中"), "running": gettext_lazy("进行中"), "retry": gettext_lazy("等待重试"),
              "failed": gettext_lazy("失败"), "replaced": gettext_lazy("已替换模型"), "kept": gettext_lazy("保留现用模型")}


def _bars(report: dict, key: str, labels: dict[str, str] | None = None) -> list[dict]:
    per_class = ((report or {}).get(key) or {}).get("per_class") or {}
    return [{"label": (labels or {}).get(name, name), "f1": v["f1"], "pct": round(100 * v["f1"]),
             "support": v["support"]} for name, v in per_class.items()]


def model_overview(model) -> dict:
    """What the 分拣模型 page shows: the serving model, its figures, the corrections it has not seen
    yet, the rule for the next run and the last runs."""
    from .ml import default_data_files

    report = model.report if model is not None else {}
    kind_names = {k.value: str(k.label) for k in Kind}
    by_kind = {row["kind"]: row["n"]
               for row in corrections_since({"report": report}).values("kind").annotate(n=Count("id"))}
    waiting = [{"label": kind_names[k], "n": by_kind.get(k, 0)} for k in kind_names]
    top = max([w["n"] for w in waiting] + [1])
    for w in waiting:
        w["pct"] = round(100 * w["n"] / top)
    runs = list(Job.objects.filter(kind=RETRAIN_JOB).order_by("-created_at", "-pk")[:10])
    by_id: dict = {}
    people = {r.payload.get("by") for r in runs} - {None}
    if people:
        by_id = {u.pk: u for u in User.objects.filter(pk__in=people)}
    history = []
    now = timezone.now()
    for r in runs:
        if r.status == Job.Status.PENDING:
            code = "retry" if r.last_error else ("running" if r.attempts and r.run_at > now else "queued")
        elif r.status == Job.Status.FAILED:
            code = "failed"
        else:
            code = "replaced" if r.result.get("replaced") else "kept"
        state = str(RUN_STATES[code])
        who = by_id.get(r.payload.get("by"))
        trigger = _("夜间自动") if r.payload.get("trigger") == "nightly" else _("人工发起")
        history.append({"job": r, "code": code, "state": state, "trigger": trigger,
                        "who": (who.get_full_name() or who.username) if who else "", "result": r.result,
                        "error": _error_text(r.last_error)})
    hour = settings.SANSHI_TRIAGE_RETRAIN_HOUR
    needed = settings.SANSHI_TRIAGE_RETRAIN_MIN_CORRECTIONS
    has_data = bool(default_data_files())
    if not has_data:
        rule = _("找不到训练数据（SANSHI_TRIAGE_DATA），不会自动重新训练")
    elif needed > 0:
        rule = _("每天 %(start)s:00–%(end)s:00，自上次训练以来人工纠正满 %(n)s 条时自动重新训练") % {
            "start": hour, "end": hour + NIGHT_HOURS, "n": needed}
    else:
        rule = _("夜间自动训练已关闭（SANSHI_TRIAGE_RETRAIN_MIN_CORRECTIONS=0）")
    try:
        trained_at = datetime.fromisoformat(report["trained_at"].replace("Z", "+00:00"))
    except (KeyError, TypeError, ValueError):  # a model saved before it recorded the time
        trained_at = None
    return {
        "model": model, "report": report, "trained_at": trained_at,
        "kind_bars": _bars(report, "kind", kind_names), "department_bars": _bars(report, "department"),
        "kind_f1": _f1(report, "kind"), "department_f1": _f1(report, "department"),
        "since": sum(by_kind.values()), "since_by_kind": {k: by_kind.get(k, 0) for k in kind_names},
        "waiting": waiting, "history": history, "pending": retrain_pending(),
        "rule": rule, "needed": needed, "has_data": has_data,
        "tolerance": settings.SANSHI_TRIAGE_RETRAIN_TOLERANCE,
    }
