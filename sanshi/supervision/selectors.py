"""Reads of the ledger and the visits, filtered by the reader's scope (the scope module)."""

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sanshi.core.errors import NotFound

from .models import CalendarDay, FollowUpVisit, LedgerEntry
from .permissions import ledger_scope, visit_scope
from .services import counts_working_days

LEDGER_FILTERS = ("open", "unclaimed", "overdue", "closed", "all")
# The State Council publishes next year's holiday schedule in the autumn (Nov 2025 for 2026):
# from this month on, a missing next year is worth a reminder.
CALENDAR_REMIND_FROM_MONTH = 11


def calendar_year_missing(today=None) -> int | None:
    """The year whose holidays nobody has entered and soon matter: this year, or from November
    next year; None when both are there or deadlines count calendar days (then holidays do not
    matter). Without its rows a year counts weekends only, so 元旦 and 春节 deadlines come out short."""
    if not counts_working_days():
        return None
    today = today or timezone.localdate()
    years = [today.year] + ([today.year + 1] if today.month >= CALENDAR_REMIND_FROM_MONTH else [])
    entered = {d.year for d in CalendarDay.objects.filter(date__year__in=years).dates("date", "year")}
    return next((y for y in years if y not in entered), None)


def ledger_for(user, *, show: str = "open") -> QuerySet[LedgerEntry]:
    if not getattr(user, "is_authenticated", False):
        return LedgerEntry.objects.none()
    qs = (LedgerEntry.objects.filter(ledger_scope(user)).select_related("case", "street", "claimed_by", "case__catalogue_item")
          .order_by("closed_at", "deadline_at", "id"))
    if show == "open":
        qs = qs.filter(closed_at__isnull=True)
    elif show == "unclaimed":
        qs = qs.filter(closed_at__isnull=True, claimed_by__isnull=True)
    elif show == "overdue":
        qs = qs.filter(closed_at__isnull=True, deadline_at__lt=timezone.now())
    elif show == "closed":
        qs = qs.filter(closed_at__isnull=False).order_by("-closed_at", "id")
    return qs


def entry_for(user, entry_id: int) -> LedgerEntry:
    entry = (LedgerEntry.objects.select_related("case", "street", "claimed_by", "case__catalogue_item")
             .filter(ledger_scope(user), pk=entry_id).first()) if getattr(user, "is_authenticated", False) else None
    if entry is None:
        raise NotFound(_("台账事项不存在"))  # out of scope looks the same as missing
    return entry


def visits_for(user, *, open_only: bool = True) -> QuerySet[FollowUpVisit]:
    if not getattr(user, "is_authenticated", False):
        return FollowUpVisit.objects.none()
    qs = FollowUpVisit.objects.filter(visit_scope(user)).select_related("case", "grid", "visited_by")
    if open_only:
        return qs.filter(done_at__isnull=True).order_by("due_at", "id")
    return qs.order_by("-done_at", "id")


def visit_for(user, visit_id: int) -> FollowUpVisit:
    visit = (FollowUpVisit.objects.select_related("case", "grid").filter(visit_scope(user), pk=visit_id).first()
             if getattr(user, "is_authenticated", False) else None)
    if visit is None:
        raise NotFound(_("回访任务不存在"))
    return visit
