"""Excel in and out (.xlsx, openpyxl), for every app: a workbook from rows, a template to fill in,
and an upload opened and read with every problem reported as (row, column, message).

Out: `workbook_response(filename, headers, rows, widths)` — a header row in Chinese (bold, shaded),
the panes frozen below it, column widths, dates as real Excel dates in local time, and every text
cell neutralised (`exports.safe_row`: no formula runs). Written in openpyxl's write-only mode, so a
large sheet streams to a temporary file instead of building every cell in memory. Bounding and
auditing an export is the caller's (`sanshi.cases.exports.audited_export` does both).

In: `read_table(upload, headers, max_rows=…)` refuses, with a Chinese message and before openpyxl
parses anything, a file that is too large, not an .xlsx (an old .xls, a password-protected file,
junk), a zip that would unpack to far more than it weighs (a zip bomb) or XML with a DTD (entity
expansion); then it checks the header row against the template's and returns the non-empty rows
with their sheet row numbers. It writes nothing: the importing service validates the rows and
writes all of them or none."""

import io
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.http import content_disposition_header
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from .exports import neutralised

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="FDE8E8")
TITLE_FONT = Font(bold=True, size=14)
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
DATE_FORMAT = "yyyy-mm-dd"
DEFAULT_WIDTH = 14

# ---- out ---------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A value openpyxl can store: lazy text made text, aware times made local (Excel has no time
    zones), characters XML cannot hold removed, formula-looking text neutralised."""
    if isinstance(value, Promise):
        value = str(value)
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value).replace(tzinfo=None)
    if isinstance(value, str):
        value = neutralised(ILLEGAL_CHARACTERS_RE.sub("", value))
    return value


def _cell(sheet, value: Any) -> Any:
    value = _plain(value)
    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value)
        cell.number_format = DATETIME_FORMAT
        return cell
    if isinstance(value, date):
        cell = WriteOnlyCell(sheet, value)
        cell.number_format = DATE_FORMAT
        return cell
    return value


def workbook_bytes(headers: Sequence[str], rows: Iterable[Sequence[Any]], widths: Sequence[int] | None = None, *,
                   sheet_title: str = "导出", title_lines: Sequence[str] = ()) -> bytes:
    """One sheet: `title_lines` (e.g. the list's name and filters, when it was exported), the header
    row, then `rows` (any iterable: a generator streams). The panes are frozen below the header."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(sheet_title[:31])
    widths = list(widths or [])
    for index in range(len(headers)):
        width = widths[index] if index < len(widths) else DEFAULT_WIDTH
        sheet.column_dimensions[get_column_letter(index + 1)].width = width
    sheet.freeze_panes = f"A{len(title_lines) + 2}"
    for number, line in enumerate(title_lines):
        cell = WriteOnlyCell(sheet, _plain(line))
        cell.font = TITLE_FONT if number == 0 else Font(color="616E7C")
        sheet.append([cell])
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, _plain(header))
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(vertical="center", wrap_text=True)
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        sheet.append([_cell(sheet, value) for value in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "no-store"  # personal data: no copy in a shared cache or the browser's
    return response


def workbook_response(filename: str, headers: Sequence[str], rows: Iterable[Sequence[Any]],
                      widths: Sequence[int] | None = None, **options) -> HttpResponse:
    """The workbook of `workbook_bytes` as a download named `filename` (Chinese allowed)."""
    return xlsx_response(workbook_bytes(headers, rows, widths, **options), filename)


def template_bytes(headers: Sequence[str], widths: Sequence[int], examples: Sequence[Sequence[Any]],
                   notes: Sequence[str], *, sheet_title: str, text_columns: Sequence[int] = ()) -> bytes:
    """A sheet to fill in (the header, example rows, text columns formatted as text for 2,000 rows)
    and a second sheet of instructions. Read back by `read_table` with the same headers."""
    book = Workbook()
    sheet = book.active
    sheet.title = sheet_title[:31]
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
    for example in examples:
        sheet.append([_plain(v) for v in example])
    for index, width in enumerate(widths, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = width
        if index - 1 in text_columns:
            for row in range(2, 2000):
                sheet[f"{letter}{row}"].number_format = "@"
    sheet.freeze_panes = "A2"
    help_sheet = book.create_sheet("填写说明")
    for line in notes:
        help_sheet.append([_plain(line)])
    help_sheet.column_dimensions["A"].width = 110
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# ---- in ----------------------------------------------------------------------------------------

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, and an .xlsx saved with a password
ZIP_MAGIC = b"PK\x03\x04"
MAX_MEMBERS = 500  # parts of one workbook (a plain sheet has about ten)
MAX_RATIO = 200  # a part that unpacks to more than 200× its packed size (and over 1 MB) is a bomb
MIN_RATIO_CHECKED = 1024 * 1024


@dataclass(frozen=True)
class RowError:
    row: int  # the sheet's row number (1 is the header); 0 for the file itself
    column: str  # the column's header, or "" for the whole row or file
    message: str


@dataclass
class Table:
    """The non-empty rows of an upload, each with its sheet row number, values padded to the
    headers; or the problems that stopped the reading."""

    rows: list[tuple[int, tuple]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


class UploadRefused(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


def _mb(n: int) -> int:
    return n // (1024 * 1024)


def _check_package(upload) -> None:
    """Refuse what is not a plain .xlsx before openpyxl parses it (raises UploadRefused)."""
    size = getattr(upload, "size", None)
    limit = settings.SANSHI_IMPORT_MAX_BYTES
    if size is not None and size > limit:
        raise UploadRefused(format_lazy(_("文件超过 {mb} MB：请只保留需要导入的表格，或分成几个文件导入"), mb=_mb(limit)))
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if head.startswith(OLE_MAGIC):
        raise UploadRefused(_("这是旧版 Excel（.xls）文件或加了密码的文件：请在 Excel 里去掉密码，“另存为”.xlsx 格式后上传"))
    if not head.startswith(ZIP_MAGIC):
        raise UploadRefused(_("不是 Excel 文件：请上传按模板填写的 .xlsx 文件"))
    try:
        with zipfile.ZipFile(upload) as package:
            parts = package.infolist()
            if len(parts) > MAX_MEMBERS:
                raise UploadRefused(_("文件结构异常（部件过多）：请用 Excel 重新保存为 .xlsx 后上传"))
            unpacked = sum(p.file_size for p in parts)
            if unpacked > settings.SANSHI_IMPORT_MAX_UNPACKED_BYTES or any(
                    p.file_size > MIN_RATIO_CHECKED and p.file_size > MAX_RATIO * max(p.compress_size, 1)
                    for p in parts):
                raise UploadRefused(format_lazy(
                    _("文件解压后超过 {mb} MB 或压缩比异常，可能已损坏或是恶意文件：请只保留需要导入的表格，用 Excel 重新保存后上传"),
                    mb=_mb(settings.SANSHI_IMPORT_MAX_UNPACKED_BYTES)))
            names = {p.filename for p in parts}
            if "xl/workbook.xml" not in names:
                raise UploadRefused(_("不是 Excel 文件：请上传按模板填写的 .xlsx 文件"))
            for part in parts:
                if part.filename.endswith((".xml", ".rels")):
                    with package.open(part) as stream:
                        start = stream.read(2048)
                    if b"<!DOCTYPE" in start or b"<!ENTITY" in start:
                        raise UploadRefused(_("文件含有不允许的内容（XML 文档类型声明）：请用 Excel 重新保存后上传"))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError):
        raise UploadRefused(_("文件已损坏或不是 Excel 文件：请用 Excel 打开确认后，重新保存为 .xlsx 上传")) from None
    finally:
        upload.seek(0)


def text(value: Any) -> str:
    """A cell as text: '' for empty, 12 for 12.0, trimmed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, date):
        return f"{value:%Y-%m-%d}"
    return str(value).strip()


def _blank(values: Sequence[Any]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def read_table(upload, headers: Sequence[str], *, max_rows: int,
               progress: Callable[[int], None] | None = None) -> Table:
    """The rows of the upload's first sheet under a header row equal to `headers`; or why not
    (row 0: the file; row 1: the header). At most `max_rows` non-empty rows."""
    table = Table()
    try:
        _check_package(upload)
    except UploadRefused as refused:
        table.errors.append(RowError(0, "", str(refused.message)))
        return table
    width = len(headers)
    try:
        book = load_workbook(upload, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, EOFError, ValueError, TypeError,
            IndexError, AttributeError, SyntaxError):  # SyntaxError: expat's ParseError (malformed XML)
        table.errors.append(RowError(0, "", str(_("文件已损坏或不是 Excel 文件：请用 Excel 打开确认后，重新保存为 .xlsx 上传"))))
        return table
    try:
        if not book.worksheets:
            table.errors.append(RowError(0, "", str(_("文件里没有工作表：请使用下载的模板"))))
            return table
        rows = book.worksheets[0].iter_rows(min_row=1, max_col=width + 5, values_only=True)
        header = tuple(next(rows, ()))
        got = [text(v) for v in header] + [""] * (width + 5)
        for index, expected in enumerate(headers):
            if got[index] != expected:
                letter = get_column_letter(index + 1)
                table.errors.append(RowError(1, letter, str(format_lazy(
                    _("第{col}列的表头应为“{expected}”，实际是“{got}”：请使用下载的模板，不要增删或调换列"),
                    col=letter, expected=expected, got=got[index] or _("空")))))
        for index in range(width, width + 5):
            if got[index]:
                letter = get_column_letter(index + 1)
                table.errors.append(RowError(1, letter, str(format_lazy(
                    _("多出了第{col}列“{got}”：请使用下载的模板，不要增加列"), col=letter, got=got[index]))))
        if table.errors:
            return table
        count = 0
        for number, values in enumerate(rows, start=2):
            values = tuple(values)[:width]
            values = values + (None,) * (width - len(values))
            if _blank(values):
                continue
            count += 1
            if count > max_rows:
                table.errors.append(RowError(number, "", str(format_lazy(
                    _("一次最多导入 {n} 行：请分成几个文件导入"), n=max_rows))))
                break
            table.rows.append((number, values))
            if progress is not None and count % 1000 == 0:
                progress(count)
    except (zipfile.BadZipFile, KeyError, OSError, EOFError, ValueError, TypeError, IndexError, AttributeError,
            SyntaxError):
        table.errors.append(RowError(0, "", str(_("文件已损坏或不是 Excel 文件：请用 Excel 打开确认后，重新保存为 .xlsx 上传"))))
    finally:
        book.close()
    if not table.rows and not table.errors:
        table.errors.append(RowError(0, "", str(_("表中没有数据：请从第2行起填写"))))
    return table
