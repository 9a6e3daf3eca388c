"""Intake's pages: the resident's report form and tracking page, the staff's registration (with a
tracking slip printed once for the resident), the request pool, and a search by a tracking code
read out on the phone. Thin: parse the form, call the same services as the API, render."""

import secrets

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from sanshi.accounts.idempotency import KeyReused, claim, form_fingerprint, remember
from sanshi.accounts.throttling import limit_per_address
from sanshi.cases import scope
from sanshi.cases.exports import audited_export, export_or_back, handled_chunks
from sanshi.cases.filters import ListFilter, page_of
from sanshi.cases.models import Status
from sanshi.cases.selectors import public_timeline
from sanshi.catalog.models import Kind
from sanshi.core.errors import ApplicationError, NotFound
from sanshi.core.forms import apply_errors
from sanshi.core.personal import mask_name, mask_personal_text, mask_phone
from sanshi.evaluation.services import evaluation_by_party
from sanshi.registry.models import Level, OrgNode

from .forms import RequestForm, StaffRequestForm
from .models import Request
from .selectors import case_for_tracking, normalise_code, pool
from .services import SUBMIT_ROLES, RequestInput, request_submit

ONCE_SALT = "sanshi.intake.report-once"  # the report form's one-time token (signed)
ONCE_SCOPE = "form:report"  # its keys among the idempotency keys
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
    initial = {"grid": request.GET.get("grid", ""), "sub_channel": request.GET.get("channel", "web"),
               "once": _once_token()}
    form = RequestForm(request.POST or None, request.FILES or None, initial=initial)
    door_plate = OrgNode.objects.filter(code=initial["grid"]).first() if initial["grid"] else None
    if request.method == "POST" and form.is_valid():
        try:
            return redirect(_report_once(request, form))
        except KeyReused:  # the page sent again with other content: show it, with a new token
            data = request.POST.copy()
            data["once"] = _once_token()
            form = RequestForm(data, initial=initial)
            form.is_valid()
            form.add_error(None, _("这份表单已经提交过一次。如果要反映另一件事，请核对内容（照片需重新选择）后再次提交。"))
        except ApplicationError as exc:
            apply_errors(form, exc)
    return render(request, "intake/report.html", {"form": form, "door_plate": door_plate},
                  status=400 if form.errors else 200)


def _once_token() -> str:
    """The report form's one-time token: a random key, signed with the time it was issued."""
    return signing.dumps(secrets.token_hex(16), salt=ONCE_SALT)


def _report_once(request, form: RequestForm) -> str:
    """Submit the report and return its done page. With the form's one-time token (signed by us,
    issued within SANSHI_IDEMPOTENCY_HOURS) the done page is kept under it in the report's own
    transaction: the same form sent again — a double click, a page sent again after a timeout —
    waits for the first to finish and gets its done page, and no second case."""
    try:
        key = signing.loads(form.cleaned_data.get("once") or "", salt=ONCE_SALT,
                            max_age=settings.SANSHI_IDEMPOTENCY_HOURS * 3600)
    except signing.BadSignature:
        key = None  # no token (a script), or not ours, or too old: submitted as it is
    if key is None:
        return _submit_report(request, form)
    fingerprint = form_fingerprint(request, ignore=frozenset({"csrfmiddlewaretoken"}))
    with transaction.atomic():
        kept = claim(scope=ONCE_SCOPE, key=key, fingerprint=fingerprint, wait=True)
        if kept is not None:
            return kept.body
        done = _submit_report(request, form)
        remember(scope=ONCE_SCOPE, key=key, fingerprint=fingerprint, status=302, content_type="", body=done)
    return done


def _submit_report(request, form: RequestForm) -> str:
    """Submit the report; return its done page."""
    created = request_submit(actor=request.user, data=_request_input(form.cleaned_data),
                             photos=form.cleaned_data.get("photos") or [])
    return reverse("report-done", args=[created.tracking_code])


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
    form, cases, _roles = _pool(request)
    return render(request, "intake/pool.html", {"page": page_of(request, cases), "form": form,
                                                "export_url": reverse("pool-export")},
                  status=400 if form.errors else 200)


def _pool(request):
    """The pool as the query string filters it: search, received when, the suggested kind, where."""
    roles = scope.roles_of(request.user)
    form = ListFilter(request.GET, user=request.user, kind_choices=Kind.choices, kind_label=_("建议类别"), roles=roles)
    return form, form.cases(pool(request.user, roles), kind_field="suggestion__kind").order_by("created_at", "id"), roles


POOL_HEADERS = ["编号", "受理时间", "来源", "事项", "诉求内容", "所在网格", "地址", "反映人", "联系电话", "建议类别",
                "建议清单事项", "置信度", "同一事项的诉求（件）"]
POOL_WIDTHS = [18, 17, 14, 30, 50, 16, 24, 10, 14, 10, 14, 8, 10]


def _pool_rows(user, cases, roles):
    """The pool's export rows: the reporter's name, address and words in full only for who handles
    the request (the command centre while it waits here); phones always masked (revealing one is
    one request, with a reason, on the case page); never the tracking code."""
    for batch, handled in handled_chunks(user, cases, roles):
        for case in batch:
            requests = list(case.requests.all())
            first = requests[0] if requests else None
            mine = case.pk in handled
            suggestion = case.suggestion or (first.suggestion if first else {}) or {}
            confidence = suggestion.get("confidence")
            yield [case.number, first.received_at if first else case.created_at,
                   first.get_sub_channel_display() if first else "", case.title,
                   (first.text if mine else mask_personal_text(first.text)) if first else "",
                   case.grid.name if case.grid_id else "未定位网格",
                   (first.address if mine else "") if first else "",
                   (first.reporter_name if mine else mask_name(first.reporter_name)) if first else "",
                   mask_phone(first.reporter_phone) if first else "",
                   dict(Kind.choices).get(suggestion.get("kind") or "", ""), suggestion.get("catalogue_code") or "",
                   f"{confidence:.0%}" if isinstance(confidence, (int, float)) else "", len(requests)]


@login_required
def pool_export(request):
    form, cases, roles = _pool(request)
    back = f"{reverse('pool')}?{form.query()}"
    if form.errors:
        return redirect(back)
    return export_or_back(request, back, lambda: audited_export(
        actor=request.user, what="pool", title="诉求池", filters=form.description(), reason=form.reason(),
        count=cases.count(), filename="诉求池", headers=POOL_HEADERS, rows=_pool_rows(request.user, cases.select_related(*scope.HANDLER_RELATED), roles),
        widths=POOL_WIDTHS))


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
