"""Importing an electorate from Excel: a template to download, a dry run that reports every row's
errors (row, column, message) and writes nothing, and an import that writes everything in one
transaction or nothing at all; owners are matched to the person register or registered in it."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from sanshi.audit.models import AuditEntry
from sanshi.core.errors import NotPermitted
from sanshi.registry.models import Household, Person
from sanshi.registry.services import person_register
from sanshi.votes.models import Unit
from sanshi.votes.services import electorate_import
from sanshi.votes.spreadsheet import HEADERS, template_workbook

ID_WANG = "50038119800101123X"


def sheet(*rows, header=HEADERS) -> SimpleUploadedFile:
    book = Workbook()
    ws = book.active
    ws.append(header)
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile("名册.xlsx", out.getvalue())


def test_the_template_as_downloaded_reads_without_errors(world, compound):
    data = template_workbook()
    book = load_workbook(io.BytesIO(data))
    assert [c.value for c in book.worksheets[0][1]] == HEADERS and book.sheetnames == ["业主名册", "填写说明"]
    report = electorate_import(actor=world.secretary, electorate=compound.electorate,
                               upload=SimpleUploadedFile("t.xlsx", data), dry_run=True)
    assert report.ok and report.units_new == 2 and report.developer_units == 1 and report.owners_new == 2
    assert not Unit.objects.exists()


def test_a_dry_run_reports_each_rows_errors_and_writes_nothing(world, compound):
    upload = sheet(
        ["1栋101室", "abc", "否", "张三", "", ""],  # 2: area not a number
        ["1栋102室", 89.375, "否", "李四", "", ""],  # 3: three decimals
        ["1栋103室", 90, "也许", "王五", "", ""],  # 4: flag
        ["1栋104室", 90, "", "赵六", "1234", ""],  # 5: phone
        ["1栋105室", 90, "", "钱七", "", 500381198001011234],  # 6: ID typed as a number
        ["1栋106室", 90, "", "", "13800000001", ""],  # 7: a phone without a name
        ["1栋107室", 90, "是", "孙八", "", ""],  # 8: the developer's unit with an owner
        ["1栋108室", None, "", "周九", "", ""],  # 9: no area
        ["1栋109室", 90, "", "吴十", "", ""],  # 10: fine
        ["1栋109室", 95, "", "郑十一", "", ""],  # 11: the same unit, another area
        ["", 90, "", "冯", "", ""],  # 12: no address
    )
    report = electorate_import(actor=world.secretary, electorate=compound.electorate, upload=upload, dry_run=True)
    assert [(e.row, e.column) for e in report.errors] == [
        (2, "建筑面积（㎡）"), (3, "建筑面积（㎡）"), (4, "开发建设单位未售出或未交付"), (5, "业主手机"),
        (6, "业主身份证号"), (7, "业主姓名"), (8, "业主姓名"), (9, "建筑面积（㎡）"), (11, "建筑面积（㎡）"),
        (12, "房屋地址")]
    assert all(e.message for e in report.errors)
    assert not report.written and not Unit.objects.exists() and not Person.objects.exists()


def test_one_bad_row_and_nothing_is_imported(world, compound):
    upload = sheet(["1栋101室", 90, "", "张三", "", ""], ["1栋102室", -5, "", "李四", "", ""])
    report = electorate_import(actor=world.secretary, electorate=compound.electorate, upload=upload, dry_run=False)
    assert [(e.row, e.column) for e in report.errors] == [(3, "建筑面积（㎡）")]
    assert not report.written and not Unit.objects.exists() and not Person.objects.exists()
    assert not AuditEntry.objects.filter(event="electorate.import").exists()


def test_a_wrong_file_or_header_is_reported(world, compound):
    report = electorate_import(actor=world.secretary, electorate=compound.electorate,
                               upload=SimpleUploadedFile("x.xlsx", b"not a workbook"), dry_run=True)
    assert [(e.row, e.column) for e in report.errors] == [(0, "")]
    report = electorate_import(actor=world.secretary, electorate=compound.electorate,
                               upload=sheet(["1栋101室", 90, "", "张三"], header=["地址", "面积"]), dry_run=True)
    assert {e.row for e in report.errors} == {1}


def test_an_import_matches_owners_to_the_register_or_registers_them(world, compound):
    # given 王, in the register with his ID number, and a household at 1栋102室
    home = Household.objects.create(node=world.grid, address="鼎城花园1栋101室")
    wang = person_register(household=home, name="王建国", id_number=ID_WANG)
    Household.objects.create(node=world.grid, address="鼎城花园1栋102室")
    upload = sheet(
        ["鼎城花园1栋101室", 89.37, "否", "王建国", "", ID_WANG],
        ["鼎城花园1栋102室", 120.5, "", "王建国", "", ID_WANG],  # his second unit: the same person
        ["鼎城花园1栋102室", None, None, "李秀英", "13900000002", ""],  # a co-owner, new to the register
        ["鼎城花园2栋201室", 95, "", "赵", "", ""],  # a new household at a new address
        ["鼎城花园2栋202室", 95, "是", "", "", ""],  # the developer's
    )
    dry = electorate_import(actor=world.secretary, electorate=compound.electorate, upload=upload, dry_run=True)
    assert (dry.units_new, dry.owners_matched, dry.owners_new, str(dry.total_area)) == (4, 1, 2, "399.87")
    report = electorate_import(actor=world.secretary, electorate=compound.electorate, upload=upload, dry_run=False)
    assert report.written and report.ok
    units = {u.address: u for u in Unit.objects.prefetch_related("owners")}
    assert {p.pk for p in units["鼎城花园1栋101室"].owners.all()} == {wang.pk}
    assert {p.name for p in units["鼎城花园1栋102室"].owners.all()} == {"王建国", "李秀英"}
    assert str(units["鼎城花园1栋101室"].area) == "89.37" and units["鼎城花园2栋202室"].developer_held
    li = Person.objects.get(name="李秀英")
    assert li.household.address == "鼎城花园1栋102室" and li.phone == "13900000002"  # the existing household
    assert Person.objects.get(name="赵").household.node == world.grid  # a household made at the unit's address
    assert Person.objects.filter(name="王建国").count() == 1
    assert AuditEntry.objects.filter(event="electorate.import", obj_id=str(compound.electorate.pk)).count() == 1


def test_importing_again_updates_the_units_named_and_keeps_the_others(world, compound):
    electorate_import(actor=world.secretary, electorate=compound.electorate, dry_run=False, upload=sheet(
        ["1栋101室", 90, "", "张三", "13800000001", ""], ["1栋102室", 90, "", "李四", "", ""]))
    report = electorate_import(actor=world.secretary, electorate=compound.electorate, dry_run=False, upload=sheet(
        ["1栋101室", 91.5, "", "张三", "13800000001", ""], ["1栋101室", None, "", "张小三", "", ""]))
    assert (report.units_new, report.units_updated, report.units_kept, report.owners_matched) == (0, 1, 1, 1)
    unit = Unit.objects.get(address="1栋101室")
    assert str(unit.area) == "91.50" and {p.name for p in unit.owners.all()} == {"张三", "张小三"}
    assert Unit.objects.filter(address="1栋102室").exists()
    assert Person.objects.filter(name="张三").count() == 1


def test_only_the_communitys_secretary_imports(world, compound):
    with pytest.raises(NotPermitted):
        electorate_import(actor=world.grid_worker, electorate=compound.electorate, dry_run=True,
                          upload=sheet(["1栋101室", 90, "", "张三", "", ""]))
