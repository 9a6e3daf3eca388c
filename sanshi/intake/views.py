"""Intake's pages: the resident's report form and tracking page, the staff's registration (with a
tracking slip printed once for the resident), the request pool, and a search by a tracking code
read out on the phone. Thin: parse the form, call the same services as the API, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from sanshi.accounts.throttling import limit_per_address
from sanshi.cases import scope
from sanshi.cases.models import Status
from sanshi.cases.selectors import public_timeline
from sanshi.core.errors import ApplicationError, NotFound
from sanshi.core.forms import apply_errors
from sanshi.core.personal import mask_name
from sanshi.evaluation.services import evaluation_by_party
from sanshi.registry.models import Level, OrgNode

from .forms import RequestForm, StaffRequestForm
from .models import Request
from .selectors import case_for_tracking, normalise_code, pool
from .services import SUBMIT_ROLES, RequestInput, request_submit

POOL_SHOWN = 200
SLIP_KEY = "intake:slip:{}"  # the session keeps a tracking code until its slip is printed once


def _request_input(cleaned: dict) -> RequestInput:
    return RequestInput(text=cleaned["text"], title=cleaned.get("title", ""),
                        sub_channel=cleaned["sub_channel"], grid_code=cleaned.get("grid") or "",
                        address=cleaned.get("address", ""), reporter_name=cleaned.get("reporter_name", ""),
                        reporter_phone=cleaned.get("reporter_phone", ""))


# ---- residents ------------------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
@limit_per_address("report", "SANSHI_RATE_REPORT", method="POST")
def report(request):
    initial = {"grid": request.GET.get("grid", ""), "sub_channel": request.GET.get("channel", "web")}
    form = RequestForm(request.POST or None, request.FILES or None, initial=initial)
    door_plate = OrgNode.objects.filter(code=initial["grid"]).first() if initial["grid"] else None
    if request.method == "POST" and form.is_valid():
        try:
            created = request_submit(actor=request.user, data=_request_input(form.cleaned_data),
                                     photos=form.cleaned_data.get("photos") or [])
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            return redirect(reverse("report-done", args=[created.tracking_code]))
    return render(request, "intake/report.html", {"form": form, "door_plate": door_plate},
                  status=400 if form.errors else 200)


@limit_per_address("track", "SANSHI_RATE_TRACK")
def report_done(request, code: str):
    try:
        case = case_for_tracking(code)
    except NotFound:
        raise Http404 from None
    return render(request, "intake/report_done.html", {"code": code, "case": case})


@require_http_methods(["GET", "POST"])
@limit_per_address("track", "SANSHI_RATE_TRACK")
def track(request, code: str = ""):
    """The resident's page: the case's public timeline, and — for a party to a household matter in
    evaluation — the rating form (the tracking code is the proof of being a party)."""
    code = normalise_code(code or request.GET.get("code", ""))
    if not code:
        return render(request, "intake/track_lookup.html")
    try:
        case = case_for_tracking(code)
    except NotFound:
        return render(request, "intake/track_lookup.html", {"code": code, "not_found": True}, status=404)
    if request.method == "POST":
        reporter = case.requests.filter(tracking_code=code).values_list("pk", flat=True).first()
        try:
            evaluation_by_party(case=case, rating=request.POST.get("rating", ""),
                                comment=request.POST.get("comment", ""), request_id=reporter)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("感谢您的评价！"))
        return redirect(reverse("track-code", args=[code]))
    req = case.requests.filter(tracking_code=code).first()
    return render(request, "intake/track.html", {
        "code": code, "case": case, "timeline": public_timeline(case), "req": req,
        "reporter": mask_name(req.reporter_name),
        "can_rate": case.kind == "HOUSEHOLD" and case.status == Status.EVALUATING,
    })


# ---- staff ----------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def staff_submit(request):
    """A grid worker (or other staff) registers a request for a resident. Staff never see the
    tracking code: it goes to the resident by SMS (when a phone is given) and on a slip that this
    page prints once."""
    grids = list(OrgNode.objects.filter(scope.nodes_q(request.user, "", only=SUBMIT_ROLES), level=Level.GRID)
                 .select_related("parent"))
    form = StaffRequestForm(request.POST or None, request.FILES or None, grids=grids)
    if request.method == "POST" and form.is_valid():
        try:
            created = request_submit(actor=request.user, data=_request_input(form.cleaned_data),
                                     photos=form.cleaned_data.get("photos") or [])
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            request.session[SLIP_KEY.format(created.pk)] = created.tracking_code
            messages.success(request, _("已登记为事项 %(number)s。请把回执单交给居民，凭回执上的查询码查看进度。")
                             % {"number": created.case.number})
            return redirect(reverse("intake-slip", args=[created.pk]))
    return render(request, "intake/staff_submit.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def slip(request, request_id: int):
    """The resident's tracking slip, shown once right after registration (then gone from the
    session): print it or read it to the resident; staff cannot open it again."""
    code = request.session.pop(SLIP_KEY.format(request_id), None)
    registered = Request.objects.select_related("case").filter(pk=request_id, submitted_by=request.user).first()
    if registered is None:
        raise Http404
    return render(request, "intake/slip.html", {"code": code, "req": registered, "case": registered.case},
                  status=200 if code else 410)


@login_required
def pool_view(request):
    return render(request, "intake/pool.html", {"cases": pool(request.user)[:POOL_SHOWN]})


@login_required
def find_by_code(request):
    """A resident reads out a tracking code on the phone: open the case (if in sight) without the
    code ever being shown; an unknown code or a case out of sight reads the same."""
    code = normalise_code(request.GET.get("code", ""))
    found = (Request.objects.filter(tracking_code=code, case__in=scope.cases(request.user))
             .values_list("case_id", flat=True).first()) if code else None
    if found is None:
        messages.error(request, _("没有找到这个查询码对应的、您可以查看的事项"))
        return redirect(reverse("staff-home"))
    return redirect(reverse("case", args=[found]))
