"""Every write to a clock. Starting and completing run in the caller's transaction; the sweep is
the worker's: it claims overdue clocks with SELECT … FOR UPDATE SKIP LOCKED (PostgreSQL), so two
workers never breach the same clock twice, and the breached_at it writes means a restarted
worker does not fire again."""

from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from sanshi.core.errors import NotFound
from sanshi.core.jobs import enqueue
from sanshi.registry.models import Level, OrgNode

from .models import URGENT_CLOCKS, Clock, ClockName, ClockPolicy

CLOCK_BREACH_JOB = "clock_breach"


def case_street(case) -> OrgNode | None:
    """The street that answers for the case (its emergency squad, its operators)."""
    for node in (case.grid, case.org):
        street = node.ancestor(Level.STREET) if node is not None else None
        if street is not None:
            return street
    return None


def policy_for(street: OrgNode | None) -> ClockPolicy:
    """The street's limits, or an unsaved policy holding the defaults (1-5-10)."""
    policy = ClockPolicy.objects.filter(street=street).first() if street is not None else None
    return policy or ClockPolicy(street=street)


def clocks_start_urgent(*, case, received_at: datetime, dispatched_at: datetime | None = None) -> list[Clock]:
    """Start the dispatch / arrive / result clocks of an urgent event, counted from receipt with the
    street's limits. `dispatched_at` completes the dispatch clock at once (triage is 分拣派单).
    Starting twice leaves the first clocks as they are."""
    policy = policy_for(case_street(case))
    with transaction.atomic():
        clocks = [
            Clock.objects.get_or_create(case=case, name=name, defaults={
                "started_at": received_at, "due_at": received_at + timedelta(minutes=policy.minutes(name))})[0]
            for name in URGENT_CLOCKS
        ]
        if dispatched_at is not None:
            clock_complete(case=case, name=ClockName.DISPATCH, at=dispatched_at)
    return clocks


def clock_complete(*, case, name: str, at: datetime | None = None) -> Clock:
    """Mark one clock done. A completion after the due time records the breach (if the sweep has
    not already); completing a done clock changes nothing."""
    at = at or timezone.now()
    with transaction.atomic():
        clock = Clock.objects.select_for_update().filter(case=case, name=name).first()
        if clock is None:
            raise NotFound(f"该事项没有「{name}」时限")
        if clock.done_at is None:
            clock.done_at = at
            if clock.breached_at is None and at > clock.due_at:
                clock.breached_at = at
            clock.save(update_fields=["done_at", "breached_at"])
    return clock


def clocks_sweep(limit: int = 500) -> int:
    """Breach up to `limit` overdue open clocks and queue one notification job for each; return
    how many were breached. Safe to run from several workers at once and to run again."""
    now = timezone.now()
    with transaction.atomic():
        qs = (Clock.objects.filter(done_at__isnull=True, breached_at__isnull=True, due_at__lte=now)
              .order_by("due_at", "id"))
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True)
        clocks = list(qs[:limit])
        for clock in clocks:
            clock.breached_at = now
            clock.save(update_fields=["breached_at"])
            enqueue(CLOCK_BREACH_JOB, {"clock": clock.pk})
    return len(clocks)
