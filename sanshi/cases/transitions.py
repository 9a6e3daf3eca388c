"""The case life cycle: the one table of allowed moves (STYLE habit 3).

    received → triaged → deliberating → handling → publicised → evaluating → closed
                              ↑   (SHARED/PUBLIC post a public notice; HOUSEHOLD skips it)   │
                              └──────────── escalate (bad rating: level above) ─────────────┘
Whistle calls and department reports happen while a PUBLIC case is deliberated or handled.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .models import Status

ALL_KINDS = frozenset({"PUBLIC", "SHARED", "HOUSEHOLD"})


@dataclass(frozen=True)
class Move:
    action: str
    source: Status
    target: Status
    kinds: frozenset[str] = ALL_KINDS
    urgent_only: bool = False  # 突发快响 moves: refused for a case that is not urgent
    offered: bool = True  # False: done from its own page or by the system, not the case's action list


MOVES: list[Move] = [
    Move("triage", Status.RECEIVED, Status.TRIAGED),
    Move("deliberate", Status.TRIAGED, Status.DELIBERATING),
    Move("resolve", Status.DELIBERATING, Status.HANDLING),
    Move("whistle", Status.DELIBERATING, Status.HANDLING, frozenset({"PUBLIC"})),
    Move("whistle", Status.HANDLING, Status.HANDLING, frozenset({"PUBLIC"})),
    Move("department_report", Status.HANDLING, Status.HANDLING, frozenset({"PUBLIC"})),
    Move("publicise", Status.HANDLING, Status.PUBLICISED, frozenset({"PUBLIC", "SHARED"})),
    Move("request_evaluation", Status.HANDLING, Status.EVALUATING, frozenset({"HOUSEHOLD"})),
    Move("request_evaluation", Status.PUBLICISED, Status.EVALUATING, frozenset({"PUBLIC", "SHARED"})),
    # a rating moves the case: good → close, bad → escalate (evaluation.services); the action offered
    # in their place is "evaluate" (EVALUATE below), which only the evaluators of the kind may take
    Move("close", Status.EVALUATING, Status.CLOSED, offered=False),
    Move("escalate", Status.EVALUATING, Status.DELIBERATING, offered=False),
    # duplicates: a new request that repeats an open case is merged into it (its case closes as a
    # duplicate), and the open case records the extra reporter without changing state
    Move("merge", Status.RECEIVED, Status.CLOSED),
    *[Move("link_duplicate", s, s, offered=False) for s in Status if s != Status.CLOSED],  # by merging
    # 突发快响 (sanshi.rapid): an urgent case skips deliberation — dispatched to a response team, whose
    # steps (and a reinforcement team) are recorded while it is handled; then it goes on as usual. The
    # command centre may withdraw a team not yet on site (withdraw_dispatch) and send another (dispatch)
    Move("dispatch", Status.TRIAGED, Status.HANDLING, urgent_only=True, offered=False),
    *[Move(a, Status.HANDLING, Status.HANDLING, urgent_only=True, offered=False)
      for a in ("dispatch", "accept", "arrive", "report_result", "request_reinforcement", "withdraw_dispatch")],
    # a limit ran out (the worker, after a clock's breach)
    *[Move("clock_breach", s, s, offered=False) for s in Status if s != Status.CLOSED],
    # supervision (sanshi.supervision): the street's ledger of PUBLIC matters (台账) and its overdue
    # ladder (挂账督办), and the follow-up visit (回访) of a closed HOUSEHOLD matter
    *[Move(a, s, s, frozenset({"PUBLIC"}), offered=False)
      for a in ("ledger_claim", "ledger_deadline", "ledger_progress", "ledger_remind", "ledger_warn", "ledger_notify")
      for s in Status if s not in (Status.RECEIVED, Status.CLOSED)],
    Move("follow_up", Status.CLOSED, Status.CLOSED, frozenset({"HOUSEHOLD"}), offered=False),
]

EVALUATE = "evaluate"  # not a move of its own: the rating decides between close and escalate

ACTION_LABELS = {
    "open": _("受理"),
    "triage": _("分拣派单"),
    "deliberate": _("提交议事"),
    "resolve": _("议定办理"),
    "whistle": _("吹哨报到"),
    "department_report": _("部门报到反馈"),
    "publicise": _("张榜公示"),
    "request_evaluation": _("提请评价"),
    "evaluate": _("评价"),
    "close": _("评价满意·办结"),
    "escalate": _("评价不满意·提级复议"),
    "merge": _("合并为重复诉求"),
    "link_duplicate": _("并入重复诉求"),
    "dispatch": _("快响派单"),
    "accept": _("处置队伍接单"),
    "arrive": _("处置队伍到场"),
    "report_result": _("反馈处置结果"),
    "request_reinforcement": _("请求增援"),
    "withdraw_dispatch": _("撤回派单"),
    "clock_breach": _("超时告警"),
    "ledger_claim": _("台账认领"),
    "ledger_deadline": _("台账定时限"),
    "ledger_progress": _("台账进展"),
    "ledger_remind": _("督办提醒"),
    "ledger_warn": _("超期警示"),
    "ledger_notify": _("超期通报"),
    "follow_up": _("回访"),
}


def _applies(move: Move, kind: str) -> bool:
    # a case has no kind until it is triaged
    return kind in move.kinds or move.source == Status.RECEIVED


def find_move(action: str, status: str, kind: str, urgent: bool = False) -> Move | None:
    return next((m for m in MOVES if m.action == action and m.source == status and _applies(m, kind)
                 and (urgent or not m.urgent_only)), None)


def allowed_actions(status: str, kind: str) -> list[str]:
    """The actions a case in this state takes from its action list (case page, API), whoever asks:
    which of them a user may take is the permissions' business (cases.permissions.actions_for)."""
    seen: list[str] = []
    for move in MOVES:
        if move.source == status and _applies(move, kind) and move.offered:
            if move.action not in seen:
                seen.append(move.action)
    if status == Status.EVALUATING:
        seen.append(EVALUATE)
    return seen
