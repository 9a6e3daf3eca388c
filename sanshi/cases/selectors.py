from django.db.models import Prefetch, Q, QuerySet

from sanshi.intake.models import Request
from sanshi.registry.models import Role

from .models import OPEN_STATUSES, Case, CaseEvent, Status, WhistleCall
from .permissions import ACTION_ROLES, actions_for, active_roles, scope_filter
from .transitions import allowed_actions

TRIAGE_ROLES = ACTION_ROLES["triage"]


def cases_in_scope(user) -> QuerySet[Case]:
    if getattr(user, "is_superuser", False):
        return Case.objects.all()
    q = scope_filter(user)
    return Case.objects.filter(q).distinct() if q is not None else Case.objects.none()


def case_list(user, *, status: str | None = None, body: str | None = None, kind: str | None = None,
              open_only: bool = False) -> QuerySet[Case]:
    qs = cases_in_scope(user).select_related("org", "grid", "catalogue_item")
    if status:
        qs = qs.filter(status=status)
    if open_only:
        qs = qs.filter(status__in=OPEN_STATUSES)
    if body:
        qs = qs.filter(body=body)
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def pool(user) -> QuerySet[Case]:
    """The request pool: received cases waiting for triage, oldest first. Operators also see the
    requests nobody could place on a grid yet."""
    qs = case_list(user, status=Status.RECEIVED)
    if active_roles(user).filter(role__in=TRIAGE_ROLES).exists():
        qs = Case.objects.filter(Q(pk__in=qs.values("pk")) | Q(status=Status.RECEIVED, grid__isnull=True))
    return qs.select_related("grid").prefetch_related(
        Prefetch("requests", queryset=Request.objects.order_by("received_at"))).order_by("created_at")


# the pool and its count on the home page stand for these; a to-do list repeats neither
NOT_TODO = frozenset({"triage", "merge"})


def todo(user, limit: int = 10) -> list[tuple[Case, list[str]]]:
    """待我办理: open cases in the user's scope with a step that the user may take now (convene,
    resolve, publicise, request or give a rating, report back on a whistle call), oldest first,
    each with those steps; at most `limit` (the caller asks for one more to know there are more).
    Triage is left to the pool."""
    roles = list(active_roles(user))
    if not roles:
        return []
    # a department's report is due on the cases whose whistle call to it waits: read once, not per case
    departments = [r.department_id for r in roles if r.role == Role.DEPARTMENT_LIAISON and r.department_id]
    summoned = set(WhistleCall.objects.filter(department_id__in=departments, reported_at__isnull=True)
                   .values_list("case_id", flat=True)) if departments else set()
    out = []
    for case in case_list(user, open_only=True).exclude(status=Status.RECEIVED).order_by("created_at")[:500]:
        allowed = allowed_actions(case.status, case.kind)
        steps = [a for a in allowed if a not in NOT_TODO and a != "department_report"]
        mine = actions_for(user, case, steps, roles) if steps else []
        if case.pk in summoned and "department_report" in allowed:
            mine.append("department_report")
        if mine:
            out.append((case, mine))
            if len(out) >= limit:
                break
    return out


def case_detail(case_id: int) -> Case:
    return (Case.objects.select_related("org", "grid", "catalogue_item__version")
            .prefetch_related(Prefetch("events", queryset=CaseEvent.objects.select_related("actor")),
                              "requests__photos", "whistle_calls__department", "evaluations")
            .get(pk=case_id))


# internal supervision signals: alarms to staff, not steps of the resident's matter
STAFF_ONLY_ACTIONS = frozenset({"clock_breach", "ledger_remind", "ledger_warn", "ledger_notify"})


def public_timeline(case: Case) -> list[dict]:
    """What a resident may see: action, time, public note and who acted by role — no names, and
    not the command centre's internal alarms (breached clocks, the ledger's reminder ladder)."""
    return [{"action": e.action, "at": e.at, "to": e.to_status, "by": e.actor_label, "note": e.public_note}
            for e in case.events.all() if e.action not in STAFF_ONLY_ACTIONS]
