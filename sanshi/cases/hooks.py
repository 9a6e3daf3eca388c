"""Where the other apps plug into the core, each registering from its own AppConfig.ready():

- `after_move(*actions)`: what follows a move in another app — a deadline or the 1-5-10 clocks on
  triage, the ledger and the follow-up visit on close, a deadline restarted on escalation, feedback
  to the reporters. Run by `transition()` inside its transaction, after the event row is written:
  the move and everything it sets off commit or roll back together.
- `before_move(*actions)`: a guard another app puts on a move — the notice board refuses a request
  for evaluation while the objection period runs. Run by `transition()` inside its transaction,
  right after the move is found in the table and the case row is locked, before anything is
  written; a guard refuses by raising `TransitionNotAllowed` (HTTP 409), and nothing changes.
- `personal_names(provider)`: who an app knows by name on a case (intake: its reporters), for the
  text posted publicly to mask them.
- `action_handler(action)`: the service that performs an action named on the case page or in
  `POST /cases/{id}/transitions` (`cases.actions.case_act` looks it up), so the core dispatches to
  deliberation, evaluation, rapid and intake without importing them.

The core imports no domain app; the domain apps import the core and register here (the layers
are checked by import-linter, `make test`)."""

from collections.abc import Callable, Iterable
from typing import Any

from .models import Case, CaseEvent

MoveHook = Callable[..., None]  # hook(*, case: Case, event: CaseEvent) -> None
MoveGuard = Callable[..., None]  # guard(*, case: Case, action: str, actor) -> None, or raise TransitionNotAllowed
ActionHandler = Callable[..., Any]  # handler(*, actor, case: Case, data: dict) -> Any

_AFTER_MOVE: dict[str, list[MoveHook]] = {}
_BEFORE_MOVE: dict[str, list[MoveGuard]] = {}
_ACTION_HANDLERS: dict[str, ActionHandler] = {}


def after_move(*actions: str) -> Callable[[MoveHook], MoveHook]:
    """Register `hook(case=…, event=…)` to run after each move by one of `actions`."""

    def register(hook: MoveHook) -> MoveHook:
        for action in actions:
            hooks = _AFTER_MOVE.setdefault(str(action), [])
            if hook not in hooks:  # ready() may run twice in tests
                hooks.append(hook)
        return hook

    return register


def run_after_move(*, case: Case, event: CaseEvent) -> None:
    for hook in _AFTER_MOVE.get(event.action, ()):
        hook(case=case, event=event)


def before_move(*actions: str) -> Callable[[MoveGuard], MoveGuard]:
    """Register `guard(case=…, action=…, actor=…)` to run before each move by one of `actions`; it
    may refuse the move by raising `TransitionNotAllowed`."""

    def register(guard: MoveGuard) -> MoveGuard:
        for action in actions:
            guards = _BEFORE_MOVE.setdefault(str(action), [])
            if guard not in guards:  # ready() may run twice in tests
                guards.append(guard)
        return guard

    return register


def run_before_move(*, case: Case, action: str, actor) -> None:
    for guard in _BEFORE_MOVE.get(str(action), ()):
        guard(case=case, action=str(action), actor=actor)


def action_handler(action: str) -> Callable[[ActionHandler], ActionHandler]:
    """Register the service behind an action of the case page and the transitions endpoint."""

    def register(handler: ActionHandler) -> ActionHandler:
        _ACTION_HANDLERS[str(action)] = handler
        return handler

    return register


def handler_for(action: str) -> ActionHandler | None:
    return _ACTION_HANDLERS.get(action)


DetailPart = Callable[[Case], Any]  # part(case) -> a JSON-able value
_DETAIL_PARTS: dict[str, DetailPart] = {}


def detail_part(name: str) -> Callable[[DetailPart], DetailPart]:
    """Register what another app adds to a case's API detail under `name` (rapid: its clocks)."""

    def register(part: DetailPart) -> DetailPart:
        _DETAIL_PARTS[name] = part
        return part

    return register


def detail_parts(case: Case) -> dict[str, Any]:
    return {name: part(case) for name, part in _DETAIL_PARTS.items()}


NamesOf = Callable[[Case], Iterable[str]]  # names(case) -> the names of people an app knows on the case
_NAMES: list[NamesOf] = []


def personal_names(provider: NamesOf) -> NamesOf:
    """Register where an app knows the names of people on a case (intake: its reporters), so that
    what is posted for everyone names them as 张* (the notice board)."""
    if provider not in _NAMES:
        _NAMES.append(provider)
    return provider


def names_on(case: Case) -> set[str]:
    return {name for provider in _NAMES for name in provider(case) if name}
