"""The staff's list of notices (/staff/notices/, under the moderation queue) filters like every list
and exports to .xlsx with its filters applied: the rows of the list, not a page; only notices of
cases in the user's sight; the notice's texts as the board shows them (no phone, no ID number, names
as 张*); the comments counted, never quoted (their texts and phones stay with the moderators); one
audit row; the row cap."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext

from sanshi.audit.models import AuditEntry
from sanshi.cases.models import CaseEvent
from sanshi.notices.models import Notice

from ..helpers import notice_period_over
from ..notices.conftest import COMMENTER, COMMENTER_PHONE, ID_NUMBER, PHONE, REPORTER, comment, publicise
from .conftest import sheet_of

LIST = "/staff/notices/"
SHOWN_AS = "张**反映"  # the notice's title as posted: the reporter's name masked
EXPORT = "/staff/notices/export/"


def _listed(client, query: str = "") -> list[str]:
    """The notices' titles on the list (the part of the page below the moderation queue)."""
    response = client.get(f"{LIST}?{query}")
    assert response.status_code == 200, response.status_code
    ledger = response.content.decode().split('id="notices"')[1].split("</ul>")[0]
    return [n.title.removeprefix(SHOWN_AS) for n in Notice.objects.all() if f">{n.title}<" in ledger]


def _exported(client, query: str = "") -> list[str]:
    return [r["公示事项"].removeprefix(SHOWN_AS) for r in sheet_of(client.get(f"{EXPORT}?{query}"))[2]]


def test_the_notices_list_exports_its_filtered_rows_and_nothing_out_of_sight(world, client, token_for):
    ours = publicise(world, client, token_for, title="东门停车")
    theirs = publicise(world, client, token_for, grid="T1C2-G01", title="艾坪修路")  # 艾坪村: not the secretary's
    street = publicise(world, client, token_for, kind="PUBLIC", title="滨江路积水")
    notice_period_over(theirs.case_id)
    objection = comment(client, ours.notice.pk, kind="objection", text=f"收费偏高，请联系{COMMENTER_PHONE}",
                        name=COMMENTER, phone=COMMENTER_PHONE)
    assert objection.status_code == 201

    client.force_login(world.secretary)  # 东门社区's secretary
    assert _listed(client, "kind=SHARED") == ["东门停车"]
    page = client.get(f"{LIST}?kind=SHARED").content.decode()
    assert f'href="{EXPORT}?kind=SHARED"' in page and "导出 Excel" in page and "1 条待审核" in page
    response = client.get(f"{EXPORT}?kind=SHARED")
    sheet, header, rows = sheet_of(response)
    assert sheet.freeze_panes == "A4" and header[:4] == ("事项编号", "公示事项", "类别", "公示单位")
    assert sheet.column_dimensions["B"].width == 36
    assert [r["公示事项"] for r in rows] == [f"{SHOWN_AS}东门停车"]
    row = rows[0]
    assert (row["类别"], row["公示单位"], row["公示状态"], row["异议"], row["待审核"], row["已公开意见"]) == (
        "共事", "东门社区", "异议期内", 1, 1, 0)
    assert row["事项编号"] == ours.notice.case.number and row["异议期至"] is not None
    # the board's masking, and the comment neither quoted nor its phone shown
    cells = " ".join(str(v) for r in sheet.iter_rows(values_only=True) for v in r if v is not None)
    assert "先试行" in row["议定事项"] and "张**" in row["议定事项"]
    for secret in (PHONE, ID_NUMBER, REPORTER, COMMENTER, COMMENTER_PHONE, "收费偏高"):
        assert secret not in cells, secret
    assert "类别：共事" in sheet["A2"].value and "共 1 条" in sheet["A2"].value
    audit = AuditEntry.objects.get(event="export")
    assert (audit.actor_username, audit.obj_type, audit.obj_id, audit.reason) == (
        world.secretary.username, "notices", "1", "kind=SHARED")
    # without a filter: everything in sight (the street's matter lies in 东门社区's grid), never 艾坪村's
    assert _exported(client) == _listed(client) == ["滨江路积水", "东门停车"]

    client.force_login(world.street_officer)  # the street sees its communities' notices and its own
    assert _listed(client) == ["滨江路积水", "艾坪修路", "东门停车"]
    for query, titles in (("status=ended", ["艾坪修路"]), ("status=open", ["滨江路积水", "东门停车"]),
                          ("node=T1C2", ["艾坪修路"]), ("kind=PUBLIC", ["滨江路积水"]), ("q=修路", ["艾坪修路"]),
                          ("status=waiting", ["东门停车"])):
        assert _exported(client, query) == _listed(client, query) == titles, query
    assert sheet_of(client.get(f"{EXPORT}?status=ended"))[2][0]["公示状态"] == "异议期已满"

    client.force_login(world.other_operator)  # another street: none of them
    assert sheet_of(client.get(EXPORT))[2] == [] and _listed(client) == []
    assert street.notice.pk


def test_a_notices_export_too_large_is_refused_with_what_to_do(world, client, token_for, settings):
    publicise(world, client, token_for, title="东门停车")
    publicise(world, client, token_for, kind="PUBLIC", title="滨江路积水")
    settings.SANSHI_EXPORT_MAX_ROWS = 1
    client.force_login(world.street_officer)
    response = client.get(EXPORT)
    assert response.status_code == 302 and response["Location"] == f"{LIST}?"
    page = client.get(response["Location"]).content.decode()
    assert "符合条件的有 2 条，超过一次导出的上限 1 条" in page
    assert not AuditEntry.objects.filter(event="export").exists()
    assert _exported(client, "kind=PUBLIC") == ["滨江路积水"]
    bad = client.get(f"{LIST}?from=不是日期")
    assert bad.status_code == 400 and "东门停车" in bad.content.decode()  # the other filters still apply


def test_the_notices_list_reads_as_many_queries_for_one_notice_as_for_sixty(world, client, token_for):
    base = publicise(world, client, token_for, title="东门停车").notice
    client.force_login(world.street_officer)

    def count(url: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    url = f"{LIST}?q=停车&kind=SHARED&node=T1C1&from=2020-01-01"
    few = count(url)
    for n in range(59):
        event = CaseEvent.objects.create(case_id=base.case_id, action="publicise", from_status="handling",
                                         to_status="publicised", at=base.published_at)
        Notice.objects.create(case_id=base.case_id, event=event, node=base.node, kind=base.kind, title=f"停车{n}",
                              published_at=base.published_at - timedelta(days=n + 1),
                              objection_until=base.objection_until, status="posted")
    assert count(url) == few and count(url + "&page=2") == few
    assert len(sheet_of(client.get(EXPORT + "?q=停车"))[2]) == 60
