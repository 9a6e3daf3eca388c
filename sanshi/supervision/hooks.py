"""What supervision does when a case moves (registered on the core's moves, run in their
transaction) and its sweeps in the worker."""

from sanshi.cases.hooks import action_handler, after_move
from sanshi.cases.models import Case, CaseEvent
from sanshi.cases.transitions import Action
from sanshi.core.jobs import sweep

from .services import (
    committee_progress_record,
    deadline_reroute,
    deadline_restart,
    deadline_start,
    supervision_on_close,
    supervision_sweep,
)


@after_move(Action.TRIAGE)
def start_deadline(*, case: Case, event: CaseEvent) -> None:
    """A triaged case gets its catalogue deadline (a PUBLIC matter goes on the street's ledger); an
    urgent event runs on the 1-5-10 clocks instead (rapid)."""
    if not case.urgent:
        deadline_start(case=case, at=event.at)


@after_move(Action.ESCALATE)
def restart_deadline(*, case: Case, event: CaseEvent) -> None:
    """提级复议: the level above starts a full catalogue deadline again."""
    deadline_restart(case=case, at=event.at)


@after_move(Action.RETRIAGE)
def reroute_deadline(*, case: Case, event: CaseEvent) -> None:
    """退回重分: the new body's deadline starts from the re-routing; the ledger follows the kind."""
    if not case.urgent:
        deadline_reroute(case=case, at=event.at)


@after_move(Action.CLOSE)
def accept(*, case: Case, event: CaseEvent) -> None:
    """Closed after a good rating: the deadline completes, the ledger entry closes, a household
    matter gets its follow-up visit."""
    supervision_on_close(case=case, at=event.at)


@action_handler(Action.RECORD_PROGRESS)
def record_progress(*, actor, case: Case, data: dict) -> None:
    committee_progress_record(actor=actor, case=case, note=data.get("note", "") or "")


sweep("supervision")(supervision_sweep)
