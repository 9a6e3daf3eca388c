"""The command-centre board (指挥中心) and the 1-5-10 compliance figures: what an operator sees,
what is kept from other streets, and the figures for a known set of clocks."""

import csv
import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sanshi.cases.models import Case
from sanshi.cases.services import case_triage
from sanshi.intake.models import Request
from sanshi.intake.services import RequestInput, request_submit
from sanshi.rapid.models import Clock, Dispatch, ResponseTeam, TeamKind, TeamMember
from sanshi.rapid.services import case_dispatch, clock_complete, clocks_sweep
from sanshi.registry.models import Role

TZ = ZoneInfo("Asia/Shanghai")
DAY = datetime(2026, 11, 10, tzinfo=TZ)
BOARD = "/staff/command/"
LIVE = "/staff/command/board/"
URGENT_PART, STATUS_PART = "/staff/command/board/urgent/", "/staff/command/board/status/"
COMPLIANCE = "/staff/command/compliance/"


@pytest.fixture
def command(world):
    """鼎山街道 with a 片区 on 东门社区, an on-duty emergency squad covering it and a police post."""
    world.community.zone = "东片区"
    world.community.save(update_fields=["zone"])
    world.squad = ResponseTeam.objects.create(street=world.street, name="鼎山应急队", kind=TeamKind.SQUAD,
                                              zones=["东片区"], on_duty=True)
    world.police = ResponseTeam.objects.create(street=world.street, name="鼎山派出所", kind=TeamKind.POLICE,
                                               zones=[], on_duty=True)
    world.responder = world.staff("responder", Role.RESPONDER, world.street)
    TeamMember.objects.create(team=world.squad, user=world.responder, is_leader=True)
    return world


def submit(world, text, *, grid="T1C1-G01", actor=None) -> Request:
    return request_submit(actor=actor or world.operator, data=RequestInput(
        text=text, title=text[:12], sub_channel="web", grid_code=grid))


def urgent_event(world, text="小区地下车库水管爆裂，水漫到电梯井，需要马上处置", *, grid="T1C1-G01") -> Case:
    """A request received and triaged as urgent by the operator (the 1-5-10 clocks start)."""
    request = submit(world, text, grid=grid)
    operator = world.operator if grid.startswith("T1") else world.other_operator
    return case_triage(actor=operator, case=request.case, kind="SHARED", catalogue_code="S5", urgent=True,
                       reason="紧急事件，按快响处置")


def panel(html: str, name: str) -> str:
    start = html.index(f'id="panel-{name}"')
    end = html.find("</section>", start)
    return html[start:end]


# ---- the board ------------------------------------------------------------------------------

def test_a_new_urgent_event_shows_its_running_clocks_and_the_suggested_team(command, client):
    with time_machine.travel(DAY.replace(hour=9), tick=False):
        case = urgent_event(command)
    with time_machine.travel(DAY.replace(hour=9, second=20), tick=False):
        client.force_login(command.operator)
        page = client.get(BOARD)
        assert page.status_code == 200
        html = page.content.decode()
        assert 'hx-trigger="every 3s"' in html and "sanshi/board.js" in html  # live without reload
        urgent = panel(html, "urgent")
        assert case.title in urgent and "东片区" in urgent
        # dispatch due in 1 min, arrive in 5, result in 10, counted from receipt; 20 s have passed
        assert "剩余 00:40" in urgent and "剩余 04:40" in urgent and "剩余 09:40" in urgent
        assert 'data-due="2026-11-10T09:01:00+08:00"' in urgent
        assert "待派单" in urgent and "鼎山应急队" in urgent  # the squad covering 东片区, on duty
        assert "派给鼎山应急队" in urgent

        # the operator dispatches from the board: the team is sent and the dispatch clock stops
        live = client.post("/staff/command/dispatch/", {"case": case.pk, "team": command.squad.pk},
                           HTTP_HX_REQUEST="true")
        assert live.status_code == 200
        dispatch = Dispatch.objects.get(case=case)
        assert dispatch.team == command.squad and dispatch.dispatched_by == command.operator
        assert Clock.objects.get(case=case, name="dispatch").done_at is not None
        urgent = panel(live.content.decode(), "urgent")
        assert "待派单" not in urgent and "鼎山应急队·待接单" in urgent and "按时完成" in urgent
        assert "已派单给鼎山应急队" in live.content.decode()


def test_unassigned_requests_urgent_suggested_first(command, client):
    with time_machine.travel(DAY.replace(hour=8), tick=False):
        older = submit(command, "楼道里堆满了旧家具，影响通行，请社区协调清理")
    with time_machine.travel(DAY.replace(hour=8, minute=30), tick=False):
        flagged = submit(command, "小区门口燃气管道有很浓的气味，怀疑泄漏")
    Request.objects.filter(pk=flagged.pk).update(suggestion={**flagged.suggestion, "urgent": True})
    client.force_login(command.operator)
    unassigned = panel(client.get(LIVE).content.decode(), "unassigned")
    assert unassigned.index(flagged.case.title) < unassigned.index(older.case.title)
    assert unassigned.count("建议按紧急处理") == 1
    # the suggested kind in the operator's words (公事 / 共事 / 家事), never the stored code
    kinds = re.findall(r"建议 (\S+) ", unassigned)
    assert kinds and set(kinds) <= {"公事", "共事", "家事"}, kinds
    # the team to send once the operator confirms it as urgent: the squad covering 东片区
    assert unassigned.count("确认为紧急事件后建议派") == 1 and "鼎山应急队" in unassigned
    # once triaged it leaves the panel
    case_triage(actor=command.operator, case=older.case, kind="SHARED", catalogue_code="S5", reason="核实")
    assert older.case.title not in panel(client.get(LIVE).content.decode(), "unassigned")


def test_overdue_clocks_are_listed_in_red_after_the_limit(command, client):
    with time_machine.travel(DAY.replace(hour=9), tick=False):
        case = urgent_event(command)
    client.force_login(command.operator)
    with time_machine.travel(DAY.replace(hour=9, minute=2, second=5), tick=False):
        html = client.get(LIVE).content.decode()
        overdue = panel(html, "overdue")
        assert case.title in overdue and "派单" in overdue and "超时 01:05" in overdue
        assert "超时 01:05" in panel(html, "urgent")  # the countdown turned into overtime
        assert clocks_sweep() == 1  # the worker records the breach; still overdue on the board
        assert Clock.objects.get(case=case, name="dispatch").breached_at is not None
        assert case.title in panel(client.get(LIVE).content.decode(), "overdue")
    with time_machine.travel(DAY.replace(hour=9, minute=3), tick=False):
        case_dispatch(actor=command.operator, case=case, team=command.squad)
        overdue = panel(client.get(LIVE).content.decode(), "overdue")
        assert "办理期限" not in overdue and "超时 00:55" not in overdue  # dispatch done, arrive not yet due


def test_overdue_ledger_entries_show_on_the_board(command, client):
    from sanshi.supervision.models import LedgerEntry

    with time_machine.travel(DAY.replace(hour=9), tick=False):
        request = submit(command, "街道主干道路灯成片不亮，夜间通行危险")
        case = case_triage(actor=command.operator, case=request.case, kind="PUBLIC", catalogue_code="P1",
                           reason="核实")
        entry, _ = LedgerEntry.objects.get_or_create(case=case, defaults={
            "street": command.street, "opened_at": DAY, "deadline_at": DAY + timedelta(days=3)})
    with time_machine.travel(entry.deadline_at + timedelta(days=2, hours=1), tick=False):
        client.force_login(command.operator)  # signed in that day (sessions end after a while)
        overdue = panel(client.get(LIVE).content.decode(), "overdue")
        assert case.title in overdue and "台账督办" in overdue and "超期 2 天" in overdue


def test_load_per_zone_and_per_team(command, client):
    with time_machine.travel(DAY.replace(hour=9), tick=False):
        first = urgent_event(command)
        urgent_event(command, "艾坪村一组河堤出现管涌，需要马上处置", grid="T1C2-G01")
        submit(command, "楼下烧烤油烟太大")
        case_dispatch(actor=command.operator, case=first, team=command.squad)
    client.force_login(command.operator)
    with time_machine.travel(DAY.replace(hour=9, second=30), tick=False):
        html = client.get(LIVE).content.decode()
    zones = panel(html, "zones")
    assert "东片区" in zones and "全街道" in zones  # 艾坪村 has no 片区
    assert "紧急 1 · 待分拣 1 · 超时 0" in zones  # 东片区: the dispatched event and the new request
    teams = panel(html, "teams")
    assert "鼎山应急队" in teams and "鼎山派出所" in teams and "在岗" in teams


def test_all_open_cases_per_zone_are_counted_once_a_minute_the_live_counts_every_refresh(command, client):
    from django.core.cache import cache
    from django.test import override_settings

    cache.clear()
    client.force_login(command.operator)
    with override_settings(SANSHI_BOARD_LOAD_SECONDS=60):
        with time_machine.travel(DAY.replace(hour=9), tick=False):
            urgent_event(command)
            before = panel(client.get(LIVE).content.decode(), "zones")
            submit(command, "楼下烧烤油烟太大")
            after = panel(client.get(LIVE).content.decode(), "zones")
    cache.clear()
    assert "紧急 1 · 待分拣 0" in before and "紧急 1 · 待分拣 1" in after  # live: the new request shows at once
    assert "<strong>1</strong>" in before and "<strong>1</strong>" in after  # all open: counted again in a minute
    assert "<strong>2</strong>" not in after


def test_the_operator_puts_a_team_off_duty_from_the_board(command, client):
    client.force_login(command.operator)
    response = client.post("/staff/command/duty/", {"team": command.police.pk, "on_duty": "0"})
    assert response.status_code == 302
    command.police.refresh_from_db()
    assert command.police.on_duty is False
    assert "设为在岗" in panel(client.get(LIVE).content.decode(), "teams")


def test_another_street_does_not_see_the_event_and_other_roles_are_refused(command, client):
    with time_machine.travel(DAY.replace(hour=9), tick=False):
        case = urgent_event(command)
        other = urgent_event(command, "七棵树东街商铺起火冒烟，需要马上处置", grid="T2C1-G01")
    client.force_login(command.other_operator)
    html = client.get(LIVE).content.decode()
    assert case.title not in html and "鼎山应急队" not in html
    assert other.title in html
    client.force_login(command.street_officer)
    assert case.title in client.get(BOARD).content.decode()
    for user in (command.grid_worker, command.secretary, command.supervisor, command.responder):
        client.force_login(user)
        assert client.get(BOARD).status_code == 403, user
        assert client.get(LIVE).status_code == 403
        assert client.get(URGENT_PART).status_code == 403 and client.get(STATUS_PART).status_code == 403
        assert client.get(COMPLIANCE).status_code == 403
        assert client.post("/staff/command/duty/", {"team": command.squad.pk, "on_duty": "0"}).status_code == 403
    command.squad.refresh_from_db()
    assert command.squad.on_duty
    # an operator of another street cannot dispatch this street's team to its own event
    client.force_login(command.other_operator)
    client.post("/staff/command/dispatch/", {"case": other.pk, "team": command.squad.pk})
    assert not Dispatch.objects.exists()


def test_the_live_partial_costs_the_same_number_of_queries_for_many_rows(command, client):
    client.force_login(command.operator)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(LIVE).status_code == 200
        return len(ctx.captured_queries)

    with time_machine.travel(DAY.replace(hour=9), tick=False):
        case = urgent_event(command)
        case_dispatch(actor=command.operator, case=case, team=command.squad)
        submit(command, "楼道灯不亮")
    with time_machine.travel(DAY.replace(hour=10), tick=False):
        few = queries()
    with time_machine.travel(DAY.replace(hour=9), tick=False):
        for i in range(12):
            event = urgent_event(command, f"第{i}处水管爆裂，需要马上处置")
            case_dispatch(actor=command.operator, case=event, team=command.police if i % 2 else command.squad)
            submit(command, f"第{i}处楼道灯不亮")
    with time_machine.travel(DAY.replace(hour=10), tick=False):
        many = queries()
        # no query per row: the same queries, plus one COUNT for a panel that is full (PANEL_LIMIT rows)
        assert few <= many <= few + 1
        assert many <= 30  # a fixed number per panel (incl. the two-step reads of ids then rows, and the teams once)


def test_the_suggestions_are_bounded(command, client, django_assert_max_num_queries):
    with time_machine.travel(DAY.replace(hour=9), tick=False):
        for i in range(14):
            urgent_event(command, f"第{i}处水管爆裂，需要马上处置")
    client.force_login(command.operator)
    with time_machine.travel(DAY.replace(hour=9, second=10), tick=False):
        with django_assert_max_num_queries(25 + 10 * 8):  # a few queries per suggestion, at most 10 of them
            html = client.get(LIVE).content.decode()
    assert panel(html, "urgent").count("派给鼎山应急队") == 10


# ---- compliance -----------------------------------------------------------------------------

def _at(moment):
    return time_machine.travel(moment, tick=False)


@pytest.fixture
def known_clocks(command):
    """Four urgent events with known times (limits 1-5-10):
    A on DAY 10:00 — dispatched at +40 s (met), arrived +4 min (met), result +12 min (breached)
    B on DAY 11:00 — dispatched at +90 s (breached), arrived +6 min (breached), no result (breached)
    C 40 days before — dispatched at +20 s (met), arrived +3 min (met), result +8 min (met)
    D on DAY 23:55 — dispatched at +10 s (met); arrive and result still pending at DAY 23:59."""

    def event(received, dispatched_after, arrived_after=None, result_after=None, team=None):
        with _at(received):
            case = urgent_event(command, f"{received:%m%d%H%M} 水管爆裂，需要马上处置")
        with _at(received + dispatched_after):
            case_dispatch(actor=command.operator, case=case, team=team or command.squad)
        if arrived_after is not None:
            clock_complete(case=case, name="arrive", at=received + arrived_after)
        if result_after is not None:
            clock_complete(case=case, name="result", at=received + result_after)
        return case

    s, m = timedelta(seconds=1), timedelta(minutes=1)
    event(DAY.replace(hour=10), 40 * s, 4 * m, 12 * m)
    event(DAY.replace(hour=11), 90 * s, 6 * m, team=command.police)
    event(DAY - timedelta(days=40), 20 * s, 3 * m, 8 * m)
    event(DAY.replace(hour=23, minute=55), 10 * s)
    return command


def rates(html: str) -> dict[str, tuple[str, str, str]]:
    out = {}
    for step in ("dispatch", "arrive", "result", "reinforce"):
        row = html[html.index(f'data-step="{step}"'):]
        row = row[:row.index("</tr>")]
        cells = [row.split(f'class="{c}">')[1].split("<")[0] for c in ("met", "breached", "pending", "rate")]
        out[step] = tuple(cells)
    return out


def test_compliance_figures_for_a_known_set_of_clocks(known_clocks, client):
    client.force_login(known_clocks.operator)
    with _at(DAY.replace(hour=23, minute=59)):
        page = client.get(COMPLIANCE, {"from": "2026-11-10", "to": "2026-11-10"})
    assert page.status_code == 200
    html = page.content.decode()
    assert rates(html) == {
        "dispatch": ("2", "1", "0", "67%"),  # A, D met; B late
        "arrive": ("1", "1", "1", "50%"),  # A met, B late, D pending (excluded from the rate)
        "result": ("0", "2", "1", "0%"),  # A late, B open past due, D pending
        "reinforce": ("0", "0", "0", "—"),
    }
    assert "<svg" in html and 'aria-label="派单用时分布"' in html  # charts, server-rendered
    # time to dispatch: 40 s, 90 s, 10 s → one each in <30 s, 30–60 s, 1–2 min; nearest-rank percentiles
    assert "已派单 3 件" in html and "p50 40.0 秒 · p90 90.0 秒 · p99 90.0 秒" in html
    # per team: the squad answered A and D, the police post B
    assert "鼎山应急队" in html and "鼎山派出所" in html and "鼎山街道 · 东片区" in html


def test_the_period_filter_and_the_default_period(known_clocks, client):
    client.force_login(known_clocks.operator)
    with _at(DAY.replace(hour=23, minute=59)):
        old = rates(client.get(COMPLIANCE, {"from": "2026-10-01", "to": "2026-10-01"}).content.decode())
        assert old["dispatch"] == ("1", "0", "0", "100%") and old["result"] == ("1", "0", "0", "100%")
        default = client.get(COMPLIANCE).content.decode()  # the last 30 days: C is left out
        assert "2026-10-12 至 2026-11-10" in default
        assert rates(default)["dispatch"] == ("2", "1", "0", "67%")
        empty = rates(client.get(COMPLIANCE, {"from": "2026-11-11", "to": "2026-11-20"}).content.decode())
        assert empty["dispatch"] == ("0", "0", "0", "—")


@pytest.mark.parametrize("query,field,message", [
    ({"from": "2026-13-01"}, "from", "格式不对"),
    ({"from": "2026-11-10", "to": "11/20"}, "to", "格式不对"),
    ({"from": "2026-11-20", "to": "2026-11-10"}, "from", "开始日期不能晚于结束日期"),
])
def test_a_bad_period_is_refused_in_chinese(command, client, query, field, message):
    client.force_login(command.operator)
    response = client.get(COMPLIANCE, query)
    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="error-{field}"' in html and message in html and "请改正上面标红的日期" in html


def test_the_figures_download_as_csv_and_excel(known_clocks, client):
    from openpyxl import load_workbook

    client.force_login(known_clocks.operator)
    with _at(DAY.replace(hour=23, minute=59)):
        response = client.get(COMPLIANCE, {"from": "2026-11-10", "to": "2026-11-10", "format": "csv"})
        assert response["Content-Type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert ["全部", "合计", "派单", "2", "1", "0", "0.6667"] in rows
        assert ["队伍", "鼎山派出所", "派单", "0", "1", "0", "0.0"] in rows
        assert ["p50", "40.0"] in rows
        response = client.get(COMPLIANCE, {"from": "2026-11-10", "to": "2026-11-10", "format": "xlsx"})
    book = load_workbook(io.BytesIO(response.content))
    values = [list(r) for r in book["1-5-10达标"].iter_rows(values_only=True)]
    assert ["全部", "合计", "到场", 1, 1, 1, 0.5] in values
    assert ["p90", 90.0] in [list(r) for r in book["派单用时分布"].iter_rows(values_only=True)]


def test_a_reinforcement_through_the_real_flow_counts_for_the_reinforcement_team(command, client):
    """The squad accepts, arrives, finds 10 minutes not enough and asks for reinforcement at +8 min;
    the board shows 待派增援 with a suggested second team; the police post arrives 12 min after the
    request (limit 15) — the reinforce step is met, and it is the police post's."""
    from sanshi.rapid.services import dispatch_accept, dispatch_arrive, dispatch_request_reinforcement

    officer = command.staff("officer", Role.RESPONDER, command.street)
    TeamMember.objects.create(team=command.police, user=officer)
    t0 = DAY.replace(hour=14)
    with _at(t0):
        case = urgent_event(command, "鼎城花园两户邻居持刀对峙，情绪激动")
    with _at(t0 + timedelta(seconds=30)):
        first = case_dispatch(actor=command.operator, case=case, team=command.squad)
    with _at(t0 + timedelta(minutes=1)):
        dispatch_accept(actor=command.responder, dispatch=first)
    with _at(t0 + timedelta(minutes=4)):
        dispatch_arrive(actor=command.responder, dispatch=first)
    with _at(t0 + timedelta(minutes=8)):
        dispatch_request_reinforcement(actor=command.responder, dispatch=first, note="人员较多，需要民警到场")
        client.force_login(command.operator)
        urgent = panel(client.get(LIVE).content.decode(), "urgent")
        assert "待派增援" in urgent and "派给鼎山派出所" in urgent and "增援到场" in urgent
        assert "剩余 15:00" in urgent  # the reinforce clock runs from the request
        client.post("/staff/command/dispatch/", {"case": case.pk, "team": command.police.pk})
    second = Dispatch.objects.get(case=case, reinforcement_for=first)
    with _at(t0 + timedelta(minutes=9)):
        dispatch_accept(actor=officer, dispatch=second)
    with _at(t0 + timedelta(minutes=20)):
        dispatch_arrive(actor=officer, dispatch=second)
        client.force_login(command.operator)
        assert case.title not in panel(client.get(LIVE).content.decode(), "urgent")  # every step done
        data = client.get("/staff/command/compliance/", {"from": "2026-11-10", "to": "2026-11-10"})
    html = data.content.decode()
    assert rates(html)["reinforce"] == ("1", "0", "0", "100%")
    assert rates(html)["result"] == ("1", "0", "0", "100%")  # asking for reinforcement is the report back
    teams = html[html.index("按处置队伍"):]
    police = teams[teams.index("鼎山派出所"):]
    assert "增援到场" in police[:400] and "达标率 100%（1/1）" in police[:400]


# ---- API ------------------------------------------------------------------------------------

def test_the_board_and_compliance_over_the_api(known_clocks, client, token_for):
    headers = token_for(known_clocks.operator)
    with _at(DAY.replace(hour=23, minute=59)):
        board = client.get("/api/v1/command/board", **headers)
        assert board.status_code == 200
        body = board.json()
        assert {"urgent", "unassigned", "overdue", "zones", "teams"} <= set(body)
        pending = [e for e in body["urgent"] if any(c["name"] == "arrive" and not c["done_at"] for c in e["clocks"])]
        assert pending and pending[0]["dispatches"][0]["team"] == "鼎山应急队"
        figures = client.get("/api/v1/command/compliance", {"from": "2026-11-10", "to": "2026-11-10"}, **headers)
        assert figures.status_code == 200
        data = figures.json()
        assert data["overall"]["dispatch"] == {"met": 2, "breached": 1, "pending": 0, "rate": 0.6667}
        assert data["dispatch"]["p50"] == 40.0 and data["dispatch"]["count"] == 3
        bad = client.get("/api/v1/command/compliance", {"from": "2026-11-20", "to": "2026-11-10"}, **headers)
        assert bad.status_code == 400 and "from" in bad.json()["errors"]
    refused = token_for(known_clocks.grid_worker)
    assert client.get("/api/v1/command/board", **refused).status_code == 403
    assert client.get("/api/v1/command/board").status_code == 401


@pytest.mark.parametrize("role", list(Role))
def test_who_may_open_the_board(world, client, token_for, role):
    """Operators and street officers of the street (the command centre); every other role — the
    three administrators included — is refused, on the pages and over the API."""
    user = world.staff(f"board-{role.value}", role, world.street)
    allowed = role in (Role.OPERATOR, Role.STREET_OFFICER)
    client.force_login(user)
    for url in (BOARD, LIVE, COMPLIANCE):
        assert client.get(url).status_code == (200 if allowed else 403), url
    headers = token_for(user)
    for url in ("/api/v1/command/board", "/api/v1/command/compliance"):
        assert client.get(url, **headers).status_code == (200 if allowed else 403), url


def test_operators_find_the_board_from_their_home_page(command, client):
    client.force_login(command.operator)
    html = client.get("/staff/").content.decode()
    assert 'id="home-command"' in html and 'id="nav-command"' in html and BOARD in html
    client.force_login(command.grid_worker)
    html = client.get("/staff/").content.decode()
    assert 'id="home-command"' not in html and 'id="nav-command"' not in html


def test_a_board_whose_session_ended_goes_to_the_sign_in_page(command, client):
    response = client.get(LIVE, HTTP_HX_REQUEST="true")  # the 3-second refresh, signed out
    assert response.status_code == 204
    assert response["HX-Redirect"] == "/accounts/login/?next=%2Fstaff%2Fcommand%2F"
    response = client.get(LIVE)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_board_refreshes_in_two_parts_and_a_new_urgent_event_is_in_the_light_one(command, client):
    """The page polls two parts every 3 s: urgent events + the pool (what a new urgent event needs
    at once, cheap), and overdue items + load (the counts over every open case)."""
    client.force_login(command.operator)
    page = client.get(BOARD).content.decode()
    assert 'hx-get="/staff/command/board/urgent/"' in page and 'hx-get="/staff/command/board/status/"' in page
    with time_machine.travel(DAY.replace(hour=9), tick=False):
        case = urgent_event(command)
        submit(command, "楼下烧烤油烟太大")
    with time_machine.travel(DAY.replace(hour=9, minute=30), tick=False):
        urgent = client.get(URGENT_PART).content.decode()
        status = client.get(STATUS_PART).content.decode()
    assert case.title in panel(urgent, "urgent") and "楼下烧烤" in panel(urgent, "unassigned")
    assert 'id="panel-zones"' not in urgent and 'id="panel-overdue"' not in urgent
    assert case.title in panel(status, "overdue")  # its arrive and result limits ran out at 9:05 and 9:10
    assert "东片区" in panel(status, "zones") and 'id="panel-urgent"' not in status
