"""The command-centre board (指挥中心大屏) and the 1-5-10 compliance page. Thin: check the
board's scope, call the selectors (reads) or the urgent-flow services (dispatch, duty), render."""

import csv
import io
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from sanshi.audit.services import audit_denied, audit_record
from sanshi.cases.actions import get_case_or_404
from sanshi.core.errors import ApplicationError, NotFound
from sanshi.core.exports import safe_row
from sanshi.rapid.models import ResponseTeam
from sanshi.rapid.services import case_dispatch, team_set_duty

from . import charts, selectors
from .selectors import STEP_LABELS, STEP_NAMES, PeriodError

EXPORT_HEADER = ["范围", "分组", "环节", "达标", "超时", "未到期", "达标率"]


def _scope_or_403(request) -> selectors.BoardScope:
    scope = selectors.board_scope(request.user)
    if scope is None:
        audit_denied(request, "command_board", "")
        raise PermissionDenied(_("指挥中心页面只对指挥中心接线员和街道干部开放"))
    return scope


def _board_context(request, scope) -> dict:
    data = selectors.board(scope)
    data.update({"step_labels": STEP_LABELS, "scope_many": len(scope.streets) > 1})
    return data


@login_required
@require_GET
def board(request):
    scope = _scope_or_403(request)
    return render(request, "command/pages/board.html", {**_board_context(request, scope), "scope": scope})


def _live(request, template: str, part):
    """A refreshed part of the board, fetched by HTMX every 3 seconds and swapped in place. When the
    session has ended, HTMX is told to go to the sign-in page (not to swap it into the board)."""
    if not request.user.is_authenticated:
        login = f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': reverse('command-board')})}"
        if request.htmx:
            return HttpResponse(status=204, headers={"HX-Redirect": login})
        return redirect(login)
    scope = _scope_or_403(request)
    data = part(scope)
    data.update({"step_labels": STEP_LABELS, "scope_many": len(scope.streets) > 1})
    return render(request, template, data)


@require_GET
def board_partial(request):
    """The whole board (both parts, each with its own refresh)."""
    return _live(request, "command/partials/board.html", selectors.board)


@require_GET
def board_urgent(request):
    """Urgent events and the pool: the light part a new urgent event shows up in."""
    return _live(request, "command/partials/urgent.html", selectors.board_urgent)


@require_GET
def board_status(request):
    """Overdue items, load per zone and per team."""
    return _live(request, "command/partials/status.html", selectors.board_status)


def _after_action(request):
    if request.htmx:
        scope = _scope_or_403(request)
        return render(request, "command/partials/board.html", _board_context(request, scope))
    return redirect(reverse("command-board"))


def _team_in_scope(scope, raw) -> ResponseTeam:
    try:
        team_id = int(raw or 0)
    except ValueError:
        team_id = 0
    team = ResponseTeam.objects.filter(scope.teams_q(), pk=team_id).first()
    if team is None:
        raise NotFound(_("处置队伍不存在或不在本辖区"))
    return team


@login_required
@require_POST
def dispatch(request):
    """Send a response team to an undispatched urgent event (the urgent-flow service decides)."""
    scope = _scope_or_403(request)
    try:
        case = get_case_or_404(request.user, int(request.POST.get("case") or 0))
        team = _team_in_scope(scope, request.POST.get("team"))
        case_dispatch(actor=request.user, case=case, team=team)
    except ApplicationError as exc:
        messages.error(request, exc.message + "".join(f"：{m}" for m in exc.errors.values()))
    except ValueError:
        messages.error(request, _("请选择要派单的事项"))
    else:
        messages.success(request, _("已派单给%(team)s") % {"team": team.name})
    return _after_action(request)


@login_required
@require_POST
def duty(request):
    """Put a response team on or off duty (the urgent-flow service records it)."""
    scope = _scope_or_403(request)
    try:
        team = _team_in_scope(scope, request.POST.get("team"))
        on_duty = request.POST.get("on_duty") == "1"
        team_set_duty(actor=request.user, team=team, on_duty=on_duty)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, (_("%(team)s已设为在岗") if on_duty else _("%(team)s已设为不在岗")) % {"team": team.name})
    return _after_action(request)


@login_required
@require_GET
def compliance(request):
    scope = _scope_or_403(request)
    try:
        period = selectors.parse_period(request.GET.get("from"), request.GET.get("to"))
    except PeriodError as exc:
        return render(request, "command/pages/compliance.html", {
            "errors": exc.errors, "form": request.GET, "figures": None}, status=400)
    figures = selectors.compliance(scope, period)
    fmt = request.GET.get("format", "")
    if fmt in ("csv", "xlsx"):
        audit_record(event="export", actor=request.user, obj_type="compliance",
                     obj_id=str(len(selectors.figures_rows(figures))),
                     reason=f"{fmt} from={period.start.isoformat()} to={period.end.isoformat()}")
        return _csv(figures) if fmt == "csv" else _xlsx(figures)
    return render(request, "command/pages/compliance.html", {
        "figures": figures, "period": period, "errors": {},
        "form": {"from": period.start.isoformat(), "to": period.end.isoformat()},
        "overall_chart": charts.step_bars(figures["overall"]),
        "group_charts": [(title, charts.group_bars(figures[key]), figures[key])
                         for title, key in ((_("按街道"), "streets"), (_("按片区"), "zones"),
                                            (_("按处置队伍"), "teams"))],
        "histogram": charts.histogram(figures["dispatch"]["buckets"]),
        "steps": [(s, STEP_LABELS[s]) for s in STEP_NAMES],
        "export_query": f"from={period.start.isoformat()}&to={period.end.isoformat()}",
    })


def _filename(figures, ext: str) -> str:
    p = figures["period"]
    return f"compliance-{p.start:%Y%m%d}-{p.end:%Y%m%d}.{ext}"


def _distribution_rows(figures) -> list[list]:
    d = figures["dispatch"]
    rows = [["派单用时（秒）", "件数"]]
    for b in d["buckets"]:
        rows.append([f"{b['from']}–{b['to']}" if b["to"] else f"≥{b['from']}", b["count"]])
    rows += [["p50", d["p50"]], ["p90", d["p90"]], ["p99", d["p99"]], ["已派单", d["count"]],
             ["尚未派单", d["not_dispatched"]]]
    return rows


def _csv(figures) -> HttpResponse:
    buffer = io.StringIO()
    buffer.write("\ufeff")  # a BOM, so that Excel opens the Chinese text as UTF-8
    writer = csv.writer(buffer)
    p = figures["period"]
    writer.writerow(["统计时段", f"{p.start:%Y-%m-%d}", f"{p.end:%Y-%m-%d}"])
    writer.writerow(EXPORT_HEADER)
    writer.writerows(safe_row(row) for row in selectors.figures_rows(figures))
    writer.writerow([])
    writer.writerows(safe_row(row) for row in _distribution_rows(figures))
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(figures, "csv")}"'
    return response


def _xlsx(figures) -> HttpResponse:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "1-5-10达标"
    p = figures["period"]
    sheet.append(["统计时段", f"{p.start:%Y-%m-%d}", f"{p.end:%Y-%m-%d}"])
    sheet.append(EXPORT_HEADER)
    for row in selectors.figures_rows(figures):
        sheet.append(safe_row(row))
    dist = book.create_sheet("派单用时分布")
    for row in _distribution_rows(figures):
        dist.append(safe_row(row))
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(out.getvalue(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{_filename(figures, "xlsx")}"'
    return response

