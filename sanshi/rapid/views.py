"""The responder's phone page, the case page's withdraw form (撤回派单) and the duty switch. Thin:
parse, call rapid.services, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from sanshi.core.errors import ApplicationError, NotFound, NotPermitted

from . import services
from .models import Dispatch, ResponseTeam
from .selectors import dispatches_for_member, teams_for_user

STEPS = {
    "accept": lambda user, d, post, files: services.dispatch_accept(actor=user, dispatch=d),
    "arrive": lambda user, d, post, files: services.dispatch_arrive(actor=user, dispatch=d),
    "result": lambda user, d, post, files: services.dispatch_report_result(
        actor=user, dispatch=d, result=post.get("result", ""), photo=files.get("photo")),
    "reinforcement": lambda user, d, post, files: services.dispatch_request_reinforcement(
        actor=user, dispatch=d, note=post.get("note", "")),
}
DONE = {"accept": _("已接单，请尽快赶赴现场"), "arrive": _("已确认到场"), "result": _("处置结果已反馈指挥中心"),
        "reinforcement": _("增援请求已发给指挥中心")}


def _page(request, *, errors=None, failed=None, status=200):
    user = request.user
    open_dispatches = list(dispatches_for_member(user))
    recent = list(dispatches_for_member(user, open_only=False).exclude(pk__in=[d.pk for d in open_dispatches])[:5])
    return render(request, "rapid/responder.html", {
        "dispatches": open_dispatches, "recent": recent, "teams": list(user.response_teams.all()),
        "errors": errors or {}, "failed": failed, "posted": request.POST,
        "now_time": timezone.localtime().strftime("%H:%M:%S")}, status=status)


@login_required
def responder(request):
    return _page(request)


@login_required
@require_POST
def dispatch_step(request, dispatch_id: int, step: str):
    dispatch = Dispatch.objects.select_related("case", "team").filter(pk=dispatch_id).first()
    if dispatch is None or step not in STEPS:
        raise Http404
    try:
        STEPS[step](request.user, dispatch, request.POST, request.FILES)
    except NotFound:
        raise Http404 from None
    except NotPermitted as exc:
        messages.error(request, exc.message)
        return _page(request, status=403)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return _page(request, errors=exc.errors, failed=(dispatch.pk, step), status=exc.status_code)
    messages.success(request, DONE[step])
    return redirect(reverse("responder"))


@login_required
def teams(request):
    return render(request, "rapid/teams.html", {"teams": teams_for_user(request.user)})


@login_required
@require_http_methods(["POST"])
def team_duty(request, team_id: int):
    team = ResponseTeam.objects.select_related("street").filter(pk=team_id).first()
    if team is None:
        raise Http404
    on_duty = request.POST.get("on_duty") in ("1", "true", "on")
    try:
        services.team_set_duty(actor=request.user, team=team, on_duty=on_duty)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return render(request, "rapid/teams.html", {"teams": teams_for_user(request.user)}, status=exc.status_code)
    messages.success(request, format_lazy(_("{team}已上岗") if on_duty else _("{team}已下岗"), team=team.name))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = reverse("rapid-teams")
    return redirect(target)
