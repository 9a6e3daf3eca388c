"""A file that is not a plain .xlsx filled in from the template is refused with a Chinese message
that says what to do, before anything is parsed or written: wrong columns, a bad row, not an xlsx,
an old .xls, 10 MB of junk, a zip bomb, XML with a DTD, a corrupted sheet. Never a 500."""

import io
import os
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from sanshi.audit.models import AuditEntry
from sanshi.imports.services import households_import
from sanshi.imports.sheets import HOUSEHOLDS
from sanshi.registry.models import Household

from .conftest import xlsx

CHINESE = ("文件", "Excel", "表头", "模板")


def _good_book() -> bytes:
    book = Workbook()
    book.active.append(list(HOUSEHOLDS.headers))
    book.active.append(["T1C1-G01", "鼎城花园1栋101室", "张三", 3])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _rezip(replace: dict[str, bytes], *, add: dict[str, bytes] | None = None) -> bytes:
    """The good workbook with some parts replaced or added."""
    src = zipfile.ZipFile(io.BytesIO(_good_book()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item.filename, replace.get(item.filename, src.read(item.filename)))
        for name, data in (add or {}).items():
            dst.writestr(name, data)
    return out.getvalue()


def _bomb() -> bytes:
    """A workbook whose sheet unpacks to 60 MB of blanks from a few dozen KB: a zip bomb's shape."""
    sheet = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
             b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
             + b" " * (60 * 1024 * 1024) + b"</sheetData></worksheet>")
    return _rezip({"xl/worksheets/sheet1.xml": sheet})


ENTITY = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
          b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
          b'<row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c></row></sheetData></worksheet>')

BAD_FILES = {
    "not an xlsx (a CSV renamed)": (b"\xe7\xbd\x91\xe6\xa0\xbc\xe7\xbc\x96\xe7\xa0\x81,\n" * 50, "不是 Excel 文件"),
    "an empty file": (b"", "不是 Excel 文件"),
    "an old .xls (or a password)": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + os.urandom(4000), "旧版 Excel（.xls）"),
    "10 MB of junk": (os.urandom(10 * 1024 * 1024), "不是 Excel 文件"),
    "11 MB of junk": (os.urandom(11 * 1024 * 1024), "文件超过 10 MB"),
    "a zip that is no workbook": (None, "不是 Excel 文件"),
    "a zip bomb": (None, "压缩比异常"),
    "XML with a DTD": (None, "XML 文档类型声明"),
    "a corrupted sheet": (None, "文件已损坏"),
    "a truncated workbook": (None, "文件已损坏"),
}


def _content(name: str) -> bytes:
    data, _message = BAD_FILES[name]
    if data is not None:
        return data
    if name == "a zip that is no workbook":
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as z:
            z.writestr("readme.txt", "hello")
        return out.getvalue()
    if name == "a zip bomb":
        return _bomb()
    if name == "XML with a DTD":
        return _rezip({"xl/worksheets/sheet1.xml": ENTITY})
    if name == "a corrupted sheet":
        return _rezip({"xl/worksheets/sheet1.xml": b"<worksheet><sheetData><row><c>"})
    if name == "a truncated workbook":
        return _good_book()[:-200]
    raise AssertionError(name)


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_a_bad_file_is_refused_with_a_chinese_message_and_writes_no_row(world, name):
    upload = SimpleUploadedFile("住户.xlsx", _content(name))
    report = households_import(actor=world.secretary, upload=upload, dry_run=False)
    assert not report.written and not Household.objects.exists()
    assert [(e.row, e.column) for e in report.errors] == [(0, "")], report.errors
    assert BAD_FILES[name][1] in report.errors[0].message, report.errors[0].message
    assert not AuditEntry.objects.filter(event="household.import").exists()


def test_an_unpacked_size_over_the_limit_is_refused(world, settings):
    settings.SANSHI_IMPORT_MAX_UNPACKED_BYTES = 2000
    report = households_import(actor=world.secretary, upload=SimpleUploadedFile("a.xlsx", _good_book()))
    assert "解压后超过" in report.errors[0].message and not Household.objects.exists()


@pytest.mark.parametrize("header,where", [
    (("网格编码", "门牌地址", "户主姓名"), [(1, "D")]),  # a column missing
    (("门牌地址", "网格编码", "户主姓名", "人数"), [(1, "A"), (1, "B")]),  # two swapped
    ((*HOUSEHOLDS.headers, "备注"), [(1, "E")]),  # one added
    (("地址",), [(1, "A"), (1, "B"), (1, "C"), (1, "D")]),
])
def test_wrong_columns_are_named_and_nothing_is_written(world, header, where):
    report = households_import(actor=world.secretary, dry_run=False,
                               upload=xlsx(header, ["T1C1-G01", "鼎城花园1栋101室", "张三", 3]))
    assert [(e.row, e.column) for e in report.errors] == where
    assert all("请使用下载的模板" in e.message for e in report.errors)
    assert not Household.objects.exists()


def test_bad_files_through_the_page_are_a_message_never_a_500(world, client):
    client.force_login(world.secretary)
    for name in BAD_FILES:
        upload = SimpleUploadedFile("住户.xlsx", _content(name))
        response = client.post("/staff/imports/households/", {"op": "import", "file": upload})
        assert response.status_code == 400, (name, response.status_code)
        html = response.content.decode()
        if name == "an empty file":  # the form refuses it before the import looks
            assert "所提交的是空文件" in html or "这个字段是必填项" in html
        else:
            assert "未导入任何数据" in html and BAD_FILES[name][1] in html, name
    response = client.post("/staff/imports/households/", {"op": "import"})  # no file at all
    assert response.status_code == 400 and "这个字段是必填项" in response.content.decode()
    assert not Household.objects.exists()
