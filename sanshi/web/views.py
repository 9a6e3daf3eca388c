"""The shell's pages: the home page, the staff home (待我办理 and the counts) and the case page,
which composes the parts of every app (the requests and their contacts, the suggestion, similar
cases, meetings, the urgent flow's panel, the timeline). The other pages belong to their apps."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from sanshi.cases import scope
from sanshi.cases.actions import case_act, get_case_or_404
from sanshi.cases.models import Case, Status
from sanshi.cases.routing import Body
from sanshi.cases.selectors import case_list, todo
from sanshi.cases.transitions import ACTION_LABELS, Action, offered_actions
from sanshi.catalog.selectors import current_items
from sanshi.core.errors import ApplicationError, NotFound, NotPermitted
from sanshi.core.personal import mask_name, mask_phone
from sanshi.deliberation.models import Purpose
from sanshi.deliberation.selectors import open_meetings
from sanshi.evaluation.services import open_round
from sanshi.intake.selectors import pool
from sanshi.intake.services import reporter_phone_reveal
from sanshi.notices.selectors import current_notice, evaluation_wait
from sanshi.rapid import services as rapid_services
from sanshi.rapid.models import Dispatch
from sanshi.registry.models import Department, Level, OrgNode
from sanshi.supervision.permissions import can_edit_calendar
from sanshi.supervision.selectors import calendar_year_missing
from sanshi.triage.models import TriageDecision
from sanshi.triage.similar import similar_open_cases

# ---- public ---------------------------------------------------------------------------------

def home(request):
    return render(request, "web/home.html")


# ---- staff ----------------------------------------------------------------------------------

TODO_SHOWN = 10  # the oldest first; the bodies' lists below hold the rest


@login_required
def staff_home(request):
    waiting = todo(request.user, limit=TODO_SHOWN + 1)
    # "去分拣" is an invitation for those who triage: the command centre and street officers
    may_triage = scope.holds(request.user, *scope.COMMAND_ROLES)
    cases = case_list(request.user)
    by_status = dict(cases.values_list("status").annotate(n=Count("id", distinct=True)).order_by())
    by_kind = dict(cases.exclude(kind="").values_list("kind").annotate(n=Count("id", distinct=True)).order_by())
    bodies = [(b.value, b.label) for b in Body]
    peak = max(by_status.values(), default=0) or 1
    return render(request, "web/staff_home.html", {
        "status_counts": [(s.value, s.label, by_status.get(s.value, 0), round(100 * by_status.get(s.value, 0) / peak))
                          for s in Status],
        "kind_counts": by_kind, "bodies": bodies, "pool_count": pool(request.user).count() if may_triage else 0,
        "calendar_missing": calendar_year_missing() if can_edit_calendar(request.user) else None,
        "todo": waiting[:TODO_SHOWN], "todo_more": len(waiting) > TODO_SHOWN, "action_labels": ACTION_LABELS,
    })


@login_required
@require_http_methods(["GET", "POST"])
def case_view(request, case_id: int):
    try:
        case = get_case_or_404(request.user, case_id)
    except NotFound:
        raise Http404 from None  # recorded as a refused access by the audit middleware
    errors, failed_action, revealed, status = {}, "", set(), None
    if request.method == "POST" and request.POST.get("action") == "reveal":
        request_id = int(request.POST["request"]) if request.POST.get("request", "").isdigit() else 0
        try:
            reporter_phone_reveal(actor=request.user, case=case, request_id=request_id,
                                  reason=request.POST.get("reason", ""))
            revealed.add(request_id)
        except ApplicationError as exc:
            errors, failed_action = (exc.errors or {"general": exc.message}), "reveal"
            status = _refusal_status(exc)
            messages.error(request, exc.message)
    elif request.method == "POST":
        action = request.POST.get("action", "")
        data = request.POST.dict()
        data["departments"] = request.POST.getlist("departments")
        data["grids"] = request.POST.getlist("grids")
        try:
            case_act(actor=request.user, case=case, action=action, data=data)
        except ApplicationError as exc:
            errors, failed_action = (exc.errors or {"general": exc.message}), action
            status = _refusal_status(exc)
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已完成：%(action)s") % {"action": ACTION_LABELS.get(action, action)})
            decision = (TriageDecision.objects.filter(request__case=case).order_by("-pk").first()
                        if action == "triage" else None)
            if decision is not None and decision.corrected and decision.actor_id == request.user.pk:
                # the operator changed the suggestion: say where the correction goes
                messages.info(request, _("您改正了系统建议，这条纠正已记下，分拣模型会在夜间重新训练时学习。"))
            return redirect(reverse("case", args=[case.pk]))
    return case_page(request, case, errors=errors, failed_action=failed_action, revealed=revealed, status=status)


def _refusal_status(exc: ApplicationError) -> int | None:
    """403 for an act the user may not take (as the API answers it; the audit middleware then writes
    its `access.denied` row, as for every staff page refused with 403); other refusals stay 400."""
    return 403 if isinstance(exc, NotPermitted) else None


def case_page(request, case, *, errors=None, failed_action: str = "", revealed=(), status: int | None = None,
              extra: dict | None = None):
    """Render the case page for `case` (already checked visible to the user): after a GET, or again
    after a refused act with its `errors` (status 400 unless given) — also for the acts of other
    apps' forms on the page (the urgent flow's withdraw form passes its own status and `extra`)."""
    errors = errors or {}
    requests = list(case.requests.prefetch_related("photos"))
    roles = scope.roles_of(request.user)
    handler = scope.is_handler(request.user, case, roles)
    meetings = open_meetings(request.user, body=case.body, org=case.org) if case.org else []
    suggestion = case.suggestion or (requests[0].suggestion if requests else {})
    evaluation_round = open_round(case) if case.status == Status.EVALUATING else None
    actions = scope.actions(request.user, case, offered_actions(case.status, case.kind), roles)
    # while the notice's objection period runs (or an objection waits), 提请评价 is no step yet: the page
    # says until when instead of offering a button the guard would refuse
    wait = evaluation_wait(current_notice(case)) if Action.REQUEST_EVALUATION in actions else None
    if wait:
        actions = [a for a in actions if a != Action.REQUEST_EVALUATION]
    return render(request, "web/case.html", {
        "case": case, "requests": [
            (r, r.reporter_phone if (handler and r.pk in revealed) else mask_phone(r.reporter_phone),
             r.reporter_name if handler else mask_name(r.reporter_name)) for r in requests],
        "may_reveal": handler,
        "events": case.events.all(),
        "actions": actions,
        # the user's own next steps; re-routing (退回重分) corrects a route and is no step: without any,
        # the page says who takes the case on
        "steps": [a for a in actions if a != Action.RETRIAGE],
        "action_labels": ACTION_LABELS, "suggestion": suggestion,
        "catalogue": current_items(), "departments": Department.objects.filter(active=True),
        "meetings": meetings, **_deliberation_parts(case),
        "errors": errors, "failed_action": failed_action, "posted": request.POST,
        "similar": similar_open_cases(request.user, case) if case.status == Status.RECEIVED else [],
        "evaluation_round": evaluation_round, "evaluation_wait": wait,
        "ratings_received": evaluation_round.ratings.count() if evaluation_round else 0,
        "my_rating": evaluation_round.ratings.filter(rater=f"user:{request.user.pk}").first() if evaluation_round else None,
        **(extra or {}),
    }, status=status or (400 if errors else 200))


def _deliberation_parts(case: Case) -> dict:
    """Each meeting that took the case up (grid opinions and the deciding meeting), the grids asked
    for an opinion, and, for a shared matter, the community's grids one may ask."""
    agenda = list(case.agenda_items.select_related("meeting").order_by("id"))
    consultations = list(case.consultations.select_related("grid"))
    grids = (OrgNode.objects.filter(parent_id=case.org_id, level=Level.GRID).order_by("code")
             if case.kind == "SHARED" and case.org_id else [])
    return {"agenda": agenda, "decide_agenda": [i for i in agenda if i.purpose == Purpose.DECIDE],
            "consultations": consultations, "community_grids": grids,
            "consulted_codes": {c.grid.code for c in consultations}}


@login_required
@require_POST
def dispatch_withdraw(request, dispatch_id: int):
    """撤回派单 from the case page's 突发快响 panel (the form beside the dispatch form). A refusal
    shows the case page again with the message, the field error and the reason as typed (the
    case page is the shell's: this form of the rapid app's panel posts here)."""
    dispatch = Dispatch.objects.select_related("case", "team").filter(pk=dispatch_id).first()
    if dispatch is None:
        raise Http404
    reason = request.POST.get("reason", "")
    try:
        rapid_services.dispatch_withdraw(actor=request.user, dispatch=dispatch, reason=reason)
    except NotFound:
        raise Http404 from None
    except ApplicationError as exc:
        messages.error(request, exc.message)
        failed = {"dispatch": dispatch.pk, "errors": exc.errors, "reason": reason}
        try:
            case = get_case_or_404(request.user, dispatch.case_id)
        except NotFound:
            raise Http404 from None
        return case_page(request, case, errors=exc.errors or {},
                         failed_action="withdraw_dispatch", status=exc.status_code,
                         extra={"rapid_withdraw_failed": failed})
    messages.success(request, format_lazy(_("已撤回{team}的派单，请改派其他队伍"), team=dispatch.team.name))
    return redirect(reverse("case", args=[dispatch.case_id]) + "#rapid-panel")
