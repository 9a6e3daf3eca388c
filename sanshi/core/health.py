"""How the site tells its health, and what a request gets while the database is down (issue 19).

- `/healthz`: the process answers (200 `{"status": "ok"}`); it touches no database — a load
  balancer probes it to know where to send requests.
- `/readyz`: whether this deployment can do its work — the database answers with every migration
  applied, the worker's sweeper finished a round lately, no job waits too long past its time, and
  what the apps register (`readiness`: the audit journal's backlog). 503 when any is out of the
  bounds in settings (SANSHI_READY_*); a monitor or a deploy gate probes it. It answers figures and
  times only, never personal data.
- While the database cannot serve (unreachable, shutting down, read-only), every request answers
  503 with `Retry-After`: the API in its documented JSON, pages a plain Chinese page
  (`unavailable_response`). `DatabaseOutageMiddleware` answers before any view when the connection
  cannot be opened, and for a page view that fails on the database; the API's exception handler
  (sanshi/api/api.py) for its operations; `server_error` (handler500) for what fails elsewhere, in a
  middleware after the view, say. The rule and the answer are in `core.middleware`.

docs/operations.md, "Health and outages"."""

import logging
import sys
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import Error, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from .heartbeat import last_sweep
from .jobs import slow_kinds
from .middleware import database_unavailable, unavailable_response
from .models import Job

log = logging.getLogger("sanshi.outage")


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: what failed outside a view's own handling — in a middleware before or after the
    view (the session, the audit refusals written after it). A database that cannot serve answers
    503 as everywhere else; anything else the API's documented JSON 500, or Django's page."""
    exc = sys.exc_info()[1]
    if exc is not None and database_unavailable(exc):
        return unavailable_response(request)
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": gettext("服务器内部错误，请稍后再试；如持续出现请联系管理员"), "errors": {}},
                            status=500, json_dumps_params={"ensure_ascii": False})
    return defaults.server_error(request)


# ---- the probes ---------------------------------------------------------------------------------

@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


Check = Callable[[], dict]
READINESS: dict[str, Check] = {}


def readiness(name: str) -> Callable[[Check], Check]:
    """Register `func() -> {"ok": bool, …figures}` as one of /readyz's checks (from an app's
    AppConfig.ready(), like the worker's sweeps: the core imports no app above it). It runs once the
    database answered."""

    def register(func: Check) -> Check:
        READINESS[name] = func
        return func

    return register


_migrated = False  # once every migration is applied, it stays so for this process's code


def migrations_applied() -> bool:
    global _migrated
    if not _migrated:
        executor = MigrationExecutor(connection)
        _migrated = not executor.migration_plan(executor.loader.graph.leaf_nodes())
    return _migrated


@readiness("worker")
def _worker() -> dict:
    """The worker's sweeper finished a round (clocks, deadlines, audit sealing) lately."""
    at = last_sweep()
    limit = settings.SANSHI_READY_WORKER_STALE_SECONDS
    age = (timezone.now() - at).total_seconds() if at else None
    return {"ok": age is not None and age <= limit, "last_sweep_at": at,
            "age_seconds": round(age, 1) if age is not None else None, "limit_seconds": limit}


@readiness("jobs")
def _jobs() -> dict:
    """How long the oldest due job has waited past its time (the slow kinds apart: a retraining
    queued behind a running one waits by design)."""
    now = timezone.now()
    oldest = (Job.objects.filter(status=Job.Status.PENDING, run_at__lte=now).exclude(kind__in=slow_kinds())
              .order_by("run_at").values_list("run_at", flat=True).first())
    lag = max(timedelta(0), now - oldest).total_seconds() if oldest else 0.0
    limit = settings.SANSHI_READY_JOB_LAG_SECONDS
    return {"ok": lag <= limit, "oldest_due_lag_seconds": round(lag, 1), "limit_seconds": limit}


@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    checks: dict[str, dict] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        applied = migrations_applied()
        checks["database"] = {"ok": applied, "migrations_applied": applied}
    except Error as exc:
        log.warning("readyz: the database does not answer (%s)", type(exc).__name__)
        checks["database"] = {"ok": False, "migrations_applied": None}
    if checks["database"]["ok"]:
        for name, check in READINESS.items():
            try:
                checks[name] = check()
            except Error as exc:
                log.warning("readyz: check %s failed (%s)", name, type(exc).__name__)
                checks[name] = {"ok": False}
    ready = checks["database"]["ok"] and all(c["ok"] for c in checks.values())
    return JsonResponse({"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503)
