"""The three sheets staff import (docs/exports.md): households (住户), residents (居民) and staff
accounts (账号) — their columns, the template each downloads, and reading an upload's rows into typed
values with every problem as (row, column, message). Reading writes nothing and looks nothing up;
`services.py` matches the rows against the register and writes all of them or none.

Limits come from the models (one validation): an address, a name, a username is as long as its
field allows, and a username obeys the account model's own validators."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from sanshi.core.errors import ValidationFailed
from sanshi.core.personal import ID_NUMBER_RE, normalise_phone
from sanshi.core.xlsx import RowError, template_bytes, text
from sanshi.registry.models import Household, OrgNode, Person


def max_length(model, name: str) -> int:
    limit = model._meta.get_field(name).max_length
    assert isinstance(limit, int)
    return limit


ADDRESS_MAX = max_length(Household, "address")
HEAD_MAX = max_length(Household, "head_name")
NAME_MAX = max_length(Person, "name")
CODE_MAX = max_length(OrgNode, "code")
MEMBERS_MAX = 99  # people in one household: more is a typing error (the field would take 32767)


@dataclass(frozen=True)
class Sheet:
    kind: str
    title: str  # what is imported, in Chinese
    headers: tuple[str, ...]
    widths: tuple[int, ...]
    text_columns: tuple[int, ...]  # formatted as text in the template (phone and ID numbers)
    examples: tuple[tuple, ...]
    notes: tuple[str, ...]
    max_rows: int

    def template(self) -> bytes:
        return template_bytes(self.headers, self.widths, self.examples, self.notes, sheet_title=self.title,
                              text_columns=self.text_columns)


COMMON_NOTES = (
    "请勿增删、调换列，也不要改第1行的表头；从第2行起每行一条，空行会被跳过。",
    "上传后先点“预检”：系统逐行报告问题（第几行、哪一列、什么问题），不写入任何数据。",
    "有任何一行出错，整张表都不会导入；改好后重新上传即可。导入是“全部或全不”，不会只导入一半。",
)

HOUSEHOLDS = Sheet(
    kind="households", title="住户",
    headers=("网格编码", "门牌地址", "户主姓名", "人数"),
    widths=(16, 40, 14, 8), text_columns=(0,),
    examples=(("T1C1-G01", "鼎城花园1栋1单元101室", "张三", 3), ("T1C1-G01", "鼎城花园1栋1单元102室", "", 1)),
    notes=("每行一户。网格编码：住户所在网格或微网格的编码（在“岗位与账号”或网格信息中可查），须在您负责的社区或网格内。",
           "门牌地址必填；同一网格下门牌地址相同的住户视为同一户：表里的户主和人数会更新已登记的住户。",
           "人数：1–99 的整数，不填按 1 人。", *COMMON_NOTES),
    max_rows=20_000)

RESIDENTS = Sheet(
    kind="residents", title="居民",
    headers=("网格编码", "门牌地址", "姓名", "手机", "身份证号"),
    widths=(16, 40, 12, 16, 22), text_columns=(0, 3, 4),
    examples=(("T1C1-G01", "鼎城花园1栋1单元101室", "张三", "", ""),),
    notes=("每行一位居民，登记到“网格编码 + 门牌地址”对应的住户下：住户须已登记（先导入住户表）。",
           "姓名必填；手机和身份证号选填，请按文本填写（本模板D、E两列已设为文本格式，数字格式会丢失身份证号末几位）。",
           "手机和身份证号加密保存。身份证号已登记的居民不会重复登记，也不会被修改；同一住户下姓名和手机都相同的也视为已登记。",
           *COMMON_NOTES),
    max_rows=20_000)

ACCOUNTS = Sheet(
    kind="accounts", title="账号",
    headers=("账号（用户名）", "姓名"),
    widths=(24, 16), text_columns=(0,),
    examples=(("zhang.wei", "张伟"),),
    notes=("每行一个新账号。账号（用户名）登录用，创建后不能修改：字母、数字或 @ . + - _，例如 zhang.wei。",
           "导入只创建账号，不分配岗位：岗位由安全管理员在“分配岗位”中逐一授予。",
           "导入后页面会列出每个账号的一次性激活链接，请交给本人设置密码；账号在设置密码前无法登录。",
           *COMMON_NOTES),
    max_rows=500)

SHEETS = {s.kind: s for s in (HOUSEHOLDS, RESIDENTS, ACCOUNTS)}


# ---- rows ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class HouseholdRow:
    row: int
    grid: str
    address: str
    head_name: str
    members: int


@dataclass(frozen=True)
class ResidentRow:
    row: int
    grid: str
    address: str
    name: str
    phone: str
    id_number: str


@dataclass(frozen=True)
class AccountRow:
    row: int
    username: str
    display_name: str


def _required(value: str, row: int, column: str, errors: list[RowError], limit: int, what) -> str:
    if not value:
        errors.append(RowError(row, column, str(format_lazy(_("请填写{what}"), what=what))))
    elif len(value) > limit:
        errors.append(RowError(row, column, str(format_lazy(_("{what}最多{n}字"), what=what, n=limit))))
    return value


def household_row(number: int, values: tuple, errors: list[RowError]) -> HouseholdRow | None:
    h = HOUSEHOLDS.headers
    before = len(errors)
    grid = _required(text(values[0]).upper(), number, h[0], errors, CODE_MAX, _("网格编码"))
    address = _required(text(values[1]), number, h[1], errors, ADDRESS_MAX, _("门牌地址"))
    head = text(values[2])
    if len(head) > HEAD_MAX:
        errors.append(RowError(number, h[2], str(format_lazy(_("户主姓名最多{n}字"), n=HEAD_MAX))))
    members = 1
    raw = values[3]
    if raw is not None and text(raw):
        try:
            members = int(text(raw))
        except ValueError:
            members = 0
        if not 1 <= members <= MEMBERS_MAX or (isinstance(raw, float) and not raw.is_integer()):
            errors.append(RowError(number, h[3], str(format_lazy(_("人数应为 1–{n} 的整数"), n=MEMBERS_MAX))))
    if len(errors) > before:
        return None
    return HouseholdRow(number, grid, address, head, members)


def resident_row(number: int, values: tuple, errors: list[RowError]) -> ResidentRow | None:
    h = RESIDENTS.headers
    before = len(errors)
    grid = _required(text(values[0]).upper(), number, h[0], errors, CODE_MAX, _("网格编码"))
    address = _required(text(values[1]), number, h[1], errors, ADDRESS_MAX, _("门牌地址"))
    name = _required(text(values[2]), number, h[2], errors, NAME_MAX, _("姓名"))
    try:
        phone = normalise_phone(text(values[3]), field="phone")
    except ValidationFailed:
        errors.append(RowError(number, h[3], str(_("手机号格式不正确：请填写11位手机号或带区号的固定电话"))))
        phone = ""
    id_cell = values[4]
    id_number = ""
    if isinstance(id_cell, (int, float)) and not isinstance(id_cell, bool):
        errors.append(RowError(number, h[4], str(_("身份证号请按文本填写（数字格式会丢失末几位）"))))
    else:
        id_number = text(id_cell).upper()
        if id_number and not ID_NUMBER_RE.match(id_number):
            errors.append(RowError(number, h[4], str(_("身份证号格式不正确（18位，末位可为X）"))))
    if len(errors) > before:
        return None
    return ResidentRow(number, grid, address, name, phone, id_number)


ACCOUNT_FIELDS = {"username": 0, "display_name": 1}


def account_row(number: int, values: tuple, errors: list[RowError]) -> AccountRow | None:
    """The username and name, checked by the account model's own field validators (length,
    characters); whether the username is free is the service's question."""
    h = ACCOUNTS.headers
    username, display_name = text(values[0]), text(values[1])
    if not username:
        errors.append(RowError(number, h[0], str(_("请填写账号（用户名）"))))
        return None
    user = get_user_model()(username=username, display_name=display_name)
    try:
        user.full_clean(exclude=["password"], validate_unique=False)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            column = h[ACCOUNT_FIELDS[name]] if name in ACCOUNT_FIELDS else ""
            errors.append(RowError(number, column, " ".join(str(m) for m in messages)))
        return None
    return AccountRow(number, username, display_name)
