"""The dashboard as a user sees it: each figure on the page with its definition, the charts with
their numbers, a click on a child to drill down to the grid, any period, the wall mode; and the
wall screens, issued and revoked by the street's command centre, untouched by the idle rule."""

import re
from datetime import timedelta

import time_machine
from django.utils import timezone

from sanshi.audit.models import AuditEntry
from sanshi.audit.services import audit_seal_all
from sanshi.kpis.models import WallScreen

from .conftest import TODAY

PAGE = "/staff/dashboard/"


def page(client, user, query="?node=T1&from=2026-03-01&to=2026-03-31", status=200) -> str:
    client.force_login(user)
    with time_machine.travel(TODAY, tick=False):
        response = client.get(PAGE + query)
    assert response.status_code == status, response.content[:500]
    return response.content.decode()


def figure(html: str, key: str) -> str:
    match = re.search(rf'data-figure="{key}">([^<]*)<', html)
    assert match, key
    return match.group(1)


def tile(html: str, key: str) -> str:
    start = html.index(f'id="tile-{key}"')
    return html[start:html.index("</section>", start)]


def test_each_figure_is_on_the_page_with_its_change_and_its_definition(march, client):
    html = page(client, march.operator)
    assert "鼎山街道 · 数据看板" in html
    shown = {key: figure(html, key) for key in ("received", "closed", "open_now", "overdue_now", "resolution_rate",
                                                "grassroots_resolution_rate", "own_level_HOUSEHOLD", "own_level_SHARED",
                                                "own_level_PUBLIC", "satisfaction_rate", "visit_satisfaction_rate",
                                                "response_rate", "timeliness_rate", "participation_rate",
                                                "escalation_rate", "bounce_back_rate", "median_days_to_close")}
    assert shown == {"received": "8", "closed": "6", "open_now": "4", "overdue_now": "1", "resolution_rate": "62.50%",
                     "grassroots_resolution_rate": "50.00%", "own_level_HOUSEHOLD": "66.67%",
                     "own_level_SHARED": "33.33%", "own_level_PUBLIC": "0.00%", "satisfaction_rate": "54.55%",
                     "visit_satisfaction_rate": "66.67%", "response_rate": "87.50%", "timeliness_rate": "40.00%",
                     "participation_rate": "75.00%", "escalation_rate": "37.50%", "bounce_back_rate": "14.29%",
                     "median_days_to_close": "8.5 天"}
    # a year before: 4 received, 75% resolved; the month before: 2 received, 50% resolved
    received, resolved = tile(html, "received"), tile(html, "resolution_rate")
    assert "同比 +100.00%" in received and "环比 +300.00%" in received
    assert "同比 -12.50 个百分点" in resolved and "环比 +12.50 个百分点" in resolved
    # the "?" beside it says how it is counted
    assert "不含区级复议后仍不满意的终局办结" in resolved and 'aria-label="指标定义"' in resolved
    assert "其中12345热线工单 3 件，上年同期 4 件，同比 -25.00%。" in html


def test_the_charts_write_their_numbers_and_mark_kinds_by_pattern(march, client):
    html = page(client, march.operator)
    months = html[html.index('id="chart-months"'):html.index('id="chart-kinds"')]
    assert "<svg" in months and ">8</text>" in months and ">6</text>" in months  # received and closed in March
    assert 'fill="url(#' in months  # 办结 hatched beside 受理 solid
    kinds = html[html.index('id="chart-kinds"'):html.index('id="chart-channels"')]
    assert "受理 3 · 办结 3" in kinds and "受理 1 · 办结 1" in kinds
    assert "66.67%" in html[html.index('id="chart-own-level"'):html.index('id="chart-median"')]
    rapid = html[html.index('id="rapid"'):]
    assert "达标率 100%（1/1）" in rapid and "达标率 0%（0/1）" in rapid


def test_children_are_ranked_and_a_click_drills_down_to_the_grid(march, client):
    html = page(client, march.operator, "?node=T1&from=2026-03-01&to=2026-03-31&rank=resolution_rate")
    ranked = html[html.index('id="ranked"'):]
    # 艾坪村 (100%) before 东门社区 (40%), each a link one level down
    assert ranked.index("艾坪村") < ranked.index("东门社区")
    assert "100.00%" in ranked and "40.00%" in ranked
    link = re.search(r'href="(\?node=T1C1&amp;[^"]*)"', ranked).group(1).replace("&amp;", "&")
    community = page(client, march.operator, link)
    assert figure(community, "received") == "5" and "东门社区 · 数据看板" in community
    assert '<a href="?node=T1&amp;' in community  # the way back up
    grid_link = re.search(r'href="(\?node=T1C1-G01&amp;[^"]*)"', community).group(1).replace("&amp;", "&")
    grid = page(client, march.operator, grid_link)
    assert figure(grid, "received") == "5" and 'id="ranked"' not in grid  # the grid: the bottom


def test_any_period_and_refusals_naming_the_date(march, client):
    february = page(client, march.operator, "?node=T1&from=2026-02-01&to=2026-02-28")
    assert figure(february, "received") == "2"
    bad = page(client, march.operator, "?node=T1&from=2026-02-30&to=2026-02-28", status=400)
    assert 'id="error-from"' in bad and "格式不对" in bad
    backwards = page(client, march.operator, "?node=T1&from=2026-03-02&to=2026-03-01", status=400)
    assert "开始日期不能晚于结束日期" in backwards


def test_a_community_secretary_sees_the_community_and_its_grids(march, client):
    html = page(client, march.secretary, "?from=2026-03-01&to=2026-03-31")
    assert "东门社区 · 数据看板" in html and figure(html, "received") == "5"
    assert "鼎城花园网格" in html and "艾坪村" not in html
    page(client, march.secretary, "?node=T1", status=404)
    page(client, march.secretary, "?node=T1C2-G01", status=404)
    page(client, march.liaison_zj, "", status=403)
    assert 'id="nav-dashboard"' in page(client, march.secretary, "")
    client.force_login(march.liaison_zj)
    assert 'id="nav-dashboard"' not in client.get("/staff/").content.decode()


def test_the_wall_mode_refreshes_itself(march, client, settings):
    html = page(client, march.operator, "?node=T1&from=2026-03-01&to=2026-03-31&wall=1")
    assert f'<meta http-equiv="refresh" content="{settings.SANSHI_SCREEN_REFRESH_SECONDS}">' in html
    assert 'class="wall"' in html and "data-fullscreen" in html and "kpis/dashboard.js" in html
    assert "<script>" not in html  # the CSP allows script files only
    assert figure(html, "received") == "8"


def test_a_wall_screen_is_issued_shown_without_a_session_and_revoked(march, client, settings):
    client.force_login(march.operator)
    issued = client.post("/staff/dashboard/screens/", {"label": "指挥中心一号屏", "node": "T1"})
    assert issued.status_code == 302 and issued["Location"] == "/screen/"
    screen = WallScreen.objects.get()
    assert (screen.node, screen.issued_by, screen.label) == (march.street, march.operator, "指挥中心一号屏")
    cookie = issued.cookies["sanshi_screen"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/screen/"
    assert screen.token_hash != cookie.value  # only the token's hash is kept
    # this browser is a screen now: the operator's session ended
    assert client.get(PAGE).status_code == 302
    wall = client.get("/screen/")
    assert wall.status_code == 200 and figure(wall.content.decode(), "open_now") == "4"
    assert "指挥中心一号屏" in wall.content.decode() and 'http-equiv="refresh"' in wall.content.decode()
    # hours later — far past the 30-minute idle rule — it still shows
    with time_machine.travel(timezone.now() + timedelta(hours=13), tick=False):
        assert client.get("/screen/").status_code == 200
    # it is read only: it opens no staff page
    assert client.get("/staff/").status_code == 302 and client.get(PAGE).status_code == 302
    # the street officer revokes it; its next refresh shows the notice
    other = client.__class__()
    other.force_login(march.street_officer)
    listed = other.get("/staff/dashboard/screens/").content.decode()
    assert "指挥中心一号屏" in listed and "使用中" in listed
    assert other.post(f"/staff/dashboard/screens/{screen.pk}/revoke/").status_code == 302
    off = client.get("/screen/")
    assert off.status_code == 403 and "已被收回" in off.content.decode()
    audit_seal_all()
    assert list(AuditEntry.objects.filter(event__startswith="screen.").order_by("seq").values_list(
        "event", "actor_username", "node")) == [("screen.issue", "operator", "T1"), ("screen.revoke", "street", "T1")]


def test_only_the_streets_command_centre_issues_and_revokes_screens(march, client):
    client.force_login(march.operator)
    client.post("/staff/dashboard/screens/", {"label": "一号屏", "node": "T1"})
    screen_id = WallScreen.objects.get().pk
    for user in (march.secretary, march.grid_leader, march.supervisor):
        client.force_login(user)
        assert client.get("/staff/dashboard/screens/").status_code == 403, user
        assert client.post(f"/staff/dashboard/screens/{screen_id}/revoke/").status_code == 403, user
    client.force_login(march.other_operator)
    assert client.post(f"/staff/dashboard/screens/{screen_id}/revoke/").status_code == 404  # another street's
    refused = client.post("/staff/dashboard/screens/", {"label": "二号屏", "node": "T1"})
    assert refused.status_code == 400 and WallScreen.objects.count() == 1
    assert client.__class__().get("/screen/").status_code == 403  # a browser without a screen's cookie
    assert WallScreen.objects.get().revoked_at is None


def test_the_page_works_on_a_phone_width_layout(march, client):
    html = page(client, march.operator)
    assert 'name="viewport"' in html and "kpis/dashboard.css" in html
    assert 'class="table-wrap"' in html  # the children's table scrolls sideways on a phone


def test_the_figures_export_to_excel_as_the_page_writes_them(march, client):
    from io import BytesIO
    from urllib.parse import quote

    from openpyxl import load_workbook

    client.force_login(march.operator)
    with time_machine.travel(TODAY, tick=False):
        html = client.get(PAGE + "?node=T1&from=2026-03-01&to=2026-03-31").content.decode()
        assert 'id="export-link"' in html
        response = client.get("/staff/dashboard/export/?node=T1&from=2026-03-01&to=2026-03-31")
    assert response.status_code == 200 and quote("数据看板-鼎山街道") in response["Content-Disposition"]
    sheet = load_workbook(BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0].startswith("鼎山街道数据看板") and "受理日期2026-03-01至2026-03-31" in rows[1][0]
    assert rows[2][:6] == ("指标", "本期", "上年同期", "上一期", "同比", "环比")
    by_label = {r[0]: r for r in rows[3:] if r[0]}
    # a change is written in words: a cell starting with + or - would be neutralised as a formula
    assert by_label["受理事项"][:6] == ("受理事项", 8, 4, 2, "增长 100.00%", "增长 300.00%")
    assert by_label["化解率"][:6] == ("化解率", "62.50%", "75.00%", "50.00%", "下降 12.50 个百分点", "上升 12.50 个百分点")
    assert by_label["受理事项·12345热线工单"][1:5] == (3, 4, 0, "下降 25.00%")  # February: none
    assert by_label["办结用时中位数"][1:5] == ("8.5 天", "6.0 天", "2.0 天", "增加 2.5 天")
    assert by_label["艾坪村"][:4] == ("艾坪村", 3, 3, "100.00%") and by_label["东门社区"][3] == "40.00%"
    audit_seal_all()
    assert AuditEntry.objects.filter(event="export", obj_type="kpis", actor_username="operator").count() == 1
    # outside the area, as the page
    client.force_login(march.secretary)
    assert client.get("/staff/dashboard/export/?node=T1").status_code == 404


def test_the_page_reads_a_fixed_number_of_queries_whatever_the_number_of_cases(march, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from .conftest import refresh
    from .factories import Story, at, write

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            page(client, march.operator)
        return len(captured)

    queries()  # a first request warms what a process reads once
    before = queries()
    for day in range(1, 21):
        write(Story(march.grid if day % 2 else march.sibling_grid, at(f"2026-03-{day:02d}", 15), "hotline", "SHARED",
                    triaged=at(f"2026-03-{day:02d}", 16), closed=at("2026-03-28", 9), ratings=["good"]))
    refresh()
    assert figure(page(client, march.operator), "received") == "28"
    assert queries() == before
