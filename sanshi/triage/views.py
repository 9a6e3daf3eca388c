"""The 未诉先办 page (hotspots: repeated requests handled as one matter) and the 分拣模型 page
(which model makes the suggestions, how well it does by cross-validation, the corrections it has
not learnt yet, and its retraining runs: sanshi.triage.training). Thin: the services decide."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from sanshi.cases import scope
from sanshi.cases.actions import get_case_or_404
from sanshi.cases.services import cases_merge_into
from sanshi.core.errors import ApplicationError

from .services import loaded_model
from .similar import hotspots_for
from .training import may_retrain, may_view, model_overview, triage_retrain_request


@login_required
@require_http_methods(["GET", "POST"])
def model_view(request):
    if not may_view(request.user):
        raise PermissionDenied
    status = 200
    if request.method == "POST":
        try:
            triage_retrain_request(actor=request.user)
        except ApplicationError as exc:
            messages.error(request, exc.message)
            status = exc.status_code
        else:
            messages.success(request, _("已排队重新训练。训练约需几分钟，完成后本页会显示结果。"))
            return redirect(reverse("triage-model"))
    context = model_overview(loaded_model())
    context["may_retrain"] = may_retrain(request.user)
    return render(request, "triage/model.html", context, status=status)


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
    return render(request, "triage/hotspots.html", {"hotspots": hotspots_for(request.user), "may_merge": may_merge},
                  status=400 if request.method == "POST" else 200)

