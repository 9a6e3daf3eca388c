"""Pages of deadlines and supervision: the street's ledger (台账), follow-up visits (回访) and the
holiday calendar. Thin: parse the form, call the same services as the API, render."""

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from sanshi.audit.services import audit_if_denied
from sanshi.cases import scope
from sanshi.cases.exports import audited_export, export_or_back
from sanshi.cases.filters import ListFilter, page_of
from sanshi.core.errors import ApplicationError, NotFound
from sanshi.core.personal import mask_personal_text
from sanshi.registry.selectors import within

from .export import HEADERS, STATE_LABELS, VISIT_HEADERS, VISIT_WIDTHS, WIDTHS, ledger_rows, visit_rows
from .models import CalendarDay, ContactMethod, LedgerEntry, LedgerStage, Satisfaction
from .permissions import LEDGER_ROLE, VISIT_ROLE, can_edit_calendar
from .selectors import LEDGER_FILTERS, entry_for, ledger_for, visit_for, visits_for
from .services import (
    calendar_day_remove,
    calendar_day_set,
    calendar_exceptions,
    counts_working_days,
    days_between,
    follow_up_record,
    is_workday,
    ledger_claim,
    ledger_report_progress,
    ledger_set_deadline,
)

STATE_COLOURS = {"unclaimed": "#b26a00", "claimed": "#1d4ed8", "reminded": "#d97706", "warned": "#dc2626",
                 "notified": "#7f1d1d", "closed": "#1b7f3b"}


def parse_date(value) -> date | None:
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        return None


class RowContext:
    """What every row of a list needs, read once: the reader's leader roles and the calendar."""

    def __init__(self, user):
        self.user, self.now = user, timezone.now()
        self.leader_nodes = [r.node for r in scope.roles_of(user) if r.role == LEDGER_ROLE]
        self.exceptions = calendar_exceptions()
        self.unit = _("个工作日") if counts_working_days() else _("天")

    def may_claim(self, entry) -> bool:
        return any(within(entry.street, node) for node in self.leader_nodes)


def _row(ctx: RowContext, entry) -> dict:
    now = ctx.now
    overdue = days_between(entry.deadline_at, now, ctx.exceptions) if entry.is_open and now > entry.deadline_at else 0
    return {"entry": entry, "state": entry.state, "state_label": STATE_LABELS[entry.state],
            "colour": STATE_COLOURS[entry.state], "overdue": overdue, "unit": ctx.unit,
            "can_claim": entry.is_open and entry.claimed_by_id is None and ctx.may_claim(entry),
            "is_mine": entry.claimed_by_id == ctx.user.pk}


def _chart(entries) -> list[dict]:
    """Bars of the ledger's states (a server-rendered SVG chart on the page)."""
    counts = {state: 0 for state in STATE_LABELS}
    for entry in entries:
        counts[entry.state] += 1
    peak = max(counts.values(), default=0) or 1
    return [{"label": STATE_LABELS[s], "n": n, "width": round(200 * n / peak), "colour": STATE_COLOURS[s],
             "y": 22 * i} for i, (s, n) in enumerate(counts.items())]


LEDGER_STATUSES = [("", _("在办")), ("unclaimed", _("待认领")), ("overdue", _("已超期")), ("closed", _("已销账")),
                   ("all", _("全部"))]


def _ledger(request):
    """The ledger as the query string filters it: search, the date put on the ledger, its state (the
    older `show=` still read), the node."""
    data = request.GET.copy()
    if "show" in data and "status" not in data:
        show = data.pop("show")[-1]
        data["status"] = "" if show == "open" else show
    roles = scope.roles_of(request.user)
    form = ListFilter(data, user=request.user, statuses=LEDGER_STATUSES, kinds=False, roles=roles,
                      period_label=_("挂账日期"))
    show = form.value("status") or "open"
    entries = form.cases(ledger_for(request.user, show=show if show in LEDGER_FILTERS else "open"),
                         prefix="case__", period="opened_at")
    return form, entries, show


@login_required
def ledger_list(request):
    form, entries, show = _ledger(request)
    ctx = RowContext(request.user)
    page = page_of(request, entries)
    rows = [_row(ctx, e) for e in page]
    every = [LedgerEntry(claimed_by_id=c, closed_at=closed, stage=stage) for c, closed, stage in
             ledger_for(request.user, show="all").values_list("claimed_by_id", "closed_at", "stage")[:5000]]
    return render(request, "supervision/ledger.html", {
        "rows": rows, "page": page, "form": form, "show": show, "chart": _chart(every),
        "chart_height": 22 * len(STATE_LABELS), "is_leader": bool(ctx.leader_nodes),
        "export_url": reverse("ledger-export")}, status=400 if form.errors else 200)


@login_required
def ledger_export(request):
    form, entries, _show = _ledger(request)
    back = f"{reverse('ledger')}?{form.query()}"
    if form.errors:
        return redirect(back)
    return export_or_back(request, back, lambda: audited_export(
        actor=request.user, what="ledger", title="公事台账", filters=form.description(), reason=form.reason(),
        count=entries.count(), filename="公事台账", headers=HEADERS,
        rows=ledger_rows(entries.prefetch_related("progress").iterator(chunk_size=2000)), widths=WIDTHS))


@login_required
@require_http_methods(["GET", "POST"])
def ledger_entry(request, entry_id: int):
    try:
        entry = entry_for(request.user, entry_id)
    except NotFound:
        raise Http404 from None
    errors, op = {}, request.POST.get("op", "")
    if request.method == "POST":
        try:
            if op == "claim":
                ledger_claim(actor=request.user, entry=entry)
                done = _("已认领，您是该事项的承办领导")
            elif op == "deadline":
                ledger_set_deadline(actor=request.user, entry=entry, deadline=parse_date(request.POST.get("deadline")),
                                    reason=request.POST.get("reason", ""))
                done = _("完成时限已保存")
            elif op == "progress":
                ledger_report_progress(actor=request.user, entry=entry, note=request.POST.get("note", ""),
                                       percent=request.POST.get("percent", ""))
                done = _("进展已报告")
            else:
                raise NotFound(_("未知的操作"))
        except NotFound:
            raise Http404 from None
        except ApplicationError as exc:
            audit_if_denied(request, exc, "ledger_entry", entry.pk)
            errors = exc.errors or {"general": exc.message}
            if request.htmx and op == "claim":  # htmx swaps only 2xx answers: the row, saying why not
                entry = entry_for(request.user, entry_id)
                return render(request, "supervision/_ledger_row.html",
                              {"row": _row(RowContext(request.user), entry), "error": exc.message})
            messages.error(request, exc.message)
            if exc.status_code in (403, 409):
                return redirect(reverse("ledger-entry", args=[entry.pk]))
        else:
            if request.htmx and op == "claim":  # the list's claim button swaps its row
                return render(request, "supervision/_ledger_row.html", {"row": _row(RowContext(request.user), entry)})
            messages.success(request, done)
            return redirect(reverse("ledger-entry", args=[entry.pk]))
    default_deadline = timezone.localtime(entry.deadline_at).date()
    return render(request, "supervision/ledger_entry.html", {
        "row": _row(RowContext(request.user), entry), "entry": entry, "progress": entry.progress.select_related("author"),
        "events": entry.case.events.filter(action__startswith="ledger_").select_related("actor"),
        "errors": errors, "op": op, "posted": request.POST, "default_deadline": default_deadline,
        "stages": LedgerStage,
    }, status=400 if errors else 200)


VISIT_STATUSES = [("", _("待回访")), ("done", _("已回访")), ("unsatisfied", _("不满意")), ("all", _("全部"))]


def _visits(request):
    """The follow-up visits as the query string filters them: search, the date due, open or done (or
    done and not satisfied), the node."""
    roles = scope.roles_of(request.user)
    form = ListFilter(request.GET, user=request.user, statuses=VISIT_STATUSES, kinds=False, roles=roles,
                      period_label=_("回访期限"))
    status = form.value("status")
    qs = visits_for(request.user, open_only=not status)
    if status == "done":
        qs = qs.filter(done_at__isnull=False)
    elif status == "unsatisfied":
        qs = qs.filter(done_at__isnull=False, satisfaction=Satisfaction.UNSATISFIED)
    if status:
        qs = qs.order_by("due_at", "id")
    return form, form.cases(qs, prefix="case__", period="due_at"), roles


@login_required
def visits(request):
    form, qs, roles = _visits(request)
    now = timezone.now()
    leader_nodes = [r.node for r in roles if r.role == VISIT_ROLE]
    page = page_of(request, qs.select_related(*(f"case__{name}" for name in scope.HANDLER_RELATED)))
    handled = scope.handled_ids(request.user, [v.case for v in page], roles)
    rows = [{"visit": v, "may_record": v.is_open and any(within(v.grid, node) for node in leader_nodes),
             "overdue": v.is_open and v.due_at < now,
             "note": v.note if v.case_id in handled else mask_personal_text(v.note)} for v in page]
    tally = {s.value: 0 for s in Satisfaction}
    for satisfaction in (visits_for(request.user, open_only=False).filter(done_at__isnull=False)
                         .values_list("satisfaction", flat=True)):
        tally[satisfaction] = tally.get(satisfaction, 0) + 1
    peak = max(tally.values(), default=0) or 1
    chart = [{"label": Satisfaction(k).label, "n": n, "width": round(200 * n / peak), "y": 22 * i}
             for i, (k, n) in enumerate(tally.items())]
    return render(request, "supervision/visits.html", {
        "rows": rows, "page": page, "form": form, "chart": chart, "satisfactions": Satisfaction.choices,
        "methods": ContactMethod.choices, "export_url": reverse("visits-export")}, status=400 if form.errors else 200)


@login_required
def visits_export(request):
    form, qs, roles = _visits(request)
    back = f"{reverse('visits')}?{form.query()}"
    if form.errors:
        return redirect(back)
    return export_or_back(request, back, lambda: audited_export(
        actor=request.user, what="visits", title="家事回访", filters=form.description(), reason=form.reason(),
        count=qs.count(), filename="家事回访", headers=VISIT_HEADERS, rows=visit_rows(request.user, qs, roles),
        widths=VISIT_WIDTHS))


@login_required
@require_http_methods(["GET", "POST"])
def visit_view(request, visit_id: int):
    try:
        visit = visit_for(request.user, visit_id)
    except NotFound:
        raise Http404 from None
    errors = {}
    if request.method == "POST":
        try:
            follow_up_record(actor=request.user, visit=visit, satisfaction=request.POST.get("satisfaction", ""),
                             contact_method=request.POST.get("contact_method", ""), note=request.POST.get("note", ""))
        except ApplicationError as exc:
            audit_if_denied(request, exc, "follow_up_visit", visit.pk)
            errors = exc.errors or {"general": exc.message}
            messages.error(request, exc.message)
        else:
            messages.success(request, _("回访已登记"))
            return redirect(reverse("visits"))
    return render(request, "supervision/visit.html", {
        "visit": visit, "errors": errors, "posted": request.POST, "satisfactions": Satisfaction.choices,
        "methods": ContactMethod.choices}, status=400 if errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def calendar_view(request):
    try:
        year = int(request.GET.get("year") or timezone.localdate().year)
        if not 1 <= year <= 9998:  # a year the date type holds, and the next one: ?year=0 was a 500
            raise ValueError(year)
    except ValueError:
        year = timezone.localdate().year
    errors = {}
    if request.method == "POST":
        day = parse_date(request.POST.get("date"))
        try:
            if request.POST.get("op") == "remove":
                calendar_day_remove(actor=request.user, day=day)
                messages.success(request, _("已删除"))
            else:
                calendar_day_set(actor=request.user, day=day, is_workday=request.POST.get("is_workday") == "1",
                                 name=request.POST.get("name", ""))
                messages.success(request, _("已保存"))
        except ApplicationError as exc:
            errors = exc.errors or {"general": exc.message}
            messages.error(request, exc.message)
            if exc.status_code == 403:
                return redirect(f"{reverse('calendar')}?year={year}")
        else:
            return redirect(f"{reverse('calendar')}?year={day.year if day else year}")
    days = CalendarDay.objects.filter(date__year=year)
    today = timezone.localdate()
    return render(request, "supervision/calendar.html", {
        "days": days, "year": year, "years": [year - 1, year, year + 1], "can_edit": can_edit_calendar(request.user),
        "errors": errors, "posted": request.POST, "today": today, "today_is_workday": is_workday(today),
        "holidays": sum(1 for d in days if not d.is_workday), "workdays": sum(1 for d in days if d.is_workday),
    }, status=400 if errors else 200)
