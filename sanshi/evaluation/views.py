"""The parties' rating page (a party other than the reporter rates with its own code) and the slip of
rating codes the handler prints once."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from sanshi.accounts.throttling import limit_per_address
from sanshi.cases.actions import get_case_or_404
from sanshi.cases.models import Status
from sanshi.cases.selectors import public_timeline
from sanshi.core.errors import ApplicationError, NotFound

from .services import evaluation_by_code, party_code_case, party_slips


@limit_per_address("rate", "SANSHI_RATE_RATING")
@require_http_methods(["GET", "POST"])
def rate(request, code: str = ""):
    """`/rate/`: enter the rating code; `/rate/<code>/`: the matter's public timeline and the form.
    Limited per client address by the pages' one rule (behind SANSHI_NUM_PROXIES proxies too): a
    code is guessed by trying many."""
    code = (code or request.GET.get("code", "")).strip().upper()
    if not code:
        return render(request, "evaluation/rate.html", {})
    try:
        party = party_code_case(code)
    except NotFound:
        return render(request, "evaluation/rate.html", {"code": code, "not_found": True}, status=404)
    case = party.round.case
    if request.method == "POST":
        try:
            evaluation_by_code(code=code, rating=request.POST.get("rating", ""), comment=request.POST.get("comment", ""))
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("感谢您的评价！评价期结束后，结果会显示在办理过程中。"))
        return redirect(reverse("rate-code", args=[code]))
    rated = party.round.ratings.filter(rater=f"code:{party.pk}").exists()
    return render(request, "evaluation/rate.html", {
        "code": code, "case": case, "timeline": public_timeline(case), "rated": rated,
        "can_rate": case.status == Status.EVALUATING and party.round.decided_at is None and not rated,
        "due_at": party.round.due_at})


@login_required
def slips(request, case_id: int):
    """The rating codes of the open round not yet sent or printed: shown once, to print and hand out."""
    try:
        case = get_case_or_404(request.user, case_id)
        codes = party_slips(actor=request.user, case=case)
    except NotFound:
        raise Http404 from None
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(reverse("case", args=[case_id]))
    return render(request, "evaluation/slips.html", {"case": case, "codes": codes})
