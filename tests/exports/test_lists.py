"""The lists' filters, search and pages (a plain GET form, the filters in the query string): each
filter changes the rows a user sees, a tracking code read out on the phone finds its case without
the code being shown, pages keep the filters, a bad filter is a message and never a 500, and every
list reads a fixed number of queries however many rows it holds."""

import re
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sanshi.cases.models import Case, Status
from sanshi.deliberation.models import Meeting
from sanshi.supervision.models import FollowUpVisit, LedgerEntry, Satisfaction

from .conftest import CST, received, triaged

BODY = "/staff/bodies/community_review_meeting/"


def rows_of(client, url: str, list_id: str) -> str:
    """The list's HTML (its <ul>), for what a user sees in it."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    html = response.content.decode()
    match = re.search(rf'<ul class="list" id="{list_id}".*?</ul>', html, re.S)
    assert match, html
    return match.group(0)


def shown(client, url: str, titles, list_id: str = "cases") -> set[str]:
    listed = rows_of(client, url, list_id)
    return {t for t in titles if t in listed}


@pytest.fixture
def body_cases(world):
    cases = {
        "lamp": triaged(world, "东门小区路灯不亮", on=(2026, 3, 5)),
        "rubbish": triaged(world, "鼎城花园垃圾清运不及时", on=(2026, 5, 20)),
        "road": triaged(world, "艾坪村道路坑洼", grid="T1C2-G01", on=(2026, 5, 21)),
        "closed": triaged(world, "小区健身器材损坏", on=(2026, 5, 22)),
        "escalated": triaged(world, "邻里漏水纠纷", on=(2026, 5, 23)),
        "elsewhere": triaged(world, "七棵树停车难", grid="T2C1-G01", on=(2026, 5, 24)),
    }
    for name, status in (("closed", Status.CLOSED),):
        Case.objects.filter(pk=cases[name].pk).update(status=status)
    Case.objects.filter(pk=cases["escalated"].pk).update(kind="HOUSEHOLD")  # a household matter escalated here
    for name, case in cases.items():
        case.refresh_from_db()
        cases[name] = case
    return cases


TITLES = ("东门小区路灯不亮", "鼎城花园垃圾清运不及时", "艾坪村道路坑洼", "小区健身器材损坏", "邻里漏水纠纷", "七棵树停车难")


def test_each_filter_of_a_body_list_changes_its_rows(world, client, body_cases):
    client.force_login(world.street_officer)
    open_in_street = {"东门小区路灯不亮", "鼎城花园垃圾清运不及时", "艾坪村道路坑洼", "邻里漏水纠纷"}
    assert shown(client, BODY, TITLES) == open_in_street  # the default: open, in the officer's street
    assert shown(client, BODY + "?status=all", TITLES) == open_in_street | {"小区健身器材损坏"}
    assert shown(client, BODY + "?status=closed", TITLES) == {"小区健身器材损坏"}
    assert shown(client, BODY + "?q=路灯", TITLES) == {"东门小区路灯不亮"}
    number = body_cases["rubbish"].number
    assert shown(client, f"{BODY}?q={number[-5:]}", TITLES) == {"鼎城花园垃圾清运不及时"}  # a part of the number
    assert shown(client, BODY + "?from=2026-05-01", TITLES) == open_in_street - {"东门小区路灯不亮"}
    assert shown(client, BODY + "?to=2026-05-20", TITLES) == {"东门小区路灯不亮", "鼎城花园垃圾清运不及时"}
    assert shown(client, BODY + "?from=2026-05-21&to=2026-05-21", TITLES) == {"艾坪村道路坑洼"}
    assert shown(client, BODY + "?kind=HOUSEHOLD", TITLES) == {"邻里漏水纠纷"}
    assert shown(client, BODY + "?node=T1C2", TITLES) == {"艾坪村道路坑洼"}
    assert shown(client, BODY + "?node=T1C1-G01&status=all", TITLES) == open_in_street - {"艾坪村道路坑洼"} | {
        "小区健身器材损坏"}
    assert shown(client, BODY + "?q=路灯&kind=HOUSEHOLD", TITLES) == set()


def test_a_tracking_code_read_out_finds_its_case_and_is_shown_nowhere(world, client, body_cases):
    code = body_cases["lamp"].requests.get().tracking_code
    client.force_login(world.street_officer)
    listed = rows_of(client, f"{BODY}?q={code.lower()}", "cases")  # read out on the phone, typed in lower case
    assert "东门小区路灯不亮" in listed and "鼎城花园垃圾清运不及时" not in listed
    assert code not in listed
    assert shown(client, f"{BODY}?q={code[:6]}", TITLES) == set()  # a part of a code finds nothing
    client.force_login(world.other_operator)  # a code of a case out of sight finds nothing
    assert shown(client, f"{BODY}?q={code}", TITLES) == set()


def test_nothing_found_says_what_to_do_next(world, client, body_cases):
    client.force_login(world.street_officer)
    page = client.get(BODY + "?q=不存在的事项").content.decode()
    assert "没有符合条件的记录" in page and "清除全部条件" in page and "查询码要完整输入 10 位" in page
    client.force_login(world.secretary)
    Case.objects.update(status=Status.CLOSED)
    page = client.get(BODY).content.decode()
    assert "没有在办事项" in page and "选“全部”" in page


@pytest.mark.parametrize("query", ["from=abc", "to=2026-13-01", "from=2026-06-01&to=2026-05-01", "kind=NOPE",
                                   "status=nope", "node=T2C1", "page=abc", "page=999", "q=" + "很长" * 200,
                                   "from=2026-05-01&page=-1"])
def test_a_bad_filter_is_a_message_never_a_500(world, client, body_cases, query):
    client.force_login(world.street_officer)
    for url in (BODY, "/staff/pool/", "/staff/meetings/", "/staff/ledger/", "/staff/visits/"):
        response = client.get(f"{url}?{query}")
        assert response.status_code in (200, 400), (url, query, response.status_code)
        if response.status_code == 400:
            assert 'class="errorlist"' in response.content.decode(), (url, query)
        export = client.get(f"{url}export/?{query}")
        assert export.status_code in (200, 302), (url, query, export.status_code)


def test_a_bad_period_says_so_and_the_other_filters_still_apply(world, client, body_cases):
    client.force_login(world.street_officer)
    response = client.get(BODY + "?from=2026-06-01&to=2026-05-01&q=路灯")
    html = response.content.decode()
    assert response.status_code == 400 and "结束日期不能早于开始日期" in html
    assert "东门小区路灯不亮" in html and "鼎城花园垃圾清运不及时" not in html


def _bulk_cases(world, n: int, *, status=Status.TRIAGED, start: int = 0) -> list[Case]:
    now = timezone.now()
    return Case.objects.bulk_create([
        Case(title=f"批量事项{start + i:03d}", number=f"20260601-B{start + i:05d}", status=status, kind="SHARED",
             level="community", body="community_review_meeting", org=world.community, grid=world.grid,
             created_at=now) for i in range(n)])


def test_pages_of_fifty_keep_the_filters_in_their_links(world, client):
    _bulk_cases(world, 120)
    _bulk_cases(world, 5, status=Status.CLOSED, start=500)
    client.force_login(world.secretary)
    first = client.get(BODY + "?q=批量&status=all").content.decode()
    assert "共 125 条" in first and "第 1 / 3 页" in first
    assert len(re.findall(r'<li><a href="/staff/cases/', first)) == 50
    assert "?q=%E6%89%B9%E9%87%8F&amp;status=all&amp;page=2" in first  # the next page keeps the filters
    last = client.get(BODY + "?q=批量&status=all&page=3").content.decode()
    assert len(re.findall(r'<li><a href="/staff/cases/', last)) == 25 and "第 3 / 3 页" in last
    assert "批量事项000" in first and "批量事项000" not in last  # oldest first, each row on one page


# ---- a fixed number of queries, filters applied -------------------------------------------------

def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(queries)


def _grow_pool(world, n):
    for i in range(n):
        received(f"批量诉求{Case.objects.count()}-{i}")


def _grow_meetings(world, n):
    Meeting.objects.bulk_create([Meeting(body="community_review_meeting", level="community", org=world.community,
                                         title=f"批量会议{i}", convener=world.secretary, scheduled_at=timezone.now())
                                 for i in range(n)])


def _grow_ledger(world, n):
    now = timezone.now()
    start = Case.objects.count()
    cases = Case.objects.bulk_create([
        Case(title=f"批量公事{start + i}", number=f"20260601-L{start + i:05d}", status=Status.TRIAGED, kind="PUBLIC",
             level="street", body="street_joint_meeting", org=world.street, grid=world.grid) for i in range(n)])
    LedgerEntry.objects.bulk_create([LedgerEntry(case=c, street=world.street, opened_at=now,
                                                 deadline_at=now + timedelta(days=10)) for c in cases])


def _grow_visits(world, n):
    now = timezone.now()
    start = Case.objects.count()
    cases = Case.objects.bulk_create([
        Case(title=f"批量家事{start + i}", number=f"20260601-V{start + i:05d}", status=Status.CLOSED, kind="HOUSEHOLD",
             level="grid", body="grid_neighbour_meeting", org=world.grid, grid=world.grid) for i in range(n)])
    FollowUpVisit.objects.bulk_create([
        FollowUpVisit(case=c, grid=world.grid, created_at=now, due_at=now + timedelta(days=3),
                      done_at=now if i % 2 else None, satisfaction=Satisfaction.SATISFIED if i % 2 else "",
                      note="已回访 13812345678" if i % 2 else "") for i, c in enumerate(cases)])


LISTS = [
    ("secretary", BODY + "?q=批量&from=2020-01-01&status=all&node=T1C1", lambda w, n: _bulk_cases(w, n, start=Case.objects.count())),
    ("operator", "/staff/pool/?q=批量&from=2020-01-01&kind=SHARED&node=T1C1", _grow_pool),
    ("operator", "/staff/pool/?q=批量", _grow_pool),
    ("secretary", "/staff/meetings/?q=批量&from=2020-01-01&kind=community_review_meeting&status=planned&node=T1C1",
     _grow_meetings),
    ("street", "/staff/ledger/?q=批量&from=2020-01-01&status=all&node=T1C1", _grow_ledger),
    ("gridleader", "/staff/visits/?q=批量&status=all", _grow_visits),
]


@pytest.mark.parametrize("username,url,grow", LISTS)
def test_a_list_reads_as_many_queries_for_three_rows_as_for_sixty(world, client, username, url, grow):
    client.force_login(getattr(world, {"street": "street_officer", "gridleader": "grid_leader"}.get(username, username)))
    grow(world, 3)
    few = _count(client, url)
    grow(world, 57)
    many = _count(client, url)
    assert many == few, f"{url}: {few} queries with 3 rows, {many} with 60"
    assert _count(client, url + "&page=2") == many


def test_the_meetings_filters(world, client):
    held = Meeting.objects.create(body="community_review_meeting", level="community", org=world.community,
                                  title="三月评议会", convener=world.secretary, form="meeting",
                                  scheduled_at=datetime(2026, 3, 10, 9, tzinfo=CST), held_at=datetime(2026, 3, 10, 11,
                                                                                                     tzinfo=CST))
    Meeting.objects.create(body="grid_neighbour_meeting", level="grid", org=world.grid, title="五月邻里会",
                           convener=world.grid_leader, scheduled_at=datetime(2026, 5, 10, 9, tzinfo=CST))
    Meeting.objects.create(body="community_review_meeting", level="community", org=world.sibling_community,
                           title="艾坪村评议会", convener=world.street_officer,
                           scheduled_at=datetime(2026, 5, 12, 9, tzinfo=CST))
    names = ("三月评议会", "五月邻里会", "艾坪村评议会")
    client.force_login(world.street_officer)
    url = "/staff/meetings/"
    assert shown(client, url, names, "meetings") == set(names)
    assert shown(client, url + "?status=held", names, "meetings") == {"三月评议会"}
    assert shown(client, url + "?status=planned", names, "meetings") == {"五月邻里会", "艾坪村评议会"}
    assert shown(client, url + "?kind=grid_neighbour_meeting", names, "meetings") == {"五月邻里会"}
    assert shown(client, url + "?from=2026-05-11", names, "meetings") == {"艾坪村评议会"}
    assert shown(client, url + "?node=T1C1", names, "meetings") == {"三月评议会", "五月邻里会"}
    assert shown(client, url + "?q=邻里", names, "meetings") == {"五月邻里会"}
    assert held.pk


def test_the_ledger_and_visits_filters(world, client):
    _grow_ledger(world, 2)
    first, second = LedgerEntry.objects.order_by("pk")
    LedgerEntry.objects.filter(pk=second.pk).update(closed_at=timezone.now())
    Case.objects.filter(pk=first.case_id).update(grid=world.sibling_grid, org=world.street)
    client.force_login(world.street_officer)
    titles = (first.case.title, second.case.title)
    assert shown(client, "/staff/ledger/", titles, "ledger") == {first.case.title}
    assert shown(client, "/staff/ledger/?status=closed", titles, "ledger") == {second.case.title}
    assert shown(client, "/staff/ledger/?show=closed", titles, "ledger") == {second.case.title}  # the older link
    assert shown(client, "/staff/ledger/?status=all&node=T1C2", titles, "ledger") == {first.case.title}
    assert shown(client, "/staff/ledger/?status=all&from=2099-01-01", titles, "ledger") == set()
    _grow_visits(world, 4)
    visits = list(FollowUpVisit.objects.select_related("case").order_by("pk"))
    FollowUpVisit.objects.filter(pk=visits[3].pk).update(satisfaction=Satisfaction.UNSATISFIED)
    names = [v.case.title for v in visits]
    client.force_login(world.grid_leader)
    assert shown(client, "/staff/visits/", names, "open-visits") == {names[0], names[2]}
    assert shown(client, "/staff/visits/?status=done", names, "open-visits") == {names[1], names[3]}
    assert shown(client, "/staff/visits/?status=unsatisfied", names, "open-visits") == {names[3]}
    assert shown(client, f"/staff/visits/?status=all&q={names[2]}", names, "open-visits") == {names[2]}


def test_the_pool_filters_by_the_suggested_kind_and_where_it_came_from(world, client):
    road = received("艾坪村道路坑洼", grid="T1C2-G01", on=(2026, 4, 1))
    lamp = received("东门小区路灯不亮", on=(2026, 5, 1))
    Case.objects.filter(pk=road.pk).update(suggestion={"kind": "PUBLIC"})
    Case.objects.filter(pk=lamp.pk).update(suggestion={"kind": "SHARED"})
    names = ("艾坪村道路坑洼", "东门小区路灯不亮")
    client.force_login(world.operator)
    assert shown(client, "/staff/pool/", names, "pool") == set(names)
    assert shown(client, "/staff/pool/?kind=PUBLIC", names, "pool") == {"艾坪村道路坑洼"}
    assert shown(client, "/staff/pool/?node=T1C1", names, "pool") == {"东门小区路灯不亮"}
    assert shown(client, "/staff/pool/?to=2026-04-30", names, "pool") == {"艾坪村道路坑洼"}
    assert "建议类别" in client.get("/staff/pool/").content.decode()
