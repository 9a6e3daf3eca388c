"""The case life cycle: the one table of allowed moves (STYLE habit 3).

    received → triaged → deliberating → handling → publicised → evaluating → closed
                              ↑   (SHARED/PUBLIC post a public notice; HOUSEHOLD skips it)   │
                              └──────────── escalate (bad rating: level above) ─────────────┘
Whistle calls and department reports happen while a PUBLIC case is deliberated or handled.

`Action` names every step a user (or the system) takes on a case; the moves below are the only
ones `transition()` accepts. What happens beside the moves — a team's steps, a clock's breach,
the ledger's ladder, a follow-up visit, a reporter's phone revealed — moves nothing: it is a
`TimelineEvent`, written by `record_event()` (cases.services), never through this table.
"""

from dataclasses import dataclass

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .models import Status

StrOrPromise = str | Promise  # a label: text, or a lazy translation of it
ALL_KINDS = frozenset({"PUBLIC", "SHARED", "HOUSEHOLD"})


class Action(models.TextChoices):
    """Steps taken on a case: the moves of the table below, plus `evaluate` (a rating, which then
    moves the case by `close` or `escalate`)."""

    OPEN = "open", _("受理")
    TRIAGE = "triage", _("分拣派单")
    RETRIAGE = "retriage", _("重新分拣")  # re-routed to another kind or grid, with a reason (the bounce-back rate)
    DELIBERATE = "deliberate", _("提交议事")
    RESOLVE = "resolve", _("议定办理")
    WHISTLE = "whistle", _("吹哨报到")
    DEPARTMENT_REPORT = "department_report", _("部门报到反馈")
    PUBLICISE = "publicise", _("张榜公示")
    REQUEST_EVALUATION = "request_evaluation", _("提请评价")
    REOPEN = "reopen", _("异议成立·重新议事")  # an objection to the notice upheld by staff (sanshi.notices)
    EVALUATE = "evaluate", _("评价")
    CLOSE = "close", _("评价满意·办结")
    ESCALATE = "escalate", _("评价不满意·提级复议")
    MERGE = "merge", _("合并为重复诉求")
    DISPATCH = "dispatch", _("快响派单")
    SETTLE = "settle", _("网格自办")  # 家事网格自办, 小事小议: no formal meeting (B2, H4)
    SEND_DOWN = "send_down", _("下沉再办")  # after 提级复议 the level above hands the matter back (J0)
    CONSULT = "consult", _("征求网格意见")  # a shared matter discussed by grid neighbour meetings first (J3)
    GIVE_OPINION = "give_opinion", _("记录网格意见")
    RECORD_PROGRESS = "record_progress", _("监委会跟踪记录")  # the committee follows a shared resolution (B2)


class TimelineEvent(models.TextChoices):
    """What is written on a case's timeline without moving it (`record_event`)."""

    LINK_DUPLICATE = "link_duplicate", _("并入重复诉求")
    ACCEPT = "accept", _("处置队伍接单")
    ARRIVE = "arrive", _("处置队伍到场")
    REPORT_RESULT = "report_result", _("反馈处置结果")
    REQUEST_REINFORCEMENT = "request_reinforcement", _("请求增援")
    WITHDRAW_DISPATCH = "withdraw_dispatch", _("撤回派单")
    CLOCK_BREACH = "clock_breach", _("超时告警")
    LEDGER_CLAIM = "ledger_claim", _("台账认领")
    LEDGER_DEADLINE = "ledger_deadline", _("台账定时限")
    LEDGER_PROGRESS = "ledger_progress", _("台账进展")
    LEDGER_REMIND = "ledger_remind", _("督办提醒")
    LEDGER_WARN = "ledger_warn", _("超期警示")
    LEDGER_NOTIFY = "ledger_notify", _("超期通报")
    FOLLOW_UP = "follow_up", _("回访")
    PHONE_REVEAL = "phone_reveal", _("查看完整联系电话")
    VOTE_OPENED = "vote_opened", _("提请业主共同决定")  # sanshi.votes
    VOTE_CLOSED = "vote_closed", _("业主表决结果")
    RATING = "rating", _("收到评价")
    RATING_CODES_PRINTED = "rating_codes_printed", _("打印当事人评价码")
    CONSULTED = "consulted", _("征求网格意见")
    OPINION = "opinion", _("网格邻里会意见")
    SUPERVISION_PROGRESS = "supervision_progress", _("居务监督委员会跟踪")


# internal signals and personal-data access: shown to staff, never on the resident's timeline
STAFF_ONLY_EVENTS = frozenset({TimelineEvent.CLOCK_BREACH, TimelineEvent.LEDGER_REMIND, TimelineEvent.LEDGER_WARN,
                               TimelineEvent.LEDGER_NOTIFY, TimelineEvent.PHONE_REVEAL,
                               TimelineEvent.RATING_CODES_PRINTED})


@dataclass(frozen=True)
class Move:
    action: Action
    source: Status
    target: Status
    kinds: frozenset[str] = ALL_KINDS
    urgent_only: bool = False  # 突发快响 moves: refused for a case that is not urgent
    offered: bool = True  # False: done from its own page or by the system, not the case's action list


MOVES: list[Move] = [
    Move(Action.TRIAGE, Status.RECEIVED, Status.TRIAGED),
    Move(Action.DELIBERATE, Status.TRIAGED, Status.DELIBERATING),
    # 家事网格自办 (B2), 无事不议 (H4): the grid settles a simple household matter without a meeting,
    # recording what was done; it still goes to evaluation
    Move(Action.SETTLE, Status.TRIAGED, Status.HANDLING, frozenset({"HOUSEHOLD"})),
    Move(Action.RESOLVE, Status.DELIBERATING, Status.HANDLING),
    Move(Action.WHISTLE, Status.DELIBERATING, Status.HANDLING, frozenset({"PUBLIC"})),
    Move(Action.WHISTLE, Status.HANDLING, Status.HANDLING, frozenset({"PUBLIC"})),
    Move(Action.DEPARTMENT_REPORT, Status.HANDLING, Status.HANDLING, frozenset({"PUBLIC"})),
    Move(Action.PUBLICISE, Status.HANDLING, Status.PUBLICISED, frozenset({"PUBLIC", "SHARED"})),
    Move(Action.REQUEST_EVALUATION, Status.HANDLING, Status.EVALUATING, frozenset({"HOUSEHOLD"})),
    Move(Action.REQUEST_EVALUATION, Status.PUBLICISED, Status.EVALUATING, frozenset({"PUBLIC", "SHARED"})),
    # 张榜公示: an objection that staff uphold during the notice period sends the matter back to its body
    # to be deliberated again (sanshi.notices.services.comment_moderate); a new notice follows the new result
    Move(Action.REOPEN, Status.PUBLICISED, Status.DELIBERATING, frozenset({"PUBLIC", "SHARED"}), offered=False),
    # a rating moves the case: good → close, bad → escalate (evaluation.services); the action offered
    # in their place is "evaluate", which only the evaluators of the kind may take
    Move(Action.CLOSE, Status.EVALUATING, Status.CLOSED, offered=False),
    Move(Action.ESCALATE, Status.EVALUATING, Status.DELIBERATING, offered=False),
    # 提级复议、下沉再办 (J0): the level above decided; the matter goes back to where it came from, to be
    # redone under the instructions (deliberation.services.meeting_resolve_case)
    Move(Action.SEND_DOWN, Status.HANDLING, Status.HANDLING, offered=False),
    # duplicates: a new request that repeats an open case is merged into it (its case closes as a
    # duplicate; the open case records the extra reporter on its timeline, TimelineEvent.LINK_DUPLICATE)
    Move(Action.MERGE, Status.RECEIVED, Status.CLOSED),
    # 突发快响 (sanshi.rapid): an urgent case skips deliberation — dispatched to a response team; while it
    # is handled a reinforcement or a new team after a withdrawal (改派) is dispatched again
    Move(Action.DISPATCH, Status.TRIAGED, Status.HANDLING, urgent_only=True, offered=False),
    Move(Action.DISPATCH, Status.HANDLING, Status.HANDLING, urgent_only=True, offered=False),
    # 退回重分: a triaged case nobody has taken up yet goes to another kind (and so body and level) or
    # another grid; a move of its own, with a reason, so the bounce-back rate counts real events (last
    # in the table: offered after the step the case waits for)
    Move(Action.RETRIAGE, Status.TRIAGED, Status.TRIAGED),
]

ACTION_LABELS: dict[str, StrOrPromise] = {**dict(Action.choices), **dict(TimelineEvent.choices)}


def _applies(move: Move, kind: str) -> bool:
    # a case has no kind until it is triaged
    return kind in move.kinds or move.source == Status.RECEIVED


def find_move(action: str, status: str, kind: str, urgent: bool = False) -> Move | None:
    return next((m for m in MOVES if m.action == action and m.source == status and _applies(m, kind)
                 and (urgent or not m.urgent_only)), None)


def offered_actions(status: str, kind: str) -> list[str]:
    """The actions a case in this state offers on its action list (case page, API), whoever asks;
    which of them a user may take now is the scope module's answer (`cases.scope.actions`)."""
    seen: list[str] = []
    for move in MOVES:
        if move.source == status and _applies(move, kind) and move.offered:
            if move.action not in seen:
                seen.append(move.action)
    if status == Status.EVALUATING:
        seen.append(Action.EVALUATE)
    if kind == "SHARED" and status in (Status.TRIAGED, Status.DELIBERATING):
        seen.append(Action.CONSULT)  # ask the grids' neighbour meetings before the community decides
    if kind == "SHARED" and status in (Status.HANDLING, Status.PUBLICISED):
        seen.append(Action.RECORD_PROGRESS)  # the supervision committee follows the resolution (B2)
    return seen
