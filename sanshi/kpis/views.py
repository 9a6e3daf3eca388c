"""The dashboard (/staff/dashboard/), its wall mode, and the read-only wall screens (/screen/).
Thin: which node and period (the scope module through the selectors), the figures (`kpis`), the
charts; the screens' issue and revocation are services."""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sanshi.audit.services import audit_denied
from sanshi.cases.exports import audited_export
from sanshi.command.charts import step_bars
from sanshi.command.selectors import STEP_LABELS, StepFigures
from sanshi.core.errors import ApplicationError, NotFound

from . import charts, selectors, services
from .definitions import FIGURES, percent, points, signed_percent
from .selectors import KINDS, PeriodError

SCREEN_COOKIE = "sanshi_screen"
KIND_LABELS = {"PUBLIC": gettext_lazy("公事"), "SHARED": gettext_lazy("共事"), "HOUSEHOLD": gettext_lazy("家事")}
# the figures a child can be ranked by (the dashboard's 下级排名)
RANKS = ("resolution_rate", "grassroots_resolution_rate", "satisfaction_rate", "response_rate", "timeliness_rate",
         "participation_rate", "escalation_rate", "bounce_back_rate", "received", "open_now", "overdue_now")
TRENDS = ("resolution_rate", "grassroots_resolution_rate", "satisfaction_rate", "response_rate", "escalation_rate")


# ---- formatting -----------------------------------------------------------------------------------

def _get(body: dict, key: str) -> Any:
    """A figure of a body by its key in FIGURES."""
    if key.startswith("own_level_"):
        return body.get("own_level_rate", {}).get(key.removeprefix("own_level_"))
    if key in ("received", "closed"):
        return body[key]["total"]
    if key == "median_days_to_close":
        return (body.get("median_days_to_close") or {}).get("all")
    return body.get(key)


def tile(body: dict, key: str, *, now_only: bool = False) -> dict:
    """One figure as the dashboard shows it: its value, how it moved a year before and since the
    period before, and its definition (the "?")."""
    figure = FIGURES[key]
    value = _get(body, key)
    out = {"key": key, "label": figure.label, "definition": figure.definition, "yoy": "", "mom": ""}
    if figure.is_rate:
        out["value"] = percent(value)
    elif key == "median_days_to_close":
        out["value"] = "—" if value is None else _("%(n)s 天") % {"n": value}
    else:
        out["value"] = str(value)
    if not now_only:
        for name, other in (("yoy", "previous_year"), ("mom", "previous_period")):
            before = _get(body[other], key)
            moved = selectors.change(value, before, is_rate=figure.is_rate or key == "median_days_to_close")
            if key == "median_days_to_close":
                out[name] = "—" if moved is None else _("%(n)s 天") % {"n": f"{Decimal(moved):+.1f}"}
            else:
                out[name] = points(moved) if figure.is_rate else signed_percent(moved)
    return out


def _value(child: dict, key: str) -> float:
    value = child["received"]["total"] if key == "received" else child.get(key)
    return float(value) if value is not None else -1.0


def _query(**params) -> str:
    return "?" + urlencode({k: v for k, v in params.items() if v})


def dashboard_context(body: dict, *, rank: str, link_children: bool, period_query: dict) -> dict:
    """Everything the dashboard and the wall show of one body."""
    trend = body["trend"]
    rank = rank if rank in RANKS else "resolution_rate"
    rank_is_rate = rank.endswith("_rate")
    children = sorted(body["children"], key=lambda c: (-_value(c, rank), c["node"]["code"]))
    ranked = charts.hbars([charts.Bar(
        label=c["node"]["name"], value=max(0.0, _value(c, rank)),
        text=percent(c.get(rank)) if rank_is_rate else str(c["received"]["total"] if rank == "received" else c[rank]),
        href=_query(node=c["node"]["code"], rank=rank, **period_query) if link_children else "")
        for c in children], str(FIGURES[rank if rank in FIGURES else "received"].label),
        scale=1.0 if rank_is_rate else None) if children else None
    kinds = [(k, KIND_LABELS[k]) for k in KINDS]
    steps = {s: StepFigures(met=f["met"], breached=f["missed"]) for s, f in body["rapid_compliance"].items()}
    return {
        "body": body,
        "tiles": [tile(body, k) for k in ("received", "closed", "resolution_rate", "grassroots_resolution_rate",
                                          "own_level_HOUSEHOLD", "own_level_SHARED", "own_level_PUBLIC",
                                          "satisfaction_rate", "visit_satisfaction_rate", "response_rate",
                                          "timeliness_rate", "participation_rate", "escalation_rate",
                                          "bounce_back_rate", "median_days_to_close")],
        "now_tiles": [tile(body, k, now_only=True) for k in ("open_now", "overdue_now")],
        "months_chart": charts.month_bars(trend, [("received", _("受理")), ("closed", _("办结"))], _("受理与办结（按月）")),
        "kind_chart": charts.hbars([charts.Bar(label=str(label), value=body["received"][k], style=k,
                                               text=_("受理 %(r)s · 办结 %(c)s") % {"r": body["received"][k],
                                                                                  "c": body["closed"][k]})
                                    for k, label in kinds], _("按类别")),
        "channel_chart": charts.hbars([charts.Bar(label=str(label), value=body["received_by_channel"][c],
                                                  text=str(body["received_by_channel"][c]), style="received")
                                       for c, label in (("assigned", _("各级交办")), ("patrol", _("网格摸排")),
                                                        ("resident", _("群众反映")))], _("按来源渠道")),
        "own_level_chart": charts.hbars([charts.Bar(label=str(FIGURES[f"own_level_{k}"].label), style=k,
                                                    value=float(body["own_level_rate"][k] or 0),
                                                    text=percent(body["own_level_rate"][k])) for k in KINDS],
                                        _("三事不出"), scale=1.0),
        "median_chart": charts.hbars([charts.Bar(label=str(label), style=k,
                                                 value=float(body["median_days_to_close"].get(k) or 0),
                                                 text=(_("%(n)s 天") % {"n": body["median_days_to_close"][k]}
                                                       if body["median_days_to_close"].get(k) else "—"))
                                      for k, label in kinds], _("办结用时中位数（按类别）")),
        "trend_charts": [(FIGURES[k], charts.month_bars(trend, [(k, str(FIGURES[k].label))], str(FIGURES[k].label),
                                                        rate=True)) for k in TRENDS],
        "steps_chart": step_bars(steps),
        "steps": [(STEP_LABELS[s], body["rapid_compliance"][s]) for s in body["rapid_compliance"]],
        "rank": rank, "ranks": [(k, FIGURES[k].label if k in FIGURES else k) for k in RANKS],
        "ranked_chart": ranked, "children": children, "definitions": FIGURES,
        "hotline": (body["received_by_sub_channel"].get("hotline", 0),
                    body["previous_year"]["received_by_sub_channel"].get("hotline", 0)),
        "hotline_yoy": signed_percent(selectors.change(body["received_by_sub_channel"].get("hotline", 0),
                                                       body["previous_year"]["received_by_sub_channel"].get("hotline", 0),
                                                       is_rate=False)),
    }


def quick_periods(today: date) -> list[tuple[str, str, str]]:
    """(label, from, to) of the periods one clicks most."""
    month = today.replace(day=1)
    last_month_end = month - timedelta(days=1)
    return [(_("近12个月"), (selectors.year_before(today) + timedelta(days=1)).isoformat(), today.isoformat()),
            (_("本年"), today.replace(month=1, day=1).isoformat(), today.isoformat()),
            (_("本月"), month.isoformat(), today.isoformat()),
            (_("上月"), last_month_end.replace(day=1).isoformat(), last_month_end.isoformat())]


# ---- the dashboard -----------------------------------------------------------------------------

@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    if selectors.default_node(user) is None:
        audit_denied(request, "kpis", "")
        raise PermissionDenied(_("数据看板只对有辖区的工作人员开放"))
    try:
        node = selectors.node_for(user, request.GET.get("node", "")[:40])
    except NotFound:
        raise Http404 from None  # outside the user's area looks the same as missing
    wall = request.GET.get("wall") == "1"
    form = {"from": request.GET.get("from", "")[:40], "to": request.GET.get("to", "")[:40]}
    try:
        period = selectors.period_of(form["from"], form["to"])
    except PeriodError as exc:
        return render(request, "kpis/dashboard.html", {"errors": exc.errors, "form": form, "node": node,
                                                       "crumbs": selectors.path_to(user, node)}, status=400)
    body = selectors.kpis(node, period.start, period.end)
    period_query = {"from": period.start.isoformat(), "to": period.end.isoformat()}
    context = {**dashboard_context(body, rank=request.GET.get("rank", ""), link_children=True,
                                   period_query={**period_query, **({"wall": "1"} if wall else {})}),
               "node": node, "crumbs": selectors.path_to(user, node), "form": period_query, "errors": {},
               "quick": quick_periods(timezone.localdate()), "period_query": urlencode(period_query),
               "may_issue_screens": bool(services.screen_nodes(user)), "wall": wall,
               "refresh_seconds": settings.SANSHI_SCREEN_REFRESH_SECONDS, "updated_at": timezone.now()}
    return render(request, "kpis/wall.html" if wall else "kpis/dashboard.html", context)


@login_required
@require_GET
def export(request: HttpRequest) -> HttpResponse:
    """The dashboard's node and period as a workbook: every figure with its year-on-year and
    month-on-month change, then each child's main figures. Audited as every export."""
    user = request.user
    if selectors.default_node(user) is None:
        audit_denied(request, "kpis", "")
        raise PermissionDenied(_("数据看板只对有辖区的工作人员开放"))
    try:
        node = selectors.node_for(user, request.GET.get("node", "")[:40])
    except NotFound:
        raise Http404 from None
    try:
        period = selectors.period_of(request.GET.get("from", "")[:40], request.GET.get("to", "")[:40])
    except PeriodError:
        messages.error(request, _("统计时段有误，请改正日期后再导出"))
        return redirect(reverse("dashboard") + _query(node=node.code))
    body = selectors.kpis(node, period.start, period.end)
    rows = selectors.figure_rows(body)
    if body["children"]:
        rows += [[], selectors.CHILD_ROWS_HEADER, *selectors.child_rows(body)]
    span = f"{period.start:%Y-%m-%d}至{period.end:%Y-%m-%d}"
    return audited_export(
        actor=user, what="kpis", title=f"{node.name}数据看板", filters=f"{node.name}，受理日期{span}",
        reason=f"node={node.code} from={period.start} to={period.end}", count=len(rows),
        filename=f"数据看板-{node.name}", headers=selectors.FIGURE_ROWS_HEADER, rows=rows,
        widths=[24, 14, 14, 14, 18, 18, 14, 12, 12])


# ---- wall screens ----------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def screens(request: HttpRequest) -> HttpResponse:
    """The street's wall screens: the list, and a form that turns this browser into one (the staff
    session on it ends: the screen carries no one's rights)."""
    user = request.user
    nodes = services.screen_nodes(user)
    if not nodes:
        audit_denied(request, "wall_screen", "")
        raise PermissionDenied(_("只有街道指挥中心接线员和街道干部可以管理大屏"))
    errors: dict[str, str] = {}
    if request.method == "POST":
        code = request.POST.get("node", "")[:40]
        try:
            node = selectors.figure_nodes(user).filter(code=code).first()
            if node is None:
                raise NotFound(_("节点不存在或不在您的管辖范围内"))
            issued = services.screen_issue(actor=user, node=node, label=request.POST.get("label", ""))
        except ApplicationError as exc:
            errors = exc.field_errors() or {"label": exc.detail()}
        else:
            logout(request)  # this browser is the wall screen now: read-only, no staff session
            response = redirect(reverse("wall-screen"))
            response.set_cookie(SCREEN_COOKIE, issued.token, max_age=settings.SANSHI_SCREEN_DAYS * 86400,
                                path=reverse("wall-screen"), secure=settings.SESSION_COOKIE_SECURE, httponly=True,
                                samesite="Strict")
            return response
    return render(request, "kpis/screens.html", {
        "screens": services.screens(user)[:100], "nodes": nodes, "errors": errors, "posted": request.POST,
        "now": timezone.now(), "days": settings.SANSHI_SCREEN_DAYS}, status=400 if errors else 200)


@login_required
@require_POST
def screen_revoke(request: HttpRequest, screen_id: int) -> HttpResponse:
    try:
        screen = services.screen_revoke(actor=request.user, screen_id=screen_id)
    except NotFound:
        raise Http404 from None
    except ApplicationError as exc:
        raise PermissionDenied(exc.detail()) from None
    messages.success(request, _("已收回大屏“%(label)s”，它下次刷新时即停止显示。") % {"label": screen.label})
    return redirect(reverse("dashboard-screens"))


@never_cache
@require_GET
def wall_screen(request: HttpRequest) -> HttpResponse:
    """What a wall screen shows: its node's figures for the last twelve months, refreshing by itself.
    No staff session: the screen's cookie is its credential, until revoked or expired."""
    screen = services.screen_for_token(request.COOKIES.get(SCREEN_COOKIE, ""))
    if screen is None:
        response = render(request, "kpis/screen_off.html", status=403)
        response.delete_cookie(SCREEN_COOKIE, path=reverse("wall-screen"))
        return response
    period = selectors.period_of("", "")
    body = selectors.kpis(screen.node, period.start, period.end)
    return render(request, "kpis/wall.html", {
        **dashboard_context(body, rank=request.GET.get("rank", ""), link_children=False, period_query={}),
        "node": screen.node, "screen": screen, "wall": True, "updated_at": timezone.now(),
        "refresh_seconds": settings.SANSHI_SCREEN_REFRESH_SECONDS})
