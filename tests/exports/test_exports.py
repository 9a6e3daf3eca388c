"""Each list exports to .xlsx with its filters applied: a Chinese header row under a title naming the
filters, frozen panes, column widths, only the rows the user may see, personal data in full only
for who handles the case, never a tracking code, no cell that runs as a formula; each export is
audited with its filters as the reason, and an export too large for one file is refused with what to
do instead."""

import pytest
from django.utils import timezone

from sanshi.audit.models import AuditEntry
from sanshi.cases.models import Case, Status
from sanshi.core.xlsx import workbook_response
from sanshi.deliberation.models import Meeting
from sanshi.intake.models import Request
from sanshi.registry.models import Role
from sanshi.supervision.models import FollowUpVisit, LedgerEntry

from .conftest import PHONE, received, sheet_of, triaged

BODY = "/staff/bodies/community_review_meeting/"


def test_a_body_lists_export_holds_its_filtered_rows_in_a_sheet_staff_can_read(world, client):
    lamp = triaged(world, "东门小区路灯不亮", on=(2026, 3, 5))
    rubbish = triaged(world, "鼎城花园垃圾清运不及时", on=(2026, 5, 20))
    triaged(world, "七棵树停车难", grid="T2C1-G01")  # another street: out of the officer's sight
    client.force_login(world.street_officer)
    response = client.get(BODY + "export/?from=2026-05-01")
    sheet, header, rows = sheet_of(response)
    assert sheet.freeze_panes == "A4"  # the title, the filters and the header stay in view
    assert header[:4] == ("编号", "事项", "类别", "状态") and all(isinstance(h, str) for h in header)
    assert sheet.column_dimensions["B"].width == 36 and sheet.column_dimensions["A"].width == 18
    assert [r["编号"] for r in rows] == [rubbish.number]
    assert rows[0]["事项"] == "鼎城花园垃圾清运不及时" and rows[0]["类别"] == "共事" and rows[0]["状态"] == "已分拣"
    assert rows[0]["责任主体"] == "东门社区" and rows[0]["受理时间"].date().isoformat() == "2026-05-20"
    title, info = sheet["A1"].value, sheet["A2"].value
    assert title.startswith("社区评议会事项") and "受理日期从：2026-05-01" in info and "共 1 条" in info
    assert "attachment" in response["Content-Disposition"] and response["Cache-Control"] == "no-store"
    audit = AuditEntry.objects.get(event="export")
    assert (audit.actor_username, audit.obj_type, audit.obj_id, audit.reason) == (
        "street", "cases:community_review_meeting", "1", "from=2026-05-01")
    everything = sheet_of(client.get(BODY + "export/"))[2]
    assert {r["编号"] for r in everything} == {lamp.number, rubbish.number}


def test_personal_data_in_full_only_for_who_handles_the_case_and_never_a_tracking_code(world, client):
    case = triaged(world, "楼上漏水", kind="SHARED", name="王建国", phone=PHONE, address="鼎城花园3栋501")
    Case.objects.filter(pk=case.pk).update(result=f"已联系 {PHONE}，明日上门")
    code = case.requests.get().tracking_code
    client.force_login(world.secretary)  # the community review meeting's convener: handles it
    mine = sheet_of(client.get(BODY + "export/?status=all"))[2]
    assert mine[0]["办理结果"] == f"已联系 {PHONE}，明日上门"
    client.force_login(world.district_officer)  # sees the district's cases, handles none of them
    theirs = sheet_of(client.get(BODY + "export/?status=all"))[2]
    assert theirs[0]["办理结果"] == "已联系 138****5678，明日上门"
    for user in (world.secretary, world.district_officer, world.street_officer):
        client.force_login(user)
        response = client.get(BODY + f"export/?q={code}")
        assert [r["编号"] for r in sheet_of(response)[2]] == [case.number]  # the code found it
        assert code.encode() not in response.content and code not in str(sheet_of(response)[0]["A2"].value)
    reasons = list(AuditEntry.objects.filter(event="export").values_list("reason", flat=True))
    assert not any(code in r for r in reasons) and "q=[查询码]" in reasons


def test_the_pool_export_masks_the_reporter_for_who_does_not_handle_the_request(world, client):
    case = received("楼道堆放杂物", name="王建国", phone=PHONE, address="鼎城花园3栋501",
                    text=f"楼道堆满杂物，请联系我 {PHONE}")
    code = Request.objects.get(case=case).tracking_code
    client.force_login(world.operator)  # the command centre handles what waits in the pool
    row = sheet_of(client.get("/staff/pool/export/"))[2][0]
    assert (row["反映人"], row["地址"], row["联系电话"]) == ("王建国", "鼎城花园3栋501", "138****5678")
    assert PHONE in row["诉求内容"] and row["编号"] == case.number and row["所在网格"] == "鼎城花园网格"
    client.force_login(world.secretary)  # sees its community's pool, does not handle it
    response = client.get("/staff/pool/export/")
    row = sheet_of(response)[2][0]
    assert (row["反映人"], row["地址"], row["联系电话"]) == ("王**", None, "138****5678")  # empty cell
    assert PHONE not in row["诉求内容"] and "138****5678" in row["诉求内容"]
    assert code.encode() not in response.content and PHONE.encode() not in response.content


def test_a_formula_looking_cell_is_neutralised(world, client):
    triaged(world, "=cmd|' /C calc'!A0")
    meeting = Meeting.objects.create(body="community_review_meeting", level="community", org=world.community,
                                     title="+SUM(A1:A9)", convener=world.secretary, scheduled_at=timezone.now(),
                                     place="@会议室")
    client.force_login(world.secretary)
    for url, column, value in ((BODY + "export/", "事项", "'=cmd|' /C calc'!A0"),
                               ("/staff/meetings/export/", "会议名称", "'+SUM(A1:A9)"),
                               ("/staff/meetings/export/", "地点", "'@会议室")):
        sheet, _header, rows = sheet_of(client.get(url))
        assert rows[0][column] == value
        assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)
    assert meeting.pk


def test_every_list_exports_only_what_its_user_sees(world, client):
    ours, theirs = triaged(world, "东门公事", kind="PUBLIC"), triaged(world, "七棵树公事", kind="PUBLIC", grid="T2C1-G01")
    for case in (ours, theirs):
        Case.objects.filter(pk=case.pk).update(status=Status.CLOSED, kind="HOUSEHOLD")
        FollowUpVisit.objects.create(case=case, grid=case.grid, created_at=timezone.now(), due_at=timezone.now(),
                                     note="已电话回访")
    received("东门诉求")
    received("七棵树诉求", grid="T2C1-G01")
    Meeting.objects.create(body="community_review_meeting", level="community", org=world.community, title="东门评议会",
                           convener=world.secretary, scheduled_at=timezone.now())
    Meeting.objects.create(body="community_review_meeting", level="community", org=world.other_grid_community,
                           title="七棵树评议会", convener=world.secretary, scheduled_at=timezone.now())
    assert LedgerEntry.objects.count() == 2
    client.force_login(world.street_officer)
    for url, column in (("/staff/ledger/export/?status=all", "事项"), ("/staff/visits/export/?status=all", "事项"),
                        ("/staff/pool/export/", "事项"), ("/staff/meetings/export/", "会议名称")):
        values = [r[column] for r in sheet_of(client.get(url))[2]]
        assert len(values) == 1 and values[0].startswith("东门"), (url, values)
        assert not any("七棵树" in v for v in values)
    client.force_login(world.staff("auditor", Role.AUDIT_ADMIN, world.district))  # the administrators see no cases
    for url in ("/staff/ledger/export/?status=all", "/staff/visits/export/?status=all", "/staff/pool/export/"):
        assert sheet_of(client.get(url))[2] == []


def test_the_visits_export_masks_a_note_for_who_does_not_handle_the_case(world, client):
    case = triaged(world, "邻里噪音", kind="HOUSEHOLD")
    Case.objects.filter(pk=case.pk).update(status=Status.CLOSED)
    FollowUpVisit.objects.create(case=case, grid=world.grid, created_at=timezone.now(), due_at=timezone.now(),
                                 done_at=timezone.now(), satisfaction="satisfied", contact_method="phone",
                                 visited_by=world.grid_leader, note=f"电话 {PHONE} 回访，满意")
    client.force_login(world.grid_leader)
    row = sheet_of(client.get("/staff/visits/export/?status=done"))[2][0]
    assert row["回访记录"] == f"电话 {PHONE} 回访，满意" and row["满意度"] == "满意" and row["回访人"] == "gridleader"
    client.force_login(world.street_officer)
    row = sheet_of(client.get("/staff/visits/export/?status=done"))[2][0]
    assert row["回访记录"] == "电话 138****5678 回访，满意"
    assert PHONE not in client.get("/staff/visits/?status=done").content.decode()


def test_an_export_too_large_for_one_file_is_refused_with_what_to_do(world, client, settings):
    settings.SANSHI_EXPORT_MAX_ROWS = 2
    for title in ("一号", "二号", "三号"):
        triaged(world, f"{title}事项")
    client.force_login(world.secretary)
    response = client.get(BODY + "export/?q=事项")
    assert response.status_code == 302 and response["Location"] == BODY + "?q=%E4%BA%8B%E9%A1%B9"
    page = client.get(response["Location"]).content.decode()
    assert "符合条件的有 3 条，超过一次导出的上限 2 条" in page and "缩短时间段或增加筛选条件" in page
    assert not AuditEntry.objects.filter(event="export").exists()
    assert sheet_of(client.get(BODY + "export/?q=一号"))[2][0]["事项"] == "一号事项"  # narrowed: it goes


def test_the_helper_other_apps_call_writes_the_same_sheet():
    from io import BytesIO

    from openpyxl import load_workbook

    response = workbook_response("投票结果.xlsx", ["房屋", "表决"], [["1栋101", "=1+1"], ["1栋102", "同意"]], [20, 10])
    sheet = load_workbook(BytesIO(response.content)).active
    assert sheet.freeze_panes == "A2" and sheet["A1"].value == "房屋" and sheet["B2"].value == "'=1+1"
    assert sheet.column_dimensions["A"].width == 20
    assert response["Content-Disposition"].startswith("attachment; filename*=utf-8''")


@pytest.mark.parametrize("url", [BODY + "export/", "/staff/pool/export/", "/staff/meetings/export/",
                                 "/staff/ledger/export/", "/staff/visits/export/"])
def test_an_export_needs_sign_in(client, url, db):
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_votes_list_filters_and_exports_the_counts_kept_at_closing(world, client):
    from sanshi.votes.services import vote_close

    from ..votes.conftest import Compound, shared_resolution

    compound = Compound(world)
    for n in range(3):
        compound.add(f"1栋{n + 101}室", "90.00", f"业主{n}")
    parking = compound.open(shared_resolution(world, "停车收费标准"), title="停车收费标准")
    for n, choice in enumerate(("yes", "yes", "no")):
        compound.paper(parking, f"1栋{n + 101}室", choice)
    vote_close(actor=world.secretary, vote=parking)
    second = Compound(world, name="二期全体业主")
    second.add("9栋101室", "80.00", "业主九")
    second.open(shared_resolution(world, "电梯加装"), title="电梯加装")
    client.force_login(world.street_officer)  # reads the street's votes
    page = client.get("/staff/votes/?status=closed").content.decode()
    assert "停车收费标准" in page and "电梯加装" not in page
    assert "电梯加装" in client.get("/staff/votes/?q=电梯").content.decode()
    sheet, header, rows = sheet_of(client.get("/staff/votes/export/"))
    assert sheet.freeze_panes == "A4" and header[0] == "表决事项"
    by_title = {r["表决事项"]: r for r in rows}
    assert set(by_title) == {"停车收费标准", "电梯加装"}
    closed, open_ = by_title["停车收费标准"], by_title["电梯加装"]
    assert (closed["状态"], closed["业主总数"], closed["参与表决"], closed["同意"], closed["反对"]) == (
        "已结束", 3, 3, 2, 1)
    assert open_["状态"] == "表决中" and open_["同意"] is None  # an open vote's counts stay on its page
    audit = AuditEntry.objects.get(event="export")
    assert (audit.obj_type, audit.obj_id) == ("votes", "2")
    client.force_login(world.other_operator)  # another street: none of them
    assert sheet_of(client.get("/staff/votes/export/"))[2] == []
