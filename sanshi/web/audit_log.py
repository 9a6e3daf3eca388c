"""The audit administrator's page (三员: only the 审计管理员 reads the trail). It reads the chain, after
sealing any journal rows not yet on it (deferred sealing, docs/audit.md). It is the shell's, not
sanshi.audit's: who is the audit administrator is the registry's to say, and the audit trail sits
below the registry (the registry's grants write to it)."""

from datetime import datetime, time

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from sanshi.audit.models import AuditEntry, Outcome
from sanshi.audit.services import audit_denied, audit_seal_all
from sanshi.registry.models import Role, StaffRole

PAGE_SIZE = 200


def is_audit_admin(user) -> bool:
    return StaffRole.objects.filter(user=user, role=Role.AUDIT_ADMIN, active=True).exists()


def _day(value: str, *, end: bool = False) -> datetime | None:
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()  # noqa: DTZ007 — a date, made aware below
    except ValueError:
        return None
    return timezone.make_aware(datetime.combine(day, time.max if end else time.min))


@login_required
@require_GET
def audit_list(request):
    if not is_audit_admin(request.user):
        audit_denied(request, "audit_log", "")
        raise PermissionDenied
    audit_seal_all()  # show every committed row: journal rows not yet chained are chained first
    get = request.GET
    filters = {k: (get.get(k) or "").strip() for k in ("event", "outcome", "actor", "obj_type", "obj_id", "since",
                                                         "until")}
    qs = AuditEntry.objects.order_by("-seq")
    if filters["event"]:
        qs = qs.filter(event=filters["event"])
    if filters["outcome"]:
        qs = qs.filter(outcome=filters["outcome"])
    if filters["actor"]:
        qs = qs.filter(actor_username=filters["actor"])
    if filters["obj_type"]:
        qs = qs.filter(obj_type=filters["obj_type"])
    if filters["obj_id"]:
        qs = qs.filter(obj_id=filters["obj_id"])
    if since := _day(filters["since"]):
        qs = qs.filter(at__gte=since)
    if until := _day(filters["until"], end=True):
        qs = qs.filter(at__lte=until)
    events = AuditEntry.objects.order_by("event").values_list("event", flat=True).distinct()
    return render(request, "audit/audit_list.html", {
        "entries": qs[:PAGE_SIZE], "filters": filters, "events": list(events), "outcomes": Outcome.choices,
        "page_size": PAGE_SIZE})
