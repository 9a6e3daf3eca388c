"""The 分拣模型 page: which model makes the suggestions, how well it does by cross-validation, the
corrections it has not learnt yet, and its retraining runs (sanshi.triage.training). Thin: the
services decide."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from sanshi.core.errors import ApplicationError

from .services import loaded_model
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
