"""The electorate's Excel sheet (.xlsx, openpyxl): the template staff download, and reading an
upload into units and owners with every row's errors (row number, column, message). Reading
writes nothing; `services.electorate_import` matches the owners and writes all or nothing.

One row per owner of a unit; a unit with two owners takes two rows with the same address (the area
and the developer's flag may be left empty on the second). The developer's unsold or undelivered
units carry 是 in column C and no owner."""

import io
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils.exceptions import InvalidFileException

from sanshi.core.errors import ValidationFailed
from sanshi.core.exports import safe_row
from sanshi.core.personal import ID_NUMBER_RE, normalise_phone
from sanshi.registry.models import Person

from .models import Unit

HEADERS = ["房屋地址", "建筑面积（㎡）", "开发建设单位未售出或未交付", "业主姓名", "业主手机", "业主身份证号"]
COLUMN_LETTERS = "ABCDEF"
MAX_ROWS = 20_000  # owners' rows in one sheet (a compound of several thousand units)
MAX_BYTES = 10 * 1024 * 1024
MAX_OWNERS_PER_UNIT = 10
YES = {"是", "Y", "YES", "1", "TRUE", "√"}
NO = {"", "否", "N", "NO", "0", "FALSE"}
TWO_PLACES = Decimal("0.01")


def max_length(model, name: str) -> int:
    """A text field's limit, from the model (one validation, limits from the model)."""
    limit = model._meta.get_field(name).max_length
    assert isinstance(limit, int)
    return limit


ADDRESS_MAX = max_length(Unit, "address")
NAME_MAX = max_length(Person, "name")
AREA_MAX = Decimal(10) ** (Unit._meta.get_field("area").max_digits - Unit._meta.get_field("area").decimal_places)


@dataclass(frozen=True)
class RowError:
    row: int  # the sheet's row number (1 is the header); 0 for the file itself
    column: str  # the column's header, or "" for the whole row or file
    message: str


@dataclass(frozen=True)
class OwnerRow:
    row: int
    name: str
    phone: str
    id_number: str


@dataclass
class UnitRows:
    address: str
    row: int  # its first row
    area: Decimal | None = None
    developer_held: bool | None = None
    owners: list[OwnerRow] = field(default_factory=list)


@dataclass
class Sheet:
    units: dict[str, UnitRows] = field(default_factory=dict)  # by address, in the sheet's order
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0


# ---- the template, and reading an upload ---------------------------------------------------------

def template_workbook() -> bytes:
    """The sheet to fill in: the header, three example rows and a sheet of instructions."""
    book = Workbook()
    sheet = book.active
    sheet.title = "业主名册"
    sheet.append(HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="FDE8E8")
    for example in (["XX小区1栋101室", 89.37, "否", "张三", "", ""],
                    ["XX小区1栋101室", None, None, "李四", "", ""],
                    ["XX小区1栋102室", 120.5, "是", "", "", ""]):
        sheet.append(safe_row(example))
    for letter, width in zip(COLUMN_LETTERS, (26, 16, 26, 12, 16, 22), strict=True):
        sheet.column_dimensions[letter].width = width
        if letter in "EF":  # phone and ID numbers as text: Excel would round an 18-digit number
            for row in range(2, 2000):
                sheet[f"{letter}{row}"].number_format = "@"
    notes = book.create_sheet("填写说明")
    for line in (
        "每行一位业主；同一套房屋有几位业主就写几行，房屋地址相同（第二行起面积和C列可以不填）。",
        "房屋地址：完整门牌，例如“东门小区1栋2单元301室”；同一名册内不能重复指代不同房屋。",
        "建筑面积：不动产登记簿记载的面积（未登记的按测绘实测面积，未实测的按购房合同面积），单位㎡，最多两位小数。",
        "C列：开发建设单位尚未出售或已售未交付的房屋填“是”，这类房屋不填业主，合计按一人计算；其余填“否”或不填。",
        "业主姓名必填；手机和身份证号选填。填写手机的业主可以收短信验证码在网上投票。",
        "手机号和身份证号请按文本填写（本模板E、F两列已设为文本格式）。",
        "同一业主在表中多次出现（拥有多套房屋）时，请填写相同的身份证号或手机号，系统据此认定为同一买受人，按一人计算。",
        "上传后先点“预检”：系统逐行报告问题（第几行、哪一列、什么问题），不写入任何数据；有任何一行出错，整张表都不会导入。",
    ):
        notes.append(safe_row([line]))
    notes.column_dimensions["A"].width = 110
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _area(value, row: int, errors: list[RowError]) -> Decimal | None:
    column = HEADERS[1]
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        raw = repr(value) if isinstance(value, float) else str(value).strip().removesuffix("㎡").removesuffix("m²")
        area = Decimal(raw.strip())
    except (InvalidOperation, ValueError):
        errors.append(RowError(row, column, str(_("面积不是数字"))))
        return None
    if not area.is_finite() or area <= 0:
        errors.append(RowError(row, column, str(_("面积必须大于0"))))
        return None
    if area != area.quantize(TWO_PLACES):
        errors.append(RowError(row, column, str(_("面积最多两位小数"))))
        return None
    if area >= AREA_MAX:
        errors.append(RowError(row, column, str(_("面积过大"))))
        return None
    return area.quantize(TWO_PLACES)


def _flag(value, row: int, errors: list[RowError]) -> bool | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    text = _text(value).upper()
    if text in YES:
        return True
    if text in NO:
        return False if text else None
    errors.append(RowError(row, HEADERS[2], str(_("请填写“是”或“否”"))))
    return None


def _owner(values: tuple, row: int, errors: list[RowError]) -> OwnerRow | None:
    name = _text(values[3])
    phone_cell, id_cell = values[4], values[5]
    if isinstance(id_cell, (int, float)) and not isinstance(id_cell, bool):
        errors.append(RowError(row, HEADERS[5], str(_("身份证号请按文本填写（数字格式会丢失末几位）"))))
        id_number = ""
    else:
        id_number = _text(id_cell).upper()
        if id_number and not ID_NUMBER_RE.match(id_number):
            errors.append(RowError(row, HEADERS[5], str(_("身份证号格式不正确（18位，末位可为X）"))))
    try:
        phone = normalise_phone(_text(phone_cell), field="phone")
    except ValidationFailed:
        errors.append(RowError(row, HEADERS[4], str(_("手机号格式不正确：请填写11位手机号或带区号的固定电话"))))
        phone = ""
    if len(name) > NAME_MAX:
        errors.append(RowError(row, HEADERS[3], str(format_lazy(_("姓名最多{n}字"), n=NAME_MAX))))
    if not name:
        if phone or id_number:
            errors.append(RowError(row, HEADERS[3], str(_("填写了手机或身份证号，但没有填姓名"))))
        return None
    return OwnerRow(row=row, name=name, phone=phone, id_number=id_number)


def read_sheet(upload) -> Sheet:
    """Read an uploaded .xlsx: every unit with its owners, and every problem found. Nothing is
    matched or written here."""
    sheet = Sheet()
    errors = sheet.errors
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_BYTES:
        errors.append(RowError(0, "", str(format_lazy(_("文件超过{mb}MB"), mb=MAX_BYTES // (1024 * 1024)))))
        return sheet
    try:
        upload.seek(0)
        book = load_workbook(upload, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError):
        errors.append(RowError(0, "", str(_("不是有效的Excel文件：请上传按模板填写的 .xlsx 文件"))))
        return sheet
    try:
        rows = book.worksheets[0].iter_rows(min_row=1, max_col=len(HEADERS), values_only=True)
        header = next(rows, None)
        got = [_text(v) for v in (header or ())] + [""] * len(HEADERS)
        for index, expected in enumerate(HEADERS):
            if got[index] != expected:
                errors.append(RowError(1, COLUMN_LETTERS[index], str(format_lazy(
                    _("第{col}列的表头应为“{expected}”：请使用下载的模板"), col=COLUMN_LETTERS[index], expected=expected))))
        if errors:
            return sheet
        for number, values in enumerate(rows, start=2):
            values = tuple(values) + (None,) * (len(HEADERS) - len(values))
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue
            sheet.rows += 1
            if sheet.rows > MAX_ROWS:
                errors.append(RowError(number, "", str(format_lazy(_("一次最多导入{n}行"), n=MAX_ROWS))))
                break
            _read_row(sheet, number, values)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError):
        errors.append(RowError(0, "", str(_("不是有效的Excel文件：请上传按模板填写的 .xlsx 文件"))))
    finally:
        book.close()
    for unit in sheet.units.values():
        _check_unit(unit, errors)
    if not sheet.units and not errors:
        errors.append(RowError(0, "", str(_("表中没有房屋：请从第2行起填写"))))
    errors.sort(key=lambda e: (e.row, e.column))
    return sheet


def _read_row(sheet: Sheet, number: int, values: tuple) -> None:
    errors = sheet.errors
    address = _text(values[0])
    if not address:
        errors.append(RowError(number, HEADERS[0], str(_("请填写房屋地址"))))
        return
    if len(address) > ADDRESS_MAX:
        errors.append(RowError(number, HEADERS[0], str(format_lazy(_("房屋地址最多{n}字"), n=ADDRESS_MAX))))
        return
    area = _area(values[1], number, errors)
    flag = _flag(values[2], number, errors)
    owner = _owner(values, number, errors)
    unit = sheet.units.get(address)
    if unit is None:
        unit = sheet.units[address] = UnitRows(address=address, row=number)
    if area is not None:
        if unit.area is not None and unit.area != area:
            errors.append(RowError(number, HEADERS[1], str(format_lazy(
                _("与第{row}行同一房屋的面积不一致"), row=unit.row))))
        unit.area = unit.area or area
    if flag is not None:
        if unit.developer_held is not None and unit.developer_held != flag:
            errors.append(RowError(number, HEADERS[2], str(format_lazy(
                _("与第{row}行同一房屋的填写不一致"), row=unit.row))))
        unit.developer_held = flag if unit.developer_held is None else unit.developer_held
    if owner is not None:
        same = [o for o in unit.owners if (o.id_number and o.id_number == owner.id_number)
                or (o.name == owner.name and o.phone == owner.phone and o.id_number == owner.id_number)]
        if same:
            errors.append(RowError(number, HEADERS[3], str(format_lazy(
                _("同一业主在第{row}行已登记为该房屋业主"), row=same[0].row))))
        else:
            unit.owners.append(owner)


def _check_unit(unit: UnitRows, errors: list[RowError]) -> None:
    if unit.area is None and not any(e.row == unit.row and e.column == HEADERS[1] for e in errors):
        errors.append(RowError(unit.row, HEADERS[1], str(_("请填写建筑面积"))))
    if unit.developer_held and unit.owners:
        errors.append(RowError(unit.owners[0].row, HEADERS[3], str(
            _("开发建设单位未售出或未交付的房屋不填业主"))))
    elif not unit.developer_held and not unit.owners and not any(e.row == unit.row for e in errors):
        errors.append(RowError(unit.row, HEADERS[3], str(_("请填写业主姓名（开发建设单位持有的房屋C列填“是”）"))))
    if len(unit.owners) > MAX_OWNERS_PER_UNIT:
        errors.append(RowError(unit.owners[MAX_OWNERS_PER_UNIT].row, HEADERS[3], str(format_lazy(
            _("一套房屋最多登记{n}位业主"), n=MAX_OWNERS_PER_UNIT))))
