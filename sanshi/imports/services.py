"""Importing households, residents and staff accounts from Excel (docs/exports.md): one service
per sheet, the same for the page and the `sanshi import` command.

Each reads the upload (`core.xlsx.read_table`: a bad file is refused before it is parsed), checks
every row against the sheet's rules and the register, and either reports (a dry run, or any row in
error: nothing is written) or writes every row in one transaction with its audit row. Who may import
is the scope module's answer (`permissions.py`); a grid outside the importer's area reads as unknown.
Residents are registered through `registry.services.person_register` (encrypted contacts with their
lookup hashes), accounts through `registry.services.account_create` (audited one by one, no usable
password, no role)."""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from sanshi.audit.services import audit_record
from sanshi.core.crypto import lookup_hash
from sanshi.core.xlsx import RowError, read_table, text
from sanshi.registry.models import Household, OrgNode, Person, StaffRole
from sanshi.registry.services import account_create, person_register

from .permissions import check_import, importable_grids
from .sheets import (
    ACCOUNTS,
    HOUSEHOLDS,
    RESIDENTS,
    AccountRow,
    HouseholdRow,
    ResidentRow,
    Sheet,
    account_row,
    household_row,
    resident_row,
)

Progress = Callable[[str], None]


@dataclass
class ImportReport:
    kind: str
    rows: int = 0  # non-empty rows read
    errors: list[RowError] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    written: bool = False
    accounts: list = field(default_factory=list)  # the accounts created (their owners' activation links)

    @property
    def ok(self) -> bool:
        return not self.errors


def _say(progress: Progress | None, message) -> None:
    if progress is not None:
        progress(str(message))


def _read(sheet: Sheet, upload, report: ImportReport, progress: Progress | None) -> list[tuple[int, tuple]]:
    table = read_table(upload, sheet.headers, max_rows=sheet.max_rows,
                       progress=lambda n: _say(progress, format_lazy(_("已读取 {n} 行…"), n=n)))
    report.errors.extend(table.errors)
    report.rows = len(table.rows)
    return table.rows


def _finish(report: ImportReport) -> ImportReport:
    report.errors.sort(key=lambda e: (e.row, e.column))
    return report


def _grids(actor, codes: set[str]) -> dict[str, OrgNode]:
    return {n.code: n for n in importable_grids(actor).filter(code__in=codes)}


NO_GRID = _("网格编码不存在，或不在您负责的社区（网格）内")


def _grids_checked(actor, table: list[tuple[int, tuple]], rows: list, report: ImportReport,
                   column: str) -> dict[str, OrgNode]:
    """The importable grids the sheet names (one query). A row already in error for another column
    is told about an unknown grid code too, so one dry run lists every problem of the sheet; the
    rows that parsed are checked by the caller."""
    parsed = {r.row for r in rows}
    others = {number: text(values[0]).upper() for number, values in table if number not in parsed}
    grids = _grids(actor, {r.grid for r in rows} | {code for code in others.values() if code})
    for number, code in others.items():
        if code and code not in grids:
            report.errors.append(RowError(number, column, str(NO_GRID)))
    return grids


def _audit(actor, role: StaffRole, event: str, obj_type: str, report: ImportReport) -> None:
    audit_record(event=event, actor=actor, role=role.role, node=role.node.code, obj_type=obj_type,
                 obj_id=str(report.created + report.updated),
                 reason=f"rows={report.rows} created={report.created} updated={report.updated} "
                        f"unchanged={report.unchanged}")


# ---- households ----------------------------------------------------------------------------------

def households_import(*, actor, upload, dry_run: bool = True, progress: Progress | None = None) -> ImportReport:
    """住户: a household per row, matched by grid and address — a new one registered, a known one
    given the sheet's head and number of members."""
    role = check_import(actor, "households")
    report = ImportReport(kind="households")
    table = _read(HOUSEHOLDS, upload, report, progress)
    if report.errors:
        return _finish(report)
    rows: list[HouseholdRow] = []
    for number, values in table:
        row = household_row(number, values, report.errors)
        if row is not None:
            rows.append(row)
    grids = _grids_checked(actor, table, rows, report, HOUSEHOLDS.headers[0])
    seen: dict[tuple[str, str], int] = {}
    for row in rows:
        if row.grid not in grids:
            report.errors.append(RowError(row.row, HOUSEHOLDS.headers[0], str(NO_GRID)))
        key = (row.grid, row.address)
        if key in seen:
            report.errors.append(RowError(row.row, HOUSEHOLDS.headers[1], str(format_lazy(
                _("与第{row}行是同一户（网格和门牌地址相同）"), row=seen[key]))))
        seen.setdefault(key, row.row)
    if report.errors:
        return _finish(report)
    with transaction.atomic():
        existing = _existing_households(grids, lock=not dry_run)
        new, changed = [], []
        for row in rows:
            home = existing.get((grids[row.grid].pk, row.address))
            if home is None:
                new.append(Household(node=grids[row.grid], address=row.address, head_name=row.head_name,
                                     members=row.members))
            elif (home.head_name, home.members) != (row.head_name, row.members):
                home.head_name, home.members = row.head_name, row.members
                changed.append(home)
            else:
                report.unchanged += 1
        report.created, report.updated = len(new), len(changed)
        if dry_run:
            return _finish(report)
        _say(progress, format_lazy(_("写入 {n} 户…"), n=len(new) + len(changed)))
        Household.objects.bulk_create(new, batch_size=1000)
        Household.objects.bulk_update(changed, ["head_name", "members"], batch_size=1000)
        _audit(actor, role, "household.import", "household", report)
    report.written = True
    return _finish(report)


def _existing_households(grids: dict[str, OrgNode], *, lock: bool) -> dict[tuple[int, str], Household]:
    """The registered households of the sheet's grids, by (grid id, address) — the first registered
    where an address was entered twice. Writing, the grids' rows are locked first, so two imports
    into one grid do not both register the same new household."""
    node_ids = sorted({n.pk for n in grids.values()})
    if lock:
        list(OrgNode.objects.select_for_update().filter(pk__in=node_ids).values_list("pk", flat=True))
    found: dict[tuple[int, str], Household] = {}
    for home in Household.objects.filter(node_id__in=node_ids).order_by("pk"):
        found.setdefault((home.node_id, home.address), home)
    return found


# ---- residents -----------------------------------------------------------------------------------

def residents_import(*, actor, upload, dry_run: bool = True, progress: Progress | None = None) -> ImportReport:
    """居民: a resident per row, registered in the household at the row's grid and address (which must
    be registered already). One already registered — the same ID number in that household, or the
    same name and phone there — is left as it is; an ID number registered in another household is
    an error (moving is not an import's to decide)."""
    role = check_import(actor, "residents")
    report = ImportReport(kind="residents")
    table = _read(RESIDENTS, upload, report, progress)
    if report.errors:
        return _finish(report)
    h = RESIDENTS.headers
    rows: list[ResidentRow] = []
    for number, values in table:
        row = resident_row(number, values, report.errors)
        if row is not None:
            rows.append(row)
    grids = _grids_checked(actor, table, rows, report, h[0])
    with transaction.atomic():
        homes = _existing_households(grids, lock=not dry_run)
        id_hashes = {lookup_hash(r.id_number): r for r in rows if r.id_number}
        registered_ids = dict(Person.objects.filter(id_number_hash__in=list(id_hashes))
                              .values_list("id_number_hash", "household_id")) if id_hashes else {}
        known = {(p.household_id, p.name, p.phone_hash) for p in
                 Person.objects.filter(household_id__in=[home.pk for home in homes.values()]).only(
                     "household_id", "name", "phone_hash")}
        seen_ids: dict[str, int] = {}
        seen_people: dict[tuple, int] = {}
        new: list[tuple[ResidentRow, Household]] = []
        for row in rows:
            grid = grids.get(row.grid)
            if grid is None:
                report.errors.append(RowError(row.row, h[0], str(NO_GRID)))
                continue
            home = homes.get((grid.pk, row.address))
            if home is None:
                report.errors.append(RowError(row.row, h[1], str(
                    _("该网格下没有这个门牌地址的住户：请先导入住户，或核对地址与住户表是否一字不差"))))
                continue
            id_hash = lookup_hash(row.id_number) if row.id_number else ""
            person_key = (home.pk, row.name, lookup_hash(row.phone))
            if id_hash and id_hash in seen_ids:
                report.errors.append(RowError(row.row, h[4], str(format_lazy(
                    _("与第{row}行的身份证号相同"), row=seen_ids[id_hash]))))
                continue
            if person_key in seen_people:
                report.errors.append(RowError(row.row, h[2], str(format_lazy(
                    _("与第{row}行是同一人（同一住户、姓名和手机相同）"), row=seen_people[person_key]))))
                continue
            if id_hash:
                seen_ids[id_hash] = row.row
            seen_people[person_key] = row.row
            if id_hash and id_hash in registered_ids:
                if registered_ids[id_hash] != home.pk:
                    report.errors.append(RowError(row.row, h[4], str(
                        _("该身份证号已登记在另一住户：居民迁居请先在原住户处理，不能用导入移动"))))
                else:
                    report.unchanged += 1
                continue
            if person_key in known:
                report.unchanged += 1
                continue
            new.append((row, home))
        report.created = len(new)
        if dry_run or report.errors:
            return _finish(report)
        for done, (row, home) in enumerate(new, start=1):
            person_register(household=home, name=row.name, phone=row.phone, id_number=row.id_number)
            if done % 1000 == 0:
                _say(progress, format_lazy(_("已登记 {n}/{total} 人…"), n=done, total=len(new)))
        _audit(actor, role, "person.import", "person", report)
    report.written = True
    return _finish(report)


# ---- staff accounts ------------------------------------------------------------------------------

def accounts_import(*, actor, upload, dry_run: bool = True, progress: Progress | None = None) -> ImportReport:
    """账号: a new account per row (`account_create`: no usable password, audited, no role). A username
    already taken, or twice in the sheet, is an error; the whole sheet is created or none of it."""
    role = check_import(actor, "accounts")
    report = ImportReport(kind="accounts")
    table = _read(ACCOUNTS, upload, report, progress)
    if report.errors:
        return _finish(report)
    h = ACCOUNTS.headers
    rows: list[AccountRow] = []
    for number, values in table:
        row = account_row(number, values, report.errors)
        if row is not None:
            rows.append(row)
    taken = set(get_user_model().objects.filter(username__in=[r.username for r in rows])
                .values_list("username", flat=True))
    seen: dict[str, int] = {}
    for row in rows:
        if row.username in seen:
            report.errors.append(RowError(row.row, h[0], str(format_lazy(
                _("与第{row}行的账号相同"), row=seen[row.username]))))
        elif row.username in taken:
            report.errors.append(RowError(row.row, h[0], str(_("该用户名已被使用"))))
        seen.setdefault(row.username, row.row)
    report.created = len(rows)
    if dry_run or report.errors:
        return _finish(report)
    with transaction.atomic():
        for done, row in enumerate(rows, start=1):
            report.accounts.append(account_create(actor=actor, username=row.username, display_name=row.display_name))
            if done % 100 == 0:
                _say(progress, format_lazy(_("已创建 {n}/{total} 个账号…"), n=done, total=len(rows)))
        _audit(actor, role, "account.import", "user", report)
    report.written = True
    return _finish(report)


IMPORTERS: dict[str, Callable[..., ImportReport]] = {
    "households": households_import, "residents": residents_import, "accounts": accounts_import,
}
