"""The evaluate action of the case page and the transitions endpoint."""

from sanshi.cases.hooks import action_handler
from sanshi.cases.models import Case
from sanshi.cases.transitions import Action

from .services import evaluation_submit


@action_handler(Action.EVALUATE)
def evaluate(*, actor, case: Case, data: dict) -> None:
    evaluation_submit(actor=actor, case=case, rating=data.get("rating", "") or "", comment=data.get("comment", "") or "")
