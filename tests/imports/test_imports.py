"""Importing households, residents and staff accounts from Excel: a template to download, a dry run
that lists each row's errors (row, column, message in Chinese) and writes nothing, then all or
nothing in one transaction; who may import comes from the scope module (the community's staff, into
their own grids) and, for accounts, the security administrator — who then grants roles one by one:
an import grants none."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from sanshi.accounts.models import User
from sanshi.audit.models import AuditEntry
from sanshi.core.crypto import lookup_hash
from sanshi.core.errors import NotPermitted
from sanshi.imports.services import accounts_import, households_import, residents_import
from sanshi.imports.sheets import ACCOUNTS, HOUSEHOLDS, RESIDENTS
from sanshi.registry.models import Household, Person, StaffRole
from sanshi.registry.services import person_register

from .conftest import xlsx

ID_WANG = "50038119800101123X"


def households(*rows):
    return xlsx(HOUSEHOLDS.headers, *rows)


def residents(*rows):
    return xlsx(RESIDENTS.headers, *rows)


def accounts(*rows):
    return xlsx(ACCOUNTS.headers, *rows)


# ---- households --------------------------------------------------------------------------------

def test_a_good_file_imports_every_row_in_one_go(world):
    upload = households(["T1C1-G01", "鼎城花园1栋101室", "张三", 3], ["t1c1-g01", "鼎城花园1栋102室", "", None],
                        ["T1C1-G01", "鼎城花园2栋201室", "李四", 5.0])
    dry = households_import(actor=world.secretary, upload=upload, dry_run=True)
    assert dry.ok and (dry.rows, dry.created, dry.updated) == (3, 3, 0) and not Household.objects.exists()
    report = households_import(actor=world.secretary, upload=upload, dry_run=False)
    assert report.written and report.created == 3
    homes = {h.address: h for h in Household.objects.all()}
    assert set(homes) == {"鼎城花园1栋101室", "鼎城花园1栋102室", "鼎城花园2栋201室"}
    assert (homes["鼎城花园1栋101室"].head_name, homes["鼎城花园1栋101室"].members) == ("张三", 3)
    assert homes["鼎城花园1栋102室"].members == 1 and all(h.node == world.grid for h in homes.values())
    audit = AuditEntry.objects.get(event="household.import")
    assert (audit.actor_username, audit.obj_id, audit.node) == ("secretary", "3", "T1C1")
    assert audit.reason == "rows=3 created=3 updated=0 unchanged=0"


def test_importing_again_updates_the_known_households_and_adds_the_new(world):
    households_import(actor=world.secretary, dry_run=False, upload=households(["T1C1-G01", "1栋101室", "张三", 3]))
    report = households_import(actor=world.secretary, dry_run=False, upload=households(
        ["T1C1-G01", "1栋101室", "张三", 4], ["T1C1-G01", "1栋102室", "王五", 2], ["T1C1-G01", "1栋101室", "张三", 4]))
    assert [(e.row, e.column) for e in report.errors] == [(4, "门牌地址")] and "与第2行是同一户" in report.errors[0].message
    assert Household.objects.get().members == 3  # all or nothing
    report = households_import(actor=world.secretary, dry_run=False, upload=households(
        ["T1C1-G01", "1栋101室", "张三", 4], ["T1C1-G01", "1栋102室", "王五", 2]))
    assert (report.created, report.updated, report.unchanged) == (1, 1, 0)
    again = households_import(actor=world.secretary, dry_run=False, upload=households(["T1C1-G01", "1栋101室", "张三", 4]))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    assert Household.objects.count() == 2 and Household.objects.get(address="1栋101室").members == 4


def test_a_dry_run_lists_each_rows_errors_in_chinese_and_writes_nothing(world):
    upload = households(
        ["T1C1-G01", "1栋101室", "张三", 3],  # 2: fine
        ["", "1栋102室", "", 1],  # 3: no grid
        ["T1C1-G01", "", "李四", 1],  # 4: no address
        ["T1C1-G01", "1栋103室", "王五", "三"],  # 5: members not a number
        ["T1C1-G01", "1栋104室", "赵六", 0],  # 6: members out of range
        ["T1C1-G01", "门" * 201, "", 1],  # 7: address too long (the model's 200)
        ["T2C1-G01", "七棵树1号", "", 1],  # 8: a grid of another street
        ["NOPE", "某地", "", 1],  # 9: no such grid
        ["T1C1-G01", "1栋105室", "孙" * 51, 2.5],  # 10: head's name too long, members not whole
    )
    report = households_import(actor=world.secretary, upload=upload, dry_run=True)
    assert [(e.row, e.column) for e in report.errors] == [
        (3, "网格编码"), (4, "门牌地址"), (5, "人数"), (6, "人数"), (7, "门牌地址"), (8, "网格编码"), (9, "网格编码"),
        (10, "人数"), (10, "户主姓名")]
    messages = {(e.row, e.column): e.message for e in report.errors}
    assert messages[(3, "网格编码")] == "请填写网格编码" and messages[(7, "门牌地址")] == "门牌地址最多200字"
    assert messages[(8, "网格编码")] == messages[(9, "网格编码")] == "网格编码不存在，或不在您负责的社区（网格）内"
    assert messages[(5, "人数")] == "人数应为 1–99 的整数"
    assert not Household.objects.exists()
    assert not households_import(actor=world.secretary, upload=upload, dry_run=False).written
    assert not Household.objects.exists()


def test_each_imports_into_their_own_area_only(world):
    sibling_row = ["T1C2-G01", "艾坪村一组5号", "", 1]
    own = households_import(actor=world.sibling_worker, upload=households(sibling_row), dry_run=True)
    assert own.ok
    for user in (world.secretary, world.grid_leader):  # another community's grid reads as unknown
        report = households_import(actor=user, upload=households(sibling_row), dry_run=True)
        assert [(e.row, e.column) for e in report.errors] == [(2, "网格编码")]
    leader = households_import(actor=world.grid_leader, upload=households(["T1C1-G01", "1栋1号", "", 1]), dry_run=False)
    assert leader.written
    for user in (world.operator, world.street_officer, world.district_officer, world.supervisor, world.liaison_zj):
        with pytest.raises(NotPermitted):
            households_import(actor=user, upload=households(sibling_row), dry_run=True)


# ---- residents ---------------------------------------------------------------------------------

def test_residents_are_registered_in_their_households_with_their_contacts_encrypted(world):
    home = Household.objects.create(node=world.grid, address="鼎城花园1栋101室")
    upload = residents(["T1C1-G01", "鼎城花园1栋101室", "王建国", "13800000001", ID_WANG],
                       ["T1C1-G01", "鼎城花园1栋101室", "李秀英", "", ""])
    assert residents_import(actor=world.secretary, upload=upload, dry_run=True).created == 2
    assert not Person.objects.exists()
    report = residents_import(actor=world.secretary, upload=upload, dry_run=False)
    assert report.written and report.created == 2
    wang = Person.objects.get(name="王建国")
    assert wang.household == home and wang.phone == "13800000001" and wang.id_number == ID_WANG
    assert wang.phone_hash == lookup_hash("13800000001") and wang.id_number_hash == lookup_hash(ID_WANG)
    again = residents_import(actor=world.secretary, upload=upload, dry_run=False)  # the same sheet again
    assert (again.created, again.unchanged) == (0, 2) and Person.objects.count() == 2
    assert AuditEntry.objects.filter(event="person.import").count() == 2


def test_a_residents_errors_are_each_named(world):
    Household.objects.create(node=world.grid, address="1栋101室")
    elsewhere = Household.objects.create(node=world.grid, address="1栋102室")
    person_register(household=elsewhere, name="王建国", id_number=ID_WANG)
    report = residents_import(actor=world.secretary, dry_run=False, upload=residents(
        ["T1C1-G01", "1栋101室", "张三", "12345", ""],  # 2: phone
        ["T1C1-G01", "1栋101室", "李四", "", 500381198001011234],  # 3: ID typed as a number
        ["T1C1-G01", "1栋101室", "", "", ""],  # 4: no name
        ["T1C1-G01", "1栋999室", "赵六", "", ""],  # 5: no such household
        ["T1C1-G01", "1栋101室", "王建国", "", ID_WANG],  # 6: registered in another household
        ["T1C1-G01", "1栋101室", "钱七", "", "11010519491231002X"],  # 7: fine
        ["T1C1-G01", "1栋101室", "钱七二", "", "11010519491231002x"],  # 8: the same ID as row 7
        ["T1C1-G01", "1栋101室", "孙八", "", "1234"],  # 9: ID format
        ["NOPE-G01", "1栋101室", "周九", "12345", ""],  # 10: phone, and a grid code no one knows: both told at once
    ))
    assert [(e.row, e.column) for e in report.errors] == [
        (2, "手机"), (3, "身份证号"), (4, "姓名"), (5, "门牌地址"), (6, "身份证号"), (8, "身份证号"), (9, "身份证号"),
        (10, "手机"), (10, "网格编码")]
    assert "请先导入住户" in report.errors[3].message and "另一住户" in report.errors[4].message
    assert "与第7行的身份证号相同" in report.errors[5].message
    assert Person.objects.count() == 1 and not report.written


# ---- accounts ----------------------------------------------------------------------------------

def test_the_security_administrator_imports_accounts_without_roles(world, security_admin):
    upload = accounts(["zhang.wei", "张伟"], ["li.na", "李娜"])
    with pytest.raises(NotPermitted):
        accounts_import(actor=world.secretary, upload=upload, dry_run=True)
    report = accounts_import(actor=security_admin, upload=upload, dry_run=False)
    assert report.written and [u.username for u in report.accounts] == ["zhang.wei", "li.na"]
    created = User.objects.filter(username__in=["zhang.wei", "li.na"])
    assert created.count() == 2 and not any(u.has_usable_password() for u in created)
    assert not StaffRole.objects.filter(user__in=created).exists()  # roles are granted one by one
    assert AuditEntry.objects.filter(event="account.create").count() == 2
    assert AuditEntry.objects.filter(event="account.import", obj_id="2").count() == 1


def test_an_account_sheet_with_one_bad_row_creates_none(world, security_admin):
    report = accounts_import(actor=security_admin, dry_run=False, upload=accounts(
        ["new.one", "新人"], ["secretary", "重名"], ["bad name!", ""], ["new.one", "再来"], ["", "无账号"],
        ["x" * 200, ""]))
    assert [(e.row, e.column) for e in report.errors] == [
        (3, "账号（用户名）"), (4, "账号（用户名）"), (5, "账号（用户名）"), (6, "账号（用户名）"), (7, "账号（用户名）")]
    assert report.errors[0].message == "该用户名已被使用" and "与第2行的账号相同" in report.errors[2].message
    assert not User.objects.filter(username="new.one").exists() and not report.written


# ---- the pages ---------------------------------------------------------------------------------

def test_the_template_downloads_and_reads_back_clean(world, client, security_admin):
    for user, kind, sheet in ((world.secretary, "households", HOUSEHOLDS), (world.secretary, "residents", RESIDENTS),
                              (security_admin, "accounts", ACCOUNTS)):
        client.force_login(user)
        response = client.get(f"/staff/imports/{kind}/template.xlsx")
        assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
        book = load_workbook(io.BytesIO(response.content))
        assert [c.value for c in book.worksheets[0][1]] == list(sheet.headers)
        assert book.sheetnames == [sheet.title, "填写说明"] and book.worksheets[0].freeze_panes == "A2"
    client.force_login(world.secretary)
    data = client.get("/staff/imports/households/template.xlsx").content
    checked = client.post("/staff/imports/households/", {"op": "check", "file": SimpleUploadedFile("t.xlsx", data)})
    assert checked.status_code == 200 and "预检通过" in checked.content.decode() and not Household.objects.exists()


def test_the_page_checks_then_imports_and_says_what_happened(world, client):
    client.force_login(world.grid_worker)
    upload = households(["T1C1-G01", "1栋101室", "张三", 3], ["T1C1-G01", "1栋102室", "", "x"])
    refused = client.post("/staff/imports/households/", {"op": "import", "file": upload})
    html = refused.content.decode()
    assert refused.status_code == 400 and "发现 1 个问题，未导入任何数据" in html and "人数应为 1–99 的整数" in html
    assert '<td>3</td><td>人数</td>' in html and not Household.objects.exists()
    good = households(["T1C1-G01", "1栋101室", "张三", 3])
    done = client.post("/staff/imports/households/", {"op": "import", "file": good}, follow=True)
    assert "导入完成：新增 1 条" in done.content.decode() and Household.objects.count() == 1


def test_the_accounts_page_shows_each_activation_link_once_and_grants_no_role(world, client, security_admin):
    client.force_login(security_admin)
    response = client.post("/staff/imports/accounts/", {"op": "import", "file": accounts(["zhang.wei", "张伟"])})
    html = response.content.decode()
    assert response.status_code == 200 and "已创建 1 个账号" in html and "/staff/roles/activate/" in html
    assert "导入不会分配任何岗位" in html and not StaffRole.objects.filter(user__username="zhang.wei").exists()


@pytest.mark.parametrize("kind,allowed", [
    ("households", {"secretary", "gridleader", "gridworker"}), ("residents", {"secretary", "gridleader", "gridworker"}),
    ("accounts", {"secadmin"})])
def test_who_may_open_each_import(world, client, security_admin, kind, allowed):
    for user in User.objects.all():
        client.force_login(user)
        want = 200 if user.username in allowed or user.username == "sibling-worker" and kind != "accounts" else 403
        assert client.get(f"/staff/imports/{kind}/").status_code == want, (user.username, kind)
        assert client.get(f"/staff/imports/{kind}/template.xlsx").status_code == want, (user.username, kind)
        index = client.get("/staff/imports/")
        assert index.status_code == 200
        # the menu offers the imports to who may import something, and to no one else
        assert ('id="nav-imports"' in index.content.decode()) == (
            user.username in {"secretary", "gridleader", "gridworker", "sibling-worker", "secadmin"}), user.username
    assert client.get("/staff/imports/pets/").status_code == 404
    client.logout()
    assert client.get(f"/staff/imports/{kind}/").status_code == 302


# ---- the command -------------------------------------------------------------------------------

def test_the_command_checks_and_imports_with_progress(world, tmp_path):
    path = tmp_path / "住户.xlsx"
    path.write_bytes(households(*[["T1C1-G01", f"1栋{i}号", "", 1] for i in range(1, 2502)]).read())
    out = io.StringIO()
    call_command("import", "households", str(path), "--as", "secretary", "--dry-run", stdout=out)
    text = out.getvalue()
    assert "已读取 1000 行…" in text and "已读取 2000 行…" in text and "预检通过。共 2501 行：新增 2501" in text
    assert not Household.objects.exists()
    out = io.StringIO()
    call_command("import", "households", str(path), "--as", "secretary", stdout=out)
    assert "导入完成。共 2501 行：新增 2501" in out.getvalue() and Household.objects.count() == 2501


def test_the_command_prints_each_error_and_writes_nothing(world, tmp_path):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(households(["T1C1-G01", "1栋1号", "", 1], ["T2C1-G01", "七棵树1号", "", 1]).read())
    out = io.StringIO()
    with pytest.raises(CommandError, match="发现 1 个问题，未导入任何数据"):
        call_command("import", "households", str(path), "--as", "secretary", stdout=out)
    assert "第3行 · 网格编码：网格编码不存在" in out.getvalue() and not Household.objects.exists()
    with pytest.raises(CommandError, match="只有社区书记、网格长和网格员"):
        call_command("import", "households", str(path), "--as", "operator", stdout=io.StringIO())
    with pytest.raises(CommandError, match="--as"):
        call_command("import", "households", str(path), stdout=io.StringIO())
    template = tmp_path / "t.xlsx"
    call_command("import", "residents", str(template), "--template", stdout=io.StringIO())
    assert [c.value for c in load_workbook(template).active[1]] == list(RESIDENTS.headers)
