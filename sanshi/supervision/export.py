"""台账导出: the street's ledger as an Excel workbook (openpyxl)."""

from io import BytesIO

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from sanshi.core.exports import safe_row
from sanshi.core.personal import mask_personal_text

from .models import LedgerEntry
from .services import calendar_exceptions, days_between

HEADERS = ["编号", "事项", "清单事项", "街道", "状态", "督办阶段", "认领领导", "认领时间", "完成时限",
           "超期（天）", "进度（%）", "最新进展", "调整时限理由", "挂账时间", "销账时间"]
STATE_LABELS = {"unclaimed": _("待认领"), "claimed": _("已认领"), "reminded": _("超期·已提醒"),
                "warned": _("超期·已警示"), "notified": _("超期·已通报"), "closed": _("已销账")}
WIDTHS = [18, 30, 18, 12, 12, 16, 12, 17, 12, 10, 10, 40, 24, 17, 17]


def _local(value):
    return timezone.localtime(value).replace(tzinfo=None) if value else None


def ledger_workbook(entries: list[LedgerEntry], *, title: str) -> bytes:
    """One row per entry; dates are real Excel dates (local time) so the sheet sorts and filters."""
    book = Workbook()
    sheet = book.active
    sheet.title = "台账"
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([f"导出时间：{timezone.localtime():%Y-%m-%d %H:%M}"])
    sheet.append(HEADERS)
    for cell in sheet[3]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="FDE8E8")
    now = timezone.now()
    exceptions = calendar_exceptions()
    for entry in entries:
        latest = entry.progress.all()[:1]
        end = entry.closed_at or now
        overdue = days_between(entry.deadline_at, end, exceptions) if end > entry.deadline_at else 0
        case = entry.case
        sheet.append(safe_row([
            case.number, case.title, str(case.catalogue_item) if case.catalogue_item_id else "", entry.street.name,
            case.get_status_display(), str(STATE_LABELS[entry.state]),
            str(entry.claimed_by) if entry.claimed_by_id else "",
            _local(entry.claimed_at), timezone.localtime(entry.deadline_at).date(), overdue,
            entry.progress_percent, mask_personal_text(latest[0].note) if latest else "",
            mask_personal_text(entry.deadline_reason), _local(entry.opened_at), _local(entry.closed_at),
        ]))
    for index, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[sheet.cell(row=3, column=index).column_letter].width = width
    for row in sheet.iter_rows(min_row=4):
        for cell in row:
            if cell.column in (8, 14, 15):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif cell.column == 9:
                cell.number_format = "yyyy-mm-dd"
            elif cell.column in (2, 12):
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A4"
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()
