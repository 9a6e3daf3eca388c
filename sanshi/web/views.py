"""Server-rendered pages. Thin: parse the form, call the same services as the API, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from sanshi.cases import scope
from sanshi.cases.actions import case_act, get_case_or_404
from sanshi.cases.models import Status
from sanshi.cases.routing import BODY_OF_LEVEL, BODY_ROLES, LEVEL_OF_BODY, PARTICIPANT_ROLE_LABELS, Body
from sanshi.cases.selectors import case_list, public_timeline, todo
from sanshi.cases.services import cases_merge_into
from sanshi.cases.transitions import ACTION_LABELS, offered_actions
from sanshi.catalog.selectors import current_items
from sanshi.core.errors import ApplicationError, NotFound
from sanshi.core.personal import mask_name, mask_phone
from sanshi.deliberation.selectors import meeting_list, meetings_for, open_cases_for_body, open_meetings
from sanshi.deliberation.services import (
    ParticipantInput,
    meeting_add_case,
    meeting_record_minutes,
    meeting_resolve_case,
    meeting_schedule,
)
from sanshi.evaluation.services import evaluation_by_party
from sanshi.intake.selectors import case_for_tracking, pool
from sanshi.intake.services import SUBMIT_ROLES, RequestInput, reporter_phone_reveal, request_submit
from sanshi.registry.models import Department, Level, OrgNode, Role
from sanshi.supervision.permissions import can_edit_calendar
from sanshi.supervision.selectors import calendar_year_missing
from sanshi.triage.models import TriageDecision
from sanshi.triage.similar import hotspots_for, similar_open_cases

from .forms import MeetingForm, RequestForm, StaffRequestForm

LABEL_TO_ROLE = {label: code for code, label in PARTICIPANT_ROLE_LABELS.items()}


def _apply_errors(form, exc: ApplicationError) -> None:
    for field, message in exc.errors.items():
        form.add_error(field if field in form.fields else None, message)
    if not exc.errors:
        form.add_error(None, exc.message)


def _request_input(cleaned: dict) -> RequestInput:
    return RequestInput(text=cleaned["text"], title=cleaned.get("title", ""),
                        sub_channel=cleaned["sub_channel"], grid_code=cleaned.get("grid") or "",
                        address=cleaned.get("address", ""), reporter_name=cleaned.get("reporter_name", ""),
                        reporter_phone=cleaned.get("reporter_phone", ""))


# ---- public ---------------------------------------------------------------------------------

def home(request):
    return render(request, "web/home.html")


@require_http_methods(["GET", "POST"])
def report(request):
    initial = {"grid": request.GET.get("grid", ""), "sub_channel": request.GET.get("channel", "web")}
    form = RequestForm(request.POST or None, request.FILES or None, initial=initial)
    door_plate = OrgNode.objects.filter(code=initial["grid"]).first() if initial["grid"] else None
    if request.method == "POST" and form.is_valid():
        try:
            created = request_submit(actor=request.user, data=_request_input(form.cleaned_data),
                                     photos=form.cleaned_data.get("photos") or [])
        except ApplicationError as exc:
            _apply_errors(form, exc)
        else:
            return redirect(reverse("report-done", args=[created.tracking_code]))
    return render(request, "web/report.html", {"form": form, "door_plate": door_plate},
                  status=400 if form.errors else 200)


def report_done(request, code: str):
    try:
        case = case_for_tracking(code)
    except NotFound:
        raise Http404 from None
    return render(request, "web/report_done.html", {"code": code, "case": case})


@require_http_methods(["GET", "POST"])
def track(request, code: str = ""):
    code = (code or request.GET.get("code", "")).strip().upper()
    if not code:
        return render(request, "web/track_lookup.html")
    try:
        case = case_for_tracking(code)
    except NotFound:
        return render(request, "web/track_lookup.html", {"code": code, "not_found": True}, status=404)
    if request.method == "POST":
        try:
            evaluation_by_party(case=case, rating=request.POST.get("rating", ""),
                                comment=request.POST.get("comment", ""))
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("感谢您的评价！"))
        return redirect(reverse("track-code", args=[code]))
    req = case.requests.filter(tracking_code=code).first()
    return render(request, "web/track.html", {
        "code": code, "case": case, "timeline": public_timeline(case), "req": req,
        "reporter": mask_name(req.reporter_name),
        "can_rate": case.kind == "HOUSEHOLD" and case.status == Status.EVALUATING,
    })


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
def staff_submit(request):
    grids = list(OrgNode.objects.filter(scope.nodes_q(request.user, "", only=SUBMIT_ROLES), level=Level.GRID)
                 .select_related("parent"))
    form = StaffRequestForm(request.POST or None, request.FILES or None, grids=grids)
    if request.method == "POST" and form.is_valid():
        try:
            created = request_submit(actor=request.user, data=_request_input(form.cleaned_data),
                                     photos=form.cleaned_data.get("photos") or [])
        except ApplicationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("已登记，查询码 %(code)s") % {"code": created.tracking_code})
            return redirect(reverse("case", args=[created.case_id]))
    return render(request, "web/staff_submit.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def pool_view(request):
    cases = pool(request.user)[:200]
    return render(request, "web/pool.html", {"cases": cases})


@login_required
@require_http_methods(["GET", "POST"])
def hotspots_view(request):
    if request.method == "POST":  # 合并办理: the cluster's waiting requests become one matter
        try:
            ids = [int(i) for i in request.POST.getlist("cases")]
            into = get_case_or_404(request.user, int(request.POST.get("into") or 0))
            cases = [get_case_or_404(request.user, i) for i in ids if i != into.pk]
            merged = cases_merge_into(actor=request.user, cases=cases, into=into)
        except ValueError:
            messages.error(request, _("请选择要合并办理的事项"))
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已将 %(n)s 件诉求合并到 %(number)s，请分拣这件事项。")
                             % {"n": len(merged), "number": into.number})
            return redirect(reverse("case", args=[into.pk]))
    may_merge = scope.holds(request.user, *scope.COMMAND_ROLES)
    return render(request, "web/hotspots.html", {"hotspots": hotspots_for(request.user), "may_merge": may_merge},
                  status=400 if request.method == "POST" else 200)


@login_required
def body_cases(request, body: str):
    if body not in Body.values:
        raise Http404
    cases = case_list(request.user, body=body, open_only=True).order_by("created_at")[:300]
    meetings = open_meetings(request.user, body=body).order_by("-scheduled_at", "-id")[:20]
    return render(request, "web/body_cases.html", {"body": Body(body), "cases": cases, "meetings": meetings})


@login_required
@require_http_methods(["GET", "POST"])
def case_view(request, case_id: int):
    try:
        case = get_case_or_404(request.user, case_id)
    except NotFound:
        raise Http404 from None  # recorded as a refused access by the audit middleware
    errors, failed_action, revealed = {}, "", set()
    if request.method == "POST" and request.POST.get("action") == "reveal":
        request_id = int(request.POST["request"]) if request.POST.get("request", "").isdigit() else 0
        try:
            reporter_phone_reveal(actor=request.user, case=case, request_id=request_id,
                                  reason=request.POST.get("reason", ""))
            revealed.add(request_id)
        except ApplicationError as exc:
            errors, failed_action = (exc.errors or {"general": exc.message}), "reveal"
            messages.error(request, exc.message)
    elif request.method == "POST":
        action = request.POST.get("action", "")
        data = request.POST.dict()
        data["departments"] = request.POST.getlist("departments")
        try:
            case_act(actor=request.user, case=case, action=action, data=data)
        except ApplicationError as exc:
            errors, failed_action = (exc.errors or {"general": exc.message}), action
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已完成：%(action)s") % {"action": ACTION_LABELS.get(action, action)})
            decision = (TriageDecision.objects.filter(request__case=case).order_by("-pk").first()
                        if action == "triage" else None)
            if decision is not None and decision.corrected and decision.actor_id == request.user.pk:
                # the operator changed the suggestion: say where the correction goes
                messages.info(request, _("您改正了系统建议，这条纠正已记下，分拣模型会在夜间重新训练时学习。"))
            return redirect(reverse("case", args=[case.pk]))
    return case_page(request, case, errors=errors, failed_action=failed_action, revealed=revealed)


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
    return render(request, "web/case.html", {
        "case": case, "requests": [
            (r, r.reporter_phone if (handler and r.pk in revealed) else mask_phone(r.reporter_phone),
             r.reporter_name if handler else mask_name(r.reporter_name)) for r in requests],
        "may_reveal": handler,
        "events": case.events.all(),
        "actions": scope.actions(request.user, case, offered_actions(case.status, case.kind), roles),
        "action_labels": ACTION_LABELS, "suggestion": suggestion,
        "catalogue": current_items(), "departments": Department.objects.filter(active=True),
        "meetings": meetings, "agenda": case.agenda_items.select_related("meeting"),
        "errors": errors, "failed_action": failed_action, "posted": request.POST,
        "similar": similar_open_cases(request.user, case) if case.status == Status.RECEIVED else [],
        **(extra or {}),
    }, status=status or (400 if errors else 200))


MEETINGS_SHOWN = 300


@login_required
def meetings(request):
    return render(request, "web/meetings.html", {"meetings": meeting_list(request.user)[:MEETINGS_SHOWN]})


def _parse_participants(text: str) -> list[ParticipantInput]:
    """One person a line: their role, then their name; "@username" links the person to their account
    (they then see the cases on the agenda), e.g. "调解员 张三 @demo-mediator"."""
    people = []
    for line in (text or "").splitlines():
        parts = line.replace("，", " ").replace(",", " ").split()
        if not parts:
            continue
        role = LABEL_TO_ROLE.get(parts[0], parts[0])
        accounts = [p[1:] for p in parts[1:] if p.startswith("@") and len(p) > 1]
        name = " ".join(p for p in parts[1:] if not p.startswith("@"))
        people.append(ParticipantInput(role, name, accounts[0] if accounts else ""))
    return people


@login_required
@require_http_methods(["GET", "POST"])
def meeting_new(request):
    org = OrgNode.objects.filter(code=request.GET.get("org") or request.POST.get("org", "")).first()
    body = request.GET.get("body") or request.POST.get("body", "")
    if org is None or body not in Body.values or LEVEL_OF_BODY.get(body) != org.level:
        return render(request, "web/meeting_pick.html", {"orgs": _convenable_orgs(request.user)})
    candidates = list(case_list(request.user, body=body).filter(org=org, status__in=[Status.TRIAGED,
                                                                                       Status.DELIBERATING]))
    default_title = f"{org.name}{Body(body).label}（{timezone.localdate():%m月%d日}）"
    form = MeetingForm(request.POST or None, initial={"title": default_title})
    if request.method == "POST" and form.is_valid():
        picked = [c for c in candidates if str(c.pk) in request.POST.getlist("cases")]
        try:
            meeting = meeting_schedule(
                actor=request.user, org=org, body=body, title=form.cleaned_data["title"],
                form=form.cleaned_data["form"], scheduled_at=form.cleaned_data["scheduled_at"],
                place=form.cleaned_data["place"], participants=_parse_participants(form.cleaned_data["participants"]),
                cases=picked)
        except ApplicationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("议事会已召集"))
            return redirect(reverse("meeting", args=[meeting.pk]))
    role_hint = "、".join(str(PARTICIPANT_ROLE_LABELS[r]) for r in sorted(BODY_ROLES[body]))
    return render(request, "web/meeting_new.html", {"form": form, "org": org, "body": Body(body),
                                                    "candidates": candidates, "role_hint": role_hint},
                  status=400 if form.errors else 200)


def _convenable_orgs(user):
    """The bodies the user convenes: their own node's (and, where a street lets the community lead
    household matters, its grids' neighbour meetings)."""
    out = []
    for role in scope.roles_of(user):
        node = role.node
        body = BODY_OF_LEVEL.get(node.level)
        if body is not None and scope.leads(role, node, body):
            out.append((node, body))
        if role.role == Role.COMMUNITY_SECRETARY:
            for grid in node.children.filter(level=Level.GRID):
                if scope.leads(role, grid, Body.GRID_NEIGHBOUR_MEETING):
                    out.append((grid, Body.GRID_NEIGHBOUR_MEETING))
    return out


@login_required
@require_http_methods(["GET", "POST"])
def meeting_view(request, meeting_id: int):
    meeting = meetings_for(request.user).select_related("org", "convener").filter(pk=meeting_id).first()
    if meeting is None:
        raise Http404
    if request.method == "POST":
        op = request.POST.get("op")
        try:
            if op == "minutes":
                meeting_record_minutes(actor=request.user, meeting=meeting, minutes=request.POST.get("minutes", ""))
            else:
                case = get_case_or_404(request.user, int(request.POST.get("case") or 0))
                if op == "add":
                    meeting_add_case(actor=request.user, meeting=meeting, case=case)
                elif op == "resolve":
                    meeting_resolve_case(actor=request.user, meeting=meeting, case=case,
                                         resolution=request.POST.get("resolution", ""))
                else:
                    raise NotFound(_("未知的操作"))
        except ApplicationError as exc:
            messages.error(request, exc.message + "".join(_("：") + str(m) for m in exc.errors.values()))
        else:
            messages.success(request, _("已保存"))
        return redirect(reverse("meeting", args=[meeting.pk]))
    items = meeting.items.select_related("case")
    addable = open_cases_for_body(request.user, meeting)
    return render(request, "web/meeting.html", {"meeting": meeting, "items": items, "addable": addable,
                                                "participants": meeting.participants.all(),
                                                "role_labels": PARTICIPANT_ROLE_LABELS})

