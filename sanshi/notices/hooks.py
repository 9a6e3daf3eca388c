"""The notice board's part in the core's moves (registered from NoticesConfig.ready()): a notice is
posted when a case is publicised, concluded when evaluation is requested, reopened when an
objection is upheld; and the guard that refuses a request for evaluation during the objection
period or while an objection waits for moderation."""

from sanshi.cases.hooks import after_move, before_move
from sanshi.cases.models import Case, CaseEvent
from sanshi.cases.transitions import Action

from .services import notice_conclude, notice_period_guard, notice_post, notice_reopen


@after_move(Action.PUBLICISE)
def post_the_notice(*, case: Case, event: CaseEvent) -> None:
    notice_post(actor=event.actor, case=case, event=event)


@after_move(Action.REQUEST_EVALUATION)
def conclude_the_notice(*, case: Case, event: CaseEvent) -> None:
    notice_conclude(actor=event.actor, case=case, event=event)


@after_move(Action.REOPEN)
def reopen_the_notice(*, case: Case, event: CaseEvent) -> None:
    notice_reopen(actor=event.actor, case=case, event=event)


before_move(Action.REQUEST_EVALUATION)(notice_period_guard)
