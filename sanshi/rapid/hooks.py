"""What the urgent flow does when a case moves, the dispatch action, the sweep of the 1-5-10
clocks, and who sees or handles a case through a response team."""

from sanshi.cases import scope
from sanshi.cases.hooks import action_handler, after_move, detail_part
from sanshi.cases.models import Case, CaseEvent
from sanshi.cases.services import received_at
from sanshi.cases.transitions import Action
from sanshi.core.jobs import sweep

from .models import Dispatch
from .services import case_dispatch, clocks_start_urgent, clocks_sweep, team_choice


@after_move(Action.TRIAGE)
def start_urgent_clocks(*, case: Case, event: CaseEvent) -> None:
    """突发快响: an urgent event's 1-5-10 clocks run from its receipt (the dispatch clock stops at
    `case_dispatch`); other cases get their catalogue deadline (supervision)."""
    if case.urgent:
        clocks_start_urgent(case=case, received_at=received_at(case))


@action_handler(Action.DISPATCH)
def dispatch(*, actor, case: Case, data: dict) -> None:
    police = data.get("police")
    police = None if police in (None, "") else police not in ("0", "false", False)
    team = team_choice(case=case, value=data.get("team"), police=police)
    case_dispatch(actor=actor, case=case, team=team, police=police)


@detail_part("clocks")
def clocks(case: Case) -> list[dict]:
    """A case's clocks in its API detail: the 1-5-10 limits of an urgent event, or its deadline."""
    return [{"name": c.name, "due_at": c.due_at, "done_at": c.done_at, "breached": c.breached}
            for c in case.clocks.order_by("due_at", "id")]


def cases_of_my_teams(user):
    """The cases dispatched to the teams `user` belongs to."""
    return Dispatch.objects.filter(team__memberships__user=user).values("case_id")


def sent_to_with_my_team(user):
    """The members of a team sent to a case (and not withdrawn) handle it: those cases' ids."""
    return Dispatch.objects.filter(withdrawn_at__isnull=True, team__memberships__user=user).values("case_id")


def register() -> None:
    scope.register_audience(cases_of_my_teams)
    scope.register_handled(sent_to_with_my_team)


sweep("clocks", report="breached {n} clock(s)")(clocks_sweep)
