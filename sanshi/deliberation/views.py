"""Deliberation's pages: each body's open cases, the meetings, convening one, and a meeting's page
(its agenda, resolutions and minutes). Thin: parse the form, call the same services as the API."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from sanshi.audit.services import audit_if_denied
from sanshi.cases import scope
from sanshi.cases.actions import get_case_or_404
from sanshi.cases.exports import CASE_HEADERS, CASE_WIDTHS, audited_export, case_rows, export_or_back
from sanshi.cases.filters import ListFilter, page_of
from sanshi.cases.models import OPEN_STATUSES, Case, Status
from sanshi.cases.routing import BODY_OF_LEVEL, BODY_ROLES, LEVEL_OF_BODY, PARTICIPANT_ROLE_LABELS, Body
from sanshi.cases.selectors import case_list
from sanshi.core.errors import ApplicationError, NotFound
from sanshi.core.forms import apply_errors
from sanshi.registry.models import Level, OrgNode, Role
from sanshi.registry.selectors import subtree

from .forms import MeetingForm
from .models import Meeting
from .selectors import meeting_list, meetings_for, open_cases_for_body, open_meetings
from .services import (
    ParticipantInput,
    meeting_add_case,
    meeting_record_minutes,
    meeting_record_opinion,
    meeting_resolve_case,
    meeting_schedule,
)

LABEL_TO_ROLE = {label: code for code, label in PARTICIPANT_ROLE_LABELS.items()}


BODY_STATUSES = [("", gettext_lazy("在办")), ("all", gettext_lazy("全部（含已办结）")), *Status.choices]


def _body_cases(request, body: str) -> tuple[ListFilter, QuerySet[Case], list]:
    """The body's cases as the query string filters them (open ones by default), oldest first."""
    if body not in Body.values:
        raise Http404
    roles = scope.roles_of(request.user)
    form = ListFilter(request.GET, user=request.user, statuses=BODY_STATUSES, roles=roles)
    qs = case_list(request.user, body=body, roles=roles)
    status = form.value("status")
    if not status:
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif status != "all":
        qs = qs.filter(status=status)
    return form, form.cases(qs).order_by("created_at", "id"), roles


@login_required
def body_cases(request, body: str):
    form, cases, _roles = _body_cases(request, body)
    meetings = open_meetings(request.user, body=body).order_by("-scheduled_at", "-id")[:20]
    return render(request, "deliberation/body_cases.html", {
        "body": Body(body), "page": page_of(request, cases), "form": form, "meetings": meetings,
        "export_url": reverse("body-cases-export", args=[body])}, status=400 if form.errors else 200)


@login_required
def body_cases_export(request, body: str):
    form, cases, roles = _body_cases(request, body)
    back = f"{reverse('body-cases', args=[body])}?{form.query()}"
    if form.errors:
        return redirect(back)
    label = str(Body(body).label)
    return export_or_back(request, back, lambda: audited_export(
        actor=request.user, what=f"cases:{body}", title=f"{label}事项", filters=form.description(),
        reason=form.reason(), count=cases.count(), filename=label, headers=CASE_HEADERS,
        rows=case_rows(request.user, cases, roles), widths=CASE_WIDTHS))


MEETING_STATUSES = [("", gettext_lazy("全部")), ("planned", gettext_lazy("未召开")), ("held", gettext_lazy("已召开"))]


def _meetings(request) -> tuple[ListFilter, QuerySet[Meeting]]:
    """The meetings in sight as the query string filters them: the title, the date held (or planned),
    the body, held or not, the node."""
    form = ListFilter(request.GET, user=request.user, statuses=MEETING_STATUSES, kind_choices=Body.choices,
                      period_label=gettext_lazy("会议日期"))
    qs = meeting_list(request.user).filter(form.period_q("scheduled_at"))
    q, kind, status, node = form.value("q"), form.value("kind"), form.value("status"), form.node_picked()
    if q:
        qs = qs.filter(title__icontains=q)
    if kind:
        qs = qs.filter(body=kind)
    if status:
        qs = qs.filter(held_at__isnull=status == "planned")
    if node is not None:
        qs = qs.filter(org__in=subtree(node))
    return form, qs


@login_required
def meetings(request):
    form, qs = _meetings(request)
    return render(request, "deliberation/meetings.html", {
        "page": page_of(request, qs), "form": form, "export_url": reverse("meetings-export")},
        status=400 if form.errors else 200)


MEETING_HEADERS = ["会议名称", "议事主体", "组织", "形式", "会议时间", "地点", "召集人", "议题（件）", "状态", "召开时间"]
MEETING_WIDTHS = [36, 14, 16, 10, 17, 20, 12, 10, 8, 17]


def _meeting_row(meeting: Meeting) -> list:
    return [meeting.title, meeting.get_body_display(), meeting.org.name, meeting.get_form_display(),
            meeting.scheduled_at, meeting.place, str(meeting.convener) if meeting.convener_id else "", meeting.n,
            "已召开" if meeting.held_at else "未召开", meeting.held_at]


@login_required
def meetings_export(request):
    form, qs = _meetings(request)
    back = f"{reverse('meetings')}?{form.query()}"
    if form.errors:
        return redirect(back)
    return export_or_back(request, back, lambda: audited_export(
        actor=request.user, what="meetings", title="议事会", filters=form.description(), reason=form.reason(),
        count=qs.count(), filename="议事会", headers=MEETING_HEADERS,
        rows=(_meeting_row(m) for m in qs.iterator(chunk_size=2000)), widths=MEETING_WIDTHS))


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
        return render(request, "deliberation/meeting_pick.html", {"orgs": _convenable_orgs(request.user)})
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
            audit_if_denied(request, exc, "meeting")
            apply_errors(form, exc)
        else:
            messages.success(request, _("议事会已召集"))
            return redirect(reverse("meeting", args=[meeting.pk]))
    role_hint = "、".join(str(PARTICIPANT_ROLE_LABELS[r]) for r in sorted(BODY_ROLES[body]))
    return render(request, "deliberation/meeting_new.html", {"form": form, "org": org, "body": Body(body),
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


def _case_id(posted: str | None) -> int:
    """The posted case's id; anything but a whole number is a case not found (404), never a 500."""
    try:
        return int(posted or 0)
    except ValueError:
        raise Http404 from None


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
                case = get_case_or_404(request.user, _case_id(request.POST.get("case")))
                if op == "add":
                    meeting_add_case(actor=request.user, meeting=meeting, case=case)
                elif op == "resolve":
                    meeting_resolve_case(actor=request.user, meeting=meeting, case=case,
                                         resolution=request.POST.get("resolution", ""))
                elif op == "opinion":
                    meeting_record_opinion(actor=request.user, meeting=meeting, case=case,
                                           opinion=request.POST.get("opinion", ""))
                else:
                    raise NotFound(_("未知的操作"))
        except ApplicationError as exc:
            audit_if_denied(request, exc, "meeting", meeting.pk)
            messages.error(request, exc.message + "".join(_("：") + str(m) for m in exc.errors.values()))
        else:
            messages.success(request, _("已保存"))
        return redirect(reverse("meeting", args=[meeting.pk]))
    items = meeting.items.select_related("case")
    addable = open_cases_for_body(request.user, meeting)
    return render(request, "deliberation/meeting.html", {"meeting": meeting, "items": items, "addable": addable,
                                                "participants": meeting.participants.all(),
                                                "role_labels": PARTICIPANT_ROLE_LABELS})

