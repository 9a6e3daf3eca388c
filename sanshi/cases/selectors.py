"""Reads of cases. Every list starts from the scope module's filter (`scope.cases`), before any
slicing, pagination or count."""

from django.db.models import Prefetch, QuerySet

from sanshi.core.personal import mask_personal_text
from sanshi.registry.models import Role, StaffRole

from . import scope
from .models import OPEN_STATUSES, Case, CaseEvent, Status, WhistleCall
from .transitions import STAFF_ONLY_EVENTS, Action, offered_actions


def case_list(user, *, status: str | None = None, body: str | None = None, kind: str | None = None,
              open_only: bool = False, roles: list[StaffRole] | None = None) -> QuerySet[Case]:
    qs = scope.cases(user, roles).select_related("org", "grid", "catalogue_item")
    if status:
        qs = qs.filter(status=status)
    if open_only:
        qs = qs.filter(status__in=OPEN_STATUSES)
    if body:
        qs = qs.filter(body=body)
    if kind:
        qs = qs.filter(kind=kind)
    return qs


# the pool and its count on the home page stand for these; a to-do list repeats neither
NOT_TODO = frozenset({Action.TRIAGE, Action.RETRIAGE, Action.MERGE, Action.RECORD_PROGRESS})  # re-routing is offered, never due
TODO_SCAN = 500  # open cases looked at for a to-do list, oldest first


def todo(user, limit: int = 10) -> list[tuple[Case, list[str]]]:
    """待我办理: open cases in the user's scope with a step that the user may take now (convene,
    resolve, publicise, request or give a rating, report back on a whistle call), oldest first,
    each with those steps; at most `limit` (the caller asks for one more to know there are more).
    Triage is left to the pool."""
    roles = scope.roles_of(user)
    if not roles:
        return []
    # a department's report is due on the cases whose whistle call to it waits: read once, not per case
    departments = [r.department_id for r in roles if r.role == Role.DEPARTMENT_LIAISON and r.department_id]
    summoned = set(WhistleCall.objects.filter(department_id__in=departments, reported_at__isnull=True)
                   .values_list("case_id", flat=True)) if departments else set()
    out: list[tuple[Case, list[str]]] = []
    decisions = Prefetch("events", queryset=CaseEvent.objects.filter(action__in=scope.DECISIONS).order_by("at", "id"),
                         to_attr="decisions")
    cases = list(case_list(user, open_only=True, roles=roles).exclude(status=Status.RECEIVED)
                 .select_related("org__parent__parent").prefetch_related(decisions, "whistle_calls")
                 .order_by("created_at")[:TODO_SCAN])
    done_already = scope.done(user, cases)  # e.g. the rounds the user has rated: one query for the list
    for case in cases:
        offered = offered_actions(case.status, case.kind)
        steps = [a for a in offered if a not in NOT_TODO and a != Action.DEPARTMENT_REPORT]
        mine = scope.actions(user, case, steps, roles, done_already) if steps else []
        if case.pk in summoned and Action.DEPARTMENT_REPORT in offered:
            mine.append(Action.DEPARTMENT_REPORT)
        if mine:
            out.append((case, [str(a) for a in mine]))
            if len(out) >= limit:
                break
    return out


def case_detail(case_id: int) -> Case:
    return (Case.objects.select_related("org__parent", "grid__parent", "catalogue_item__version")
            .prefetch_related(Prefetch("events", queryset=CaseEvent.objects.select_related("actor")),
                              "whistle_calls__department")
            .get(pk=case_id))


def public_timeline(case: Case) -> list[dict]:
    """What a resident may see: action, time, public note and who acted by role — no names, and
    not the command centre's internal alarms (breached clocks, the ledger's reminder ladder) nor
    who looked at personal data."""
    return [{"action": e.action, "at": e.at, "to": e.to_status, "by": e.actor_label,
             "note": mask_personal_text(e.public_note)}
            for e in case.events.all() if e.action not in STAFF_ONLY_EVENTS]
