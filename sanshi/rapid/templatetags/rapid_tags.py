"""The urgent flow's parts of the case page: the triage form's dispatch fields, and the panel with
clocks, dispatched teams (each not yet on site with its withdraw form) and the dispatch /
reinforcement / re-dispatch form."""

from django import template

from sanshi.core.errors import NotPermitted

from ..models import ResponseTeam
from ..permissions import check_dispatcher
from ..selectors import case_dispatches, pending_reinforcement, redispatch_wanted
from ..services import case_street, dispatch_suggest, reinforcement_police

register = template.Library()


def _on_duty_teams(case, exclude=()):
    street = case_street(case)
    if street is None:
        return []
    return list(ResponseTeam.objects.filter(street=street, on_duty=True).exclude(pk__in=list(exclude))
                .order_by("kind", "name"))


@register.inclusion_tag("rapid/_triage_dispatch.html")
def rapid_triage_dispatch(case):
    """Shown inside the triage form: who would be sent if the operator ticks 紧急事件."""
    if case.grid is None:
        return {"case": case, "suggestion": None, "teams": []}
    return {"case": case, "suggestion": dispatch_suggest(case), "teams": _on_duty_teams(case)}


@register.inclusion_tag("rapid/_case_panel.html", takes_context=True)
def rapid_case_panel(context, case):
    if not case.urgent:
        return {"show": False}
    user = context["request"].user
    try:
        check_dispatcher(user, case)
        dispatcher = True
    except NotPermitted:
        dispatcher = False
    dispatches = list(case_dispatches(case))
    handling = case.status == "handling"
    redispatch = handling and redispatch_wanted(dispatches)  # every first team withdrawn: send another
    pending = pending_reinforcement(case) if handling and not redispatch else None
    can_dispatch = dispatcher and ((case.status == "triaged" and not dispatches) or redispatch or pending is not None)
    failed = context.get("rapid_withdraw_failed") or {}  # a refused withdrawal, shown again (rapid.views)
    for d in dispatches:  # a team not yet on site may be withdrawn by whoever may dispatch
        d.can_withdraw = dispatcher and handling and d.withdrawn_at is None and d.arrived_at is None
        d.withdraw_failed = failed if failed.get("dispatch") == d.pk else None
    sent = [d.team_id for d in dispatches]  # not suggested again, withdrawn or not
    active = [d.team_id for d in dispatches if d.withdrawn_at is None]  # a withdrawn team may be chosen by hand
    suggestion = (dispatch_suggest(case, police=reinforcement_police(pending) if pending else None, exclude=sent)
                  if can_dispatch else None)
    withdrawn = [d for d in dispatches if d.withdrawn_at is not None and d.reinforcement_for_id is None]
    return {"show": True, "case": case, "clocks": list(case.clocks.all()), "dispatches": dispatches,
            "pending": pending, "redispatch": redispatch, "withdrawn_team": withdrawn[-1].team if withdrawn else None,
            "can_dispatch": can_dispatch, "suggestion": suggestion,
            "teams": _on_duty_teams(case, exclude=active) if can_dispatch else [],
            "csrf_token": context.get("csrf_token")}
