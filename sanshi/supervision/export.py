"""台账导出 and 回访导出: the street's ledger and the follow-up visits as Excel rows (through
`cases.exports.audited_export`: bounded, audited, the list's filters applied)."""

from collections.abc import Iterator

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sanshi.cases import scope
from sanshi.cases.exports import handled_chunks
from sanshi.core.personal import mask_personal_text

from .services import calendar_exceptions, days_between

HEADERS = ["编号", "事项", "清单事项", "街道", "状态", "督办阶段", "认领领导", "认领时间", "完成时限",
           "超期（天）", "进度（%）", "最新进展", "调整时限理由", "挂账时间", "销账时间"]
STATE_LABELS = {"unclaimed": _("待认领"), "claimed": _("已认领"), "reminded": _("超期·已提醒"),
                "warned": _("超期·已警示"), "notified": _("超期·已通报"), "closed": _("已销账")}
WIDTHS = [18, 30, 18, 12, 12, 16, 12, 17, 12, 10, 10, 40, 24, 17, 17]


def ledger_rows(entries) -> Iterator[list]:
    """One row per entry (prefetch "progress"); dates are real Excel dates (local time) so the sheet
    sorts and filters. The progress notes are masked for everyone: they are read by the street's
    leaders, who do not handle the reporter's contacts."""
    now = timezone.now()
    exceptions = calendar_exceptions()
    for entry in entries:
        latest = entry.progress.all()[:1]
        end = entry.closed_at or now
        overdue = days_between(entry.deadline_at, end, exceptions) if end > entry.deadline_at else 0
        case = entry.case
        yield [
            case.number, case.title, str(case.catalogue_item) if case.catalogue_item_id else "", entry.street.name,
            case.get_status_display(), str(STATE_LABELS[entry.state]),
            str(entry.claimed_by) if entry.claimed_by_id else "",
            entry.claimed_at, timezone.localtime(entry.deadline_at).date(), overdue,
            entry.progress_percent, mask_personal_text(latest[0].note) if latest else "",
            mask_personal_text(entry.deadline_reason), entry.opened_at, entry.closed_at,
        ]


VISIT_HEADERS = ["编号", "事项", "网格", "回访期限", "状态", "回访时间", "满意度", "回访方式", "回访人", "回访记录"]
VISIT_WIDTHS = [18, 36, 16, 12, 10, 17, 10, 10, 12, 50]


def visit_rows(user, visits, roles=None) -> Iterator[list]:
    """One row per follow-up visit; the visit's notes in full only for who handles the case (its grid
    leader, its grid's worker), masked for everyone else."""
    visits = visits.select_related(*(f"case__{name}" for name in scope.HANDLER_RELATED))
    now = timezone.now()
    for batch, handled in handled_chunks(user, visits, roles):
        for visit in batch:
            text = (lambda value: value) if visit.case_id in handled else mask_personal_text
            state = "已回访" if visit.done_at else ("已超期" if visit.due_at < now else "待回访")
            yield [visit.case.number, text(visit.case.title), visit.grid.name, timezone.localtime(visit.due_at).date(),
                   state, visit.done_at, visit.get_satisfaction_display(), visit.get_contact_method_display(),
                   str(visit.visited_by) if visit.visited_by_id else "", text(visit.note)]
