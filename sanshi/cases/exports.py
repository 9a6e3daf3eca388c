"""A list's Excel export: bounded, audited, its rows the list's own (the scope module's, narrowed by
the list's filters). Every list page's export and any other app's (notices, votes, KPIs) goes
through `audited_export`:

- at most SANSHI_EXPORT_MAX_ROWS rows: a larger selection is refused with the count and what to do
  (narrow the period or add a filter), never cut short without saying so;
- one audit row per export (`export`, what was exported, how many rows, the filters as the reason);
- the workbook of `core.xlsx` (Chinese header row, frozen panes, widths, neutralised cells)."""

from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from sanshi.audit.services import audit_record
from sanshi.core.errors import ValidationFailed
from sanshi.core.personal import mask_personal_text
from sanshi.core.xlsx import workbook_response
from sanshi.registry.models import StaffRole

from . import scope
from .models import Case

CHUNK = 2000  # rows read at a time (and their handlers decided in one query)


class ExportTooLarge(ValidationFailed):
    """More rows than one export may hold."""


def check_size(count: int) -> None:
    limit = settings.SANSHI_EXPORT_MAX_ROWS
    if count > limit:
        raise ExportTooLarge(format_lazy(
            _("符合条件的有 {n} 条，超过一次导出的上限 {limit} 条：请缩短时间段或增加筛选条件（类别、状态、区域）后再导出"),
            n=count, limit=limit))


def audited_export(*, actor, what: str, title: str, filters: str, reason: str, count: int, filename: str,
                   headers: Sequence[str], rows: Iterable[Sequence[Any]], widths: Sequence[int]) -> HttpResponse:
    """The workbook of `rows` (`count` of them, checked against the limit first: ExportTooLarge),
    titled `title` with the `filters` in words under it, downloaded as `filename`-date.xlsx, and its
    audit row. `what` names the list in the audit row (`obj_type`), `reason` the filters as the audit
    trail keeps them."""
    check_size(count)
    now = timezone.localtime()
    response = workbook_response(
        f"{filename}-{now:%Y%m%d-%H%M}.xlsx", headers, rows, widths, sheet_title=title,
        title_lines=[f"{title}（{now:%Y-%m-%d}）",
                     f"导出时间：{now:%Y-%m-%d %H:%M}；导出人：{actor}；共 {count} 条；筛选条件：{filters}"])
    audit_record(event="export", actor=actor, obj_type=what, obj_id=str(count), reason=reason)
    return response


def export_or_back(request, back: str, build: Callable[[], HttpResponse]) -> HttpResponse:
    """Run an export; when it is refused (too many rows), go back to the list with the message."""
    try:
        return build()
    except ExportTooLarge as exc:
        messages.error(request, exc.message)
        return redirect(back)


def chunks(rows: Iterable, size: int = CHUNK) -> Iterator[list]:
    it = iter(rows)
    while batch := list(islice(it, size)):
        yield batch


def handled_chunks(user, qs, roles: list[StaffRole] | None = None) -> Iterator[tuple[list, set[int]]]:
    """`qs` (cases, or objects with a `case`) read CHUNK rows at a time, each chunk with the ids of
    the cases in it that `user` handles (one query a chunk at most; scope.handled_ids)."""
    roles = scope.roles_of(user) if roles is None else roles
    for batch in chunks(qs.iterator(chunk_size=CHUNK)):
        cases = [row if isinstance(row, Case) else row.case for row in batch]
        yield batch, scope.handled_ids(user, cases, roles)


CASE_HEADERS = ["编号", "事项", "类别", "状态", "议事主体", "责任主体", "所在网格", "清单事项", "受理时间", "办结时间",
                "紧急", "提级次数", "议定事项", "办理结果"]
CASE_WIDTHS = [18, 36, 8, 10, 14, 16, 16, 26, 17, 17, 6, 8, 40, 40]


def case_rows(user, qs, roles: list[StaffRole] | None = None) -> Iterator[list]:
    """A list's cases as export rows. The texts in full only on the cases `user` handles; for
    everyone else a phone or ID number typed into them is masked (as on the pages and in the API).
    No tracking code, ever: it is the resident's credential, not the staff's."""
    qs = qs.select_related(*scope.HANDLER_RELATED, "catalogue_item")
    for batch, handled in handled_chunks(user, qs, roles):
        for case in batch:
            text = (lambda value: value) if case.pk in handled else mask_personal_text
            yield [case.number, text(case.title), case.get_kind_display(), case.get_status_display(),
                   case.get_body_display(), case.org.name if case.org_id else "",
                   case.grid.name if case.grid_id else "", str(case.catalogue_item) if case.catalogue_item_id else "",
                   case.created_at, case.closed_at, "是" if case.urgent else "", case.escalations or "",
                   text(case.resolution), text(case.result)]
