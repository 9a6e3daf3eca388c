"""The cache behind the figures: the real services write the rows the figures read, the worker's
sweep keeps the cache up to date after each move (outside the move's transaction), and a rebuild from
the events gives the very same rows."""

from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import psycopg
import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection

from sanshi.cases.models import Case
from sanshi.cases.services import (
    case_merge_duplicate,
    case_request_evaluation,
    case_retriage,
    case_settle,
    case_triage,
)
from sanshi.evaluation.services import evaluation_by_party
from sanshi.intake.services import RequestInput, request_submit
from sanshi.kpis.models import CaseFact, Cursor, DayFigures, MonthFigures
from sanshi.kpis.selectors import kpis
from sanshi.kpis.services import kpis_rebuild, kpis_refresh
from sanshi.rapid.models import ResponseTeam, TeamKind, TeamMember
from sanshi.rapid.services import case_dispatch, dispatch_accept, dispatch_arrive, dispatch_report_result
from sanshi.registry.models import Role
from sanshi.supervision.models import FollowUpVisit
from sanshi.supervision.services import follow_up_record

from ..helpers import decide

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 16, 9, 0, tzinfo=TZ)  # a Monday


def sums(model) -> list:
    return sorted((tuple(getattr(r, c.attname) for c in model._meta.concrete_fields if c.attname not in ("id", "close_days")),
                   tuple(sorted(r.close_days.items()))) for r in model.objects.all())


def cache() -> tuple[list, list, list]:
    """Every row of the cache, comparable: the facts, the day rows and the month rows."""
    facts = sorted(tuple(getattr(f, n.attname) for n in CaseFact._meta.concrete_fields) for f in CaseFact.objects.all())
    return facts, sums(DayFigures), sums(MonthFigures)


def sweep() -> None:
    while kpis_refresh():
        pass


def submit(world, text, grid="T1C1-G01", sub_channel="web"):
    return request_submit(actor=world.operator, data=RequestInput(text=text, title=text[:10], sub_channel=sub_channel,
                                                                  grid_code=grid))


def test_the_sweep_after_every_move_and_a_rebuild_write_the_same_rows(world):
    """A household matter re-routed to another grid, settled, rated and visited; a duplicate merged
    into it; an urgent event run by its team — the sweep after each step, then a rebuild."""
    team = ResponseTeam.objects.create(street=world.street, name="鼎山应急队", kind=TeamKind.SQUAD, on_duty=True)
    responder = world.staff("responder", Role.RESPONDER, world.street)
    TeamMember.objects.create(team=team, user=responder, is_leader=True)
    sibling_leader = world.staff("sibling-leader", Role.GRID_LEADER, world.sibling_grid)
    with time_machine.travel(T0, tick=False):
        noise = submit(world, "楼上邻居半夜装修，电钻噪音扰民", sub_channel="hotline").case
        sweep()
        assert CaseFact.objects.get(case=noise).received == 1 and noise.status == "received"
        duplicate = submit(world, "楼上半夜装修太吵了").case
        case_merge_duplicate(actor=world.operator, case=duplicate, into=noise)
        sweep()
        case_triage(actor=world.operator, case=noise, kind="HOUSEHOLD", catalogue_code="H2", reason="噪音纠纷")
        sweep()
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        case_retriage(actor=world.operator, case=noise, kind="HOUSEHOLD", catalogue_code="H2", grid_code="T1C2-G01",
                      reason="地址在艾坪村一组")
        sweep()
        case_settle(actor=sibling_leader, case=noise, note="上门协调，约定施工时间")
        case_request_evaluation(actor=sibling_leader, case=noise, result="双方约定施工时间")
        sweep()
        evaluation_by_party(case=noise, rating="good", request_id=noise.requests.order_by("id").first().pk)
        sweep()
    with time_machine.travel(T0 + timedelta(days=8), tick=False):
        decide(noise)
        sweep()
        follow_up_record(actor=sibling_leader, visit=FollowUpVisit.objects.get(case=noise), satisfaction="satisfied",
                         contact_method="phone")
        sweep()
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        fire = submit(world, "小区地下车库水管爆裂，水漫到电梯井").case
        case_triage(actor=world.operator, case=fire, kind="SHARED", catalogue_code="S5", urgent=True, reason="紧急")
        dispatch = case_dispatch(actor=world.operator, case=fire, team=team)
        sweep()
    with time_machine.travel(T0 + timedelta(days=1, minutes=3), tick=False):
        dispatch_accept(actor=responder, dispatch=dispatch)
        dispatch_arrive(actor=responder, dispatch=dispatch)
        dispatch_report_result(actor=responder, dispatch=dispatch, result="已关阀止水")
        sweep()
    incremental = cache()
    # the sweep took the re-routed matter out of 东门社区's rows: no household row is left there
    assert not DayFigures.objects.filter(node=world.community, kind="HOUSEHOLD").exists()
    assert not MonthFigures.objects.filter(node=world.community, kind="HOUSEHOLD").exists()
    assert MonthFigures.objects.get(node=world.district, kind="HOUSEHOLD").received == 1
    with time_machine.travel(T0 + timedelta(days=8), tick=False):
        body = kpis(world.street, T0.date(), (T0 + timedelta(days=1)).date())
    # what the services wrote reads as the definitions say
    assert body["received"] == {"PUBLIC": 0, "SHARED": 1, "HOUSEHOLD": 1, "unsorted": 0, "total": 2}
    assert body["closed"]["total"] == 1 and body["resolution_rate"] == "0.5000"
    assert body["received_by_sub_channel"] == {"hotline": 1, "web": 1}  # the duplicate counts with the case
    assert body["bounce_back_rate"] == "0.5000" and body["own_level_rate"]["HOUSEHOLD"] == "1.0000"
    assert (body["satisfaction_rate"], body["visit_satisfaction_rate"]) == ("1.0000", "1.0000")
    assert body["rapid_compliance"]["dispatch"] == {"met": 1, "missed": 0, "rate": "1.0000"}
    assert body["rapid_compliance"]["arrive"] == {"met": 1, "missed": 0, "rate": "1.0000"}
    # the matter was re-routed to 艾坪村's grid; the urgent event is 东门社区's
    assert [(c["node"]["code"], c["received"]["total"]) for c in body["children"]] == [("T1C1", 1), ("T1C2", 1)]
    with time_machine.travel(T0 + timedelta(days=8), tick=False):
        kpis_rebuild()
    assert cache() == incremental
    assert Case.objects.filter(status="closed").count() == 2  # the matter and its merged duplicate


def test_the_hand_worked_month_rebuilds_to_the_same_rows(march):
    swept = cache()
    with time_machine.travel(datetime(2026, 4, 15, 10, tzinfo=TZ), tick=False):
        out = StringIO()
        call_command("kpis", "rebuild", "--batch", "4", stdout=out)
    assert cache() == swept
    lines = out.getvalue().splitlines()
    assert any("facts:" in line for line in lines) and any("days:" in line for line in lines)
    # sixteen cases, the merged duplicate counted with the case it joined
    assert "rebuilt in" in lines[-1] and "15 cases counted" in lines[-1]


def test_a_request_is_counted_by_the_worker_not_in_the_intake_transaction(world):
    case = submit(world, "路灯不亮").case
    assert not CaseFact.objects.filter(case=case).exists() and not DayFigures.objects.exists()
    assert kpis_refresh() == 1
    assert CaseFact.objects.get(case=case).received == 1
    assert DayFigures.objects.filter(node=world.district).get().received == 1
    assert MonthFigures.objects.filter(node=world.district).get().received == 1
    assert kpis_refresh() == 0  # nothing new (the settled pass reads it again a minute later)


def test_an_event_committed_after_a_later_one_was_read_is_read_once_settled(world, settings):
    """Ids are taken at insert, not at commit: the fresh pass can run past an id whose transaction
    commits afterwards. The settled pass reads every event again once SANSHI_KPI_SETTLE_SECONDS old."""
    with time_machine.travel(T0, tick=False):
        case = submit(world, "井盖缺失").case
        kpis_refresh()
        case_triage(actor=world.operator, case=case, kind="PUBLIC", catalogue_code="P6", reason="公共安全")
        # as if the fresh pass had read past the triage before its transaction committed
        last = case.events.order_by("-id").values_list("id", flat=True).first()
        Cursor.objects.filter(name="fresh").update(last_event_id=last)
        assert kpis_refresh() == 0 and CaseFact.objects.get(case=case).triaged == 0
    later = T0 + timedelta(seconds=settings.SANSHI_KPI_SETTLE_SECONDS + 1)
    with time_machine.travel(later, tick=False):
        assert kpis_refresh() >= 1
    assert CaseFact.objects.get(case=case).triaged == 1
    assert DayFigures.objects.get(node=world.street).kind == "PUBLIC"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keep the migrations' rows
def test_a_sweep_skips_its_round_while_another_sweep_or_a_rebuild_holds_the_cache(postgres_only, world):
    """The sweep applies each case's change to the sums: two at once would count a change twice. While
    another connection holds the cache's lock (a sweep's round, or a rebuild's whole transaction), a
    round reads nothing and writes nothing; the next round reads on."""
    submit(world, "路灯不亮")
    Cursor.objects.get_or_create(name="fresh")
    settings = connection.settings_dict
    with psycopg.connect(host=settings["HOST"] or None, port=settings["PORT"] or None, dbname=settings["NAME"],
                         user=settings["USER"] or None) as other:
        other.execute("SELECT 1 FROM kpis_cursor WHERE name = 'fresh' FOR UPDATE")
        with connection.cursor() as cursor:  # a round that waited for the lock would fail here, not hang
            cursor.execute("SET lock_timeout = '3s'")
        assert kpis_refresh() == 0
        assert not CaseFact.objects.exists() and not DayFigures.objects.exists()
        other.rollback()
    assert kpis_refresh() == 1
    assert MonthFigures.objects.get(node=world.district).received == 1


def test_the_check_finds_a_row_that_drifted_from_the_facts(march):
    """`sanshi kpis check` compares the last days' sums with what the facts sum to now."""
    out = StringIO()
    with time_machine.travel(datetime(2026, 4, 15, 10, tzinfo=TZ), tick=False):
        call_command("kpis", "check", "--days", "60", stdout=out)
        assert "all equal to the facts' sums" in out.getvalue()
        row = DayFigures.objects.filter(node=march.street, day="2026-03-02").order_by("kind", "sub_channel").first()
        DayFigures.objects.filter(pk=row.pk).update(closed=row.closed + 1)
        out = StringIO()
        with pytest.raises(CommandError, match="1 of .* rows differ"):
            call_command("kpis", "check", "--days", "60", stdout=out)
    assert f"day 2026-03-02 node {march.street.pk} {row.kind or '-'} {row.sub_channel or '-'}" in out.getvalue()
