"""突发快响 end to end: an urgent case skips deliberation, is dispatched to the on-duty team covering
its zone, and the team's steps (accept, arrive, result, reinforcement) run against the street's
1-5-10 limits. Every missed limit is recorded, written into the timeline and told to the command
centre; only the dispatched team's members act; the page and the API behave the same."""

import io
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from sanshi.audit.models import AuditEntry
from sanshi.cases.models import Case
from sanshi.cases.services import case_request_evaluation, case_triage, transition
from sanshi.core.errors import NotFound, NotPermitted, TransitionNotAllowed, ValidationFailed
from sanshi.core.jobs import run_due_jobs
from sanshi.core.models import Notification
from sanshi.intake.services import RequestInput, request_submit
from sanshi.rapid.models import Clock, ClockPolicy, Dispatch, ResponseTeam, TeamKind, TeamMember
from sanshi.rapid.selectors import dispatches_for_member, pending_reinforcement, teams_for_user
from sanshi.rapid.services import (
    case_dispatch,
    clocks_sweep,
    dispatch_accept,
    dispatch_arrive,
    dispatch_report_result,
    dispatch_request_reinforcement,
    dispatch_suggest,
    dispatch_withdraw,
    team_choice,
    team_set_duty,
)
from sanshi.registry.models import OrgNode, Role

from ..helpers import actions

T0 = datetime(2026, 11, 20, 1, 0, 0, tzinfo=UTC)  # 09:00 in Chongqing
S = timedelta(seconds=1)
M = timedelta(minutes=1)


class Teams:
    """鼎山街道 split into two zones: a police post for the whole street, a squad per zone."""

    def __init__(self, world):
        OrgNode.objects.filter(code="T1C1").update(zone="东片区")
        OrgNode.objects.filter(code="T1C2").update(zone="西片区")
        self.police = self.team(world, "鼎山派出所巡逻服务站", TeamKind.POLICE, [], "police-1")
        self.east = self.team(world, "东片区应急队", TeamKind.SQUAD, ["东片区"], "east-1")
        self.west = self.team(world, "西片区应急队", TeamKind.SQUAD, ["西片区"], "west-1")
        self.police_user = self.police.members.get()
        self.east_user = self.east.members.get()
        self.west_user = self.west.members.get()
        # a responder of the street in no dispatched team, and one of another street
        self.bystander = world.staff("bystander", Role.RESPONDER, world.street)
        self.stranger = world.staff("stranger", Role.RESPONDER, world.other_street)

    @staticmethod
    def team(world, name, kind, zones, username) -> ResponseTeam:
        team = ResponseTeam.objects.create(street=world.street, name=name, kind=kind, zones=zones)
        TeamMember.objects.create(team=team, user=world.staff(username, Role.RESPONDER, world.street), is_leader=True)
        return team


@pytest.fixture
def teams(world):
    return Teams(world)


def _report(text="楼道起火冒烟，有人被困", grid="T1C1-G01") -> Case:
    with time_machine.travel(T0, tick=False):
        return request_submit(actor=None, data=RequestInput(text=text, grid_code=grid)).case


def _urgent(world, text="楼道起火冒烟，有人被困", grid="T1C1-G01", kind="SHARED", code="S1") -> Case:
    case = _report(text, grid)
    with time_machine.travel(T0 + 20 * S, tick=False):
        case_triage(actor=world.operator, case=case, kind=kind, catalogue_code=code, reason="复核", urgent=True)
    return case


def at(moment, func, **kwargs):
    with time_machine.travel(moment, tick=False):
        return func(**kwargs)


def _clock(case, name) -> Clock:
    return Clock.objects.get(case=case, name=name)


def _sweep_and_run(moment) -> int:
    with time_machine.travel(moment, tick=False):
        swept = clocks_sweep()
        run_due_jobs()
    return swept


def _breach_notices(user) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, subject__startswith="快响超时"))


def _png(size=(8, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, format="PNG")
    return buffer.getvalue()


def _dispatched(world, teams, *, dispatch_at=T0 + 40 * S, **kwargs) -> Dispatch:
    case = _urgent(world, **kwargs)
    return at(dispatch_at, case_dispatch, actor=world.operator, case=case, team=teams.east)


# ---- triage and dispatch ----------------------------------------------------------------------

def test_urgent_triage_starts_the_clocks_but_only_a_dispatch_stops_the_dispatch_clock(world, teams):
    case = _urgent(world)

    assert case.status == "triaged"
    assert {c.name: (c.due_at - T0, c.state) for c in case.clocks.all()} == {
        "dispatch": (M, "pending"), "arrive": (5 * M, "pending"), "result": (10 * M, "pending")}

    dispatch = at(T0 + 50 * S, case_dispatch, actor=world.operator, case=case, team=teams.east)

    case.refresh_from_db()
    assert case.status == "handling"  # no deliberation for an urgent event
    assert _clock(case, "dispatch").done_at == T0 + 50 * S and _clock(case, "dispatch").state == "done"
    assert dispatch.team == teams.east and dispatch.dispatched_by == world.operator
    event = case.events.get(action="dispatch")
    assert (event.from_status, event.to_status, event.at) == ("triaged", "handling", T0 + 50 * S)
    assert "东片区应急队" in event.public_note
    # the team's members are told
    assert Notification.objects.filter(recipient=teams.east_user, subject__contains=case.number).exists()


def test_the_suggestion_sends_the_zone_squad_or_the_police_and_falls_back_to_any_team_on_duty(world, teams):
    fire = _urgent(world)
    fight = _urgent(world, text="小区门口有人打架斗殴", grid="T1C2-G01")

    s = dispatch_suggest(fire)
    assert s.team == teams.east and not s.police and "东片区" in s.reason
    assert dispatch_suggest(_urgent(world, grid="T1C2-G01")).team == teams.west
    s = dispatch_suggest(fight)
    assert s.team == teams.police and s.police and s.keywords == ("打架", "斗殴")
    assert dispatch_suggest(fight, police=False).team == teams.west  # the operator's call wins
    assert dispatch_suggest(fire, police=True).team == teams.police

    team_set_duty(actor=world.operator, team=teams.east, on_duty=False)
    s = dispatch_suggest(fire)  # no squad for 东片区 on duty: the squad of the next zone
    assert s.team == teams.west and "东片区的街道应急队不在岗或已派出" in s.reason
    team_set_duty(actor=world.operator, team=teams.west, on_duty=False)
    s = dispatch_suggest(fire)  # no squad at all: the police post
    assert s.team == teams.police and "没有在岗的街道应急队" in s.reason

    team_set_duty(actor=world.operator, team=teams.police, on_duty=False)
    s = dispatch_suggest(fire)
    assert s.team is None and "没有在岗" in s.reason


def test_a_case_that_is_not_urgent_cannot_be_dispatched_or_take_a_team_step(world, teams):
    case = _report(text="楼道堆放杂物")
    case_triage(actor=world.operator, case=case, kind="SHARED", catalogue_code="S1", reason="复核")

    with pytest.raises(TransitionNotAllowed, match="只有紧急事件"):
        case_dispatch(actor=world.operator, case=case, team=teams.east)
    with pytest.raises(TransitionNotAllowed):  # the life-cycle table refuses too
        transition(case=case, action="dispatch", actor=world.operator)
    assert not Dispatch.objects.exists() and case.events.count() == 2


def test_only_an_operator_or_street_officer_in_scope_dispatches_and_only_on_duty_teams_of_the_street(world, teams):
    case = _urgent(world)
    with pytest.raises(NotPermitted):
        case_dispatch(actor=world.grid_worker, case=case, team=teams.east)
    with pytest.raises(NotFound):  # another street's command centre does not see it
        case_dispatch(actor=world.other_operator, case=case, team=teams.east)
    team_set_duty(actor=world.operator, team=teams.west, on_duty=False)
    with pytest.raises(ValidationFailed) as refused:
        case_dispatch(actor=world.operator, case=case, team=teams.west)
    assert "不在岗" in refused.value.errors["team"]
    other = ResponseTeam.objects.create(street=world.other_street, name="城子应急队")
    with pytest.raises(ValidationFailed):
        case_dispatch(actor=world.operator, case=case, team=other)
    assert case_dispatch(actor=world.street_officer, case=case, team=teams.east).team == teams.east


# ---- the limits -------------------------------------------------------------------------------

def test_every_limit_met_in_time_leaves_no_breach_and_the_case_goes_on_as_usual(world, teams):
    d = _dispatched(world, teams, kind="HOUSEHOLD", code="H1")
    at(T0 + 70 * S, dispatch_accept, actor=teams.east_user, dispatch=d)
    at(T0 + 4 * M + 59 * S, dispatch_arrive, actor=teams.east_user, dispatch=d)
    at(T0 + 9 * M, dispatch_report_result, actor=teams.east_user, dispatch=d, result="已扑灭，无人受伤")

    assert _sweep_and_run(T0 + 2 * 60 * M) == 0
    case = Case.objects.get(pk=d.case_id)
    assert [c.state for c in case.clocks.all()] == ["done", "done", "done"]
    assert Notification.objects.filter(subject__startswith="快响超时").count() == 0
    assert actions(case.pk) == ["open", "triage", "dispatch", "accept", "arrive", "report_result"]
    assert [e.at for e in case.events.order_by("at", "id")][2:] == [
        T0 + 40 * S, T0 + 70 * S, T0 + 4 * M + 59 * S, T0 + 9 * M]
    d.refresh_from_db()
    assert (d.accepted_by, d.arrived_by, d.result_by) == (teams.east_user,) * 3
    assert case.result == "东片区应急队：已扑灭，无人受伤"

    # the household matter goes on to its evaluation with the responders' result
    case_request_evaluation(actor=world.operator, case=case)
    assert case.status == "evaluating" and "已扑灭" in case.result


def _run_late(world, teams, name):
    """Drive one urgent case so that exactly `name` misses its limit (the others in time)."""
    case = _urgent(world)
    if name == "dispatch":
        d = at(T0 + 2 * M, case_dispatch, actor=world.operator, case=case, team=teams.east)  # late
    else:
        d = at(T0 + 40 * S, case_dispatch, actor=world.operator, case=case, team=teams.east)
    at(T0 + 2 * M + 10 * S, dispatch_accept, actor=teams.east_user, dispatch=d)
    if name == "arrive":
        assert _sweep_and_run(T0 + 5 * M + 1 * S) == 1  # the worker finds it first
        at(T0 + 7 * M, dispatch_arrive, actor=teams.east_user, dispatch=d)
    else:
        assert _sweep_and_run(T0 + 5 * M - S) == 0
        at(T0 + 4 * M, dispatch_arrive, actor=teams.east_user, dispatch=d)
    if name == "result":
        assert _sweep_and_run(T0 + 10 * M + S) == 1
        at(T0 + 12 * M, dispatch_report_result, actor=teams.east_user, dispatch=d, result="已处置")
    elif name == "reinforce":
        at(T0 + 8 * M, dispatch_request_reinforcement, actor=teams.east_user, dispatch=d, note="火势大，需要消防")
        r = at(T0 + 9 * M, case_dispatch, actor=world.operator, case=case, team=teams.police)
        at(T0 + 10 * M, dispatch_accept, actor=teams.police_user, dispatch=r)
        assert _sweep_and_run(T0 + 23 * M - S) == 0  # 15 minutes from the request: 09:23
        assert _sweep_and_run(T0 + 23 * M + S) == 1
        at(T0 + 25 * M, dispatch_arrive, actor=teams.police_user, dispatch=r)
    else:
        at(T0 + 9 * M, dispatch_report_result, actor=teams.east_user, dispatch=d, result="已处置")
    _sweep_and_run(T0 + 3 * 60 * M)  # later rounds fire nothing again
    return Case.objects.get(pk=case.pk)


@pytest.mark.parametrize("name", ["dispatch", "arrive", "result", "reinforce"])
def test_each_limit_missed_is_recorded_written_in_the_timeline_and_told_to_the_command_centre(world, teams, name):
    case = _run_late(world, teams, name)

    breached = {c.name: c.state for c in case.clocks.all() if c.breached}
    assert breached == {name: "done_late"}
    [event] = case.events.filter(action="clock_breach")
    assert event.actor is None and event.actor_label == "系统" and event.data["name"] == name
    assert event.from_status == event.to_status == "handling"
    [notice] = _breach_notices(world.operator)
    assert case.number in notice.subject and _clock(case, name).get_name_display() in notice.subject
    assert _breach_notices(world.other_operator) == []  # another street's command centre


def test_the_resident_sees_the_team_steps_but_not_the_command_centres_alarms(world, teams, client):
    case = _run_late(world, teams, "arrive")
    assert case.events.filter(action="clock_breach").exists()
    code = case.requests.get().tracking_code

    timeline = client.get(f"/api/v1/track/{code}").json()["timeline"]
    shown = [step["action"] for step in timeline]
    assert "dispatch" in shown and "arrive" in shown
    assert "clock_breach" not in shown


def test_an_urgent_box_sent_as_zero_is_not_urgent(world, teams, client):
    case = _report()
    client.force_login(world.operator)
    page = client.post(f"/staff/cases/{case.pk}/", {"action": "triage", "kind": "SHARED", "catalogue_code": "S1",
                                                    "reason": "复核", "urgent": "0"})
    assert page.status_code in (200, 302)
    case.refresh_from_db()
    assert case.status == "triaged" and case.urgent is False
    assert set(case.clocks.values_list("name", flat=True)) == {"deadline"}  # no 1-5-10 clocks


def test_a_breach_job_run_twice_writes_one_event(world, teams):
    from sanshi.rapid.jobs import notify_clock_breach

    case = _urgent(world)
    _sweep_and_run(T0 + 2 * M)
    clock = _clock(case, "dispatch")
    notify_clock_breach({"clock": clock.pk})  # a retry after a failure elsewhere
    assert case.events.filter(action="clock_breach").count() == 1


# ---- reinforcement ----------------------------------------------------------------------------

def test_on_shuangfus_1_5_15_the_reinforcement_is_due_15_minutes_after_receipt(world, teams):
    """J3: "15分钟内综合执法等增援力量抵达", counted from receipt — not a result limit: the result
    clock keeps the street's 10 minutes."""
    ClockPolicy.objects.create(street=world.street, reinforce_minutes=15, reinforce_from_receipt=True)
    d = _dispatched(world, teams)
    case = Case.objects.get(pk=d.case_id)
    received = _clock(case, "dispatch").started_at
    assert _clock(case, "result").due_at == received + 10 * M
    at(T0 + M, dispatch_accept, actor=teams.east_user, dispatch=d)
    at(T0 + 3 * M, dispatch_arrive, actor=teams.east_user, dispatch=d)
    at(T0 + 8 * M, dispatch_request_reinforcement, actor=teams.east_user, dispatch=d, note="需要综合执法增援")
    reinforce = _clock(case, "reinforce")
    assert (reinforce.started_at, reinforce.due_at) == (received, received + 15 * M)
    [alert] = Notification.objects.filter(recipient=world.operator, subject__startswith="请求增援")
    assert "受理后15分钟" in alert.body


def test_reinforcement_request_reports_back_starts_the_reinforce_clock_and_proposes_a_second_team(world, teams):
    ClockPolicy.objects.create(street=world.street, result_minutes=10, reinforce_minutes=15)
    d = _dispatched(world, teams)
    at(T0 + M, dispatch_accept, actor=teams.east_user, dispatch=d)
    with pytest.raises(ValidationFailed) as refused:
        at(T0 + 2 * M, dispatch_request_reinforcement, actor=teams.east_user, dispatch=d, note="")
    assert "note" in refused.value.errors
    with pytest.raises(TransitionNotAllowed, match="请先确认到场"):
        at(T0 + 2 * M, dispatch_request_reinforcement, actor=teams.east_user, dispatch=d, note="人手不够")
    at(T0 + 3 * M, dispatch_arrive, actor=teams.east_user, dispatch=d)
    at(T0 + 8 * M, dispatch_request_reinforcement, actor=teams.east_user, dispatch=d, note="有人持刀，需要民警")
    case = Case.objects.get(pk=d.case_id)

    assert _clock(case, "result").state == "done"  # reporting back within 10 minutes meets the limit
    reinforce = _clock(case, "reinforce")
    assert (reinforce.started_at, reinforce.due_at) == (T0 + 8 * M, T0 + 23 * M)
    [alert] = Notification.objects.filter(recipient=world.operator, subject__startswith="请求增援")
    assert "有人持刀" in alert.body and "鼎山派出所巡逻服务站" in alert.body  # the suggested second team
    with pytest.raises(TransitionNotAllowed, match="已请求过增援"):
        dispatch_request_reinforcement(actor=teams.east_user, dispatch=d, note="再来一队")

    r = at(T0 + 9 * M, case_dispatch, actor=world.operator, case=case, team=teams.police)
    assert r.reinforcement_for == d and case.status == "handling"
    with pytest.raises(TransitionNotAllowed, match="没有待派的增援请求"):  # one reinforcement per request
        case_dispatch(actor=world.operator, case=case, team=teams.west)
    at(T0 + 10 * M, dispatch_accept, actor=teams.police_user, dispatch=r)
    at(T0 + 20 * M, dispatch_arrive, actor=teams.police_user, dispatch=r)
    at(T0 + 30 * M, dispatch_report_result, actor=teams.police_user, dispatch=r, result="已控制嫌疑人")

    assert _clock(case, "reinforce").state == "done"
    assert _clock(case, "arrive").done_at == T0 + 3 * M  # the reinforcement's arrival is its own clock
    assert _sweep_and_run(T0 + 60 * M) == 0
    assert actions(case.pk)[2:] == ["dispatch", "accept", "arrive", "request_reinforcement", "dispatch", "accept",
                                    "arrive", "report_result"]
    case.refresh_from_db()
    assert case.result == "鼎山派出所巡逻服务站：已控制嫌疑人"


# ---- who may act ------------------------------------------------------------------------------

def test_only_members_of_the_dispatched_team_act(world, teams):
    d = _dispatched(world, teams)
    with pytest.raises(NotFound):  # a responder of the street in no team sent: sees nothing of it
        dispatch_accept(actor=teams.bystander, dispatch=d)
    with pytest.raises(NotFound):  # another team of the street: only its own team's dispatches
        dispatch_accept(actor=teams.west_user, dispatch=d)
    with pytest.raises(NotFound):  # cannot see the case at all
        dispatch_accept(actor=teams.stranger, dispatch=d)
    with pytest.raises(NotPermitted):  # the operator dispatches but does not act for the team
        dispatch_accept(actor=world.operator, dispatch=d)
    assert Dispatch.objects.get(pk=d.pk).accepted_at is None
    assert not Case.objects.get(pk=d.case_id).events.filter(action="accept").exists()


def test_steps_out_of_turn_are_refused_and_write_nothing(world, teams):
    d = _dispatched(world, teams)
    with pytest.raises(TransitionNotAllowed, match="请先接单"):
        dispatch_arrive(actor=teams.east_user, dispatch=d)
    dispatch_accept(actor=teams.east_user, dispatch=d)
    with pytest.raises(TransitionNotAllowed, match="已接单"):
        dispatch_accept(actor=teams.east_user, dispatch=d)
    with pytest.raises(TransitionNotAllowed, match="请先确认到场"):
        dispatch_report_result(actor=teams.east_user, dispatch=d, result="好了")
    assert actions(d.case_id) == ["open", "triage", "dispatch", "accept"]


def test_duty_switch_is_audited_and_reserved_to_the_street_command_centre(world, teams):
    team_set_duty(actor=world.operator, team=teams.east, on_duty=False)
    teams.east.refresh_from_db()
    assert teams.east.on_duty is False
    entry = AuditEntry.objects.filter(event="rapid.team_off_duty").get()
    assert entry.obj_id == str(teams.east.pk) and entry.actor_username == "operator"
    for outsider in (world.grid_worker, world.other_operator, teams.east_user):
        with pytest.raises(NotPermitted):
            team_set_duty(actor=outsider, team=teams.east, on_duty=True)


# ---- the pages --------------------------------------------------------------------------------

def test_the_triage_page_dispatches_in_the_same_click_and_the_responder_page_runs_the_steps(world, teams, client):
    case = _report(text="东门社区有人持刀打架")
    with time_machine.travel(T0 + 20 * S, tick=False) as clock:  # the session lives on the same clock
        client.force_login(world.operator)
        page = client.get(f"/staff/cases/{case.pk}/").content.decode()
        assert "鼎山派出所巡逻服务站" in page and "打架、持刀" in page  # the suggestion and the police words
        assert 'name="police" value="1" checked' in page

        clock.move_to(T0 + 30 * S)
        response = client.post(f"/staff/cases/{case.pk}/", {
            "action": "triage", "kind": "SHARED", "catalogue_code": "S1", "reason": "复核", "urgent": "1",
            "team": "auto", "police": ["0", "1"]})
        assert response.status_code == 302
        case.refresh_from_db()
        assert case.status == "handling" and actions(case.pk) == ["open", "triage", "dispatch"]
        d = Dispatch.objects.get(case=case)
        assert d.team == teams.police and d.police
        assert _clock(case, "dispatch").state == "done"
        page = client.get(f"/staff/cases/{case.pk}/").content.decode()
        assert 'id="rapid-panel"' in page and "未接单" in page

        client.force_login(teams.police_user)
        page = client.get("/staff/rapid/").content.decode()
        assert case.title in page and f"/staff/rapid/dispatches/{d.pk}/accept/" in page and "我的派单" in page
        assert 'id="rapid-poll"' in page and "待处置派单 1 件" in page  # re-read every 15 s (HTMX)
        clock.move_to(T0 + 60 * S)
        assert client.post(f"/staff/rapid/dispatches/{d.pk}/accept/").status_code == 302
        clock.move_to(T0 + 3 * M)
        assert client.post(f"/staff/rapid/dispatches/{d.pk}/arrive/").status_code == 302
        response = client.post(f"/staff/rapid/dispatches/{d.pk}/arrive/")
        assert response.status_code == 409 and "已确认到场" in response.content.decode()
        bad = client.post(f"/staff/rapid/dispatches/{d.pk}/result/", {
            "result": "已处置", "photo": SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg")})
        assert bad.status_code == 400 and "不是图片" in bad.content.decode()
        clock.move_to(T0 + 8 * M)
        response = client.post(f"/staff/rapid/dispatches/{d.pk}/result/", {
            "result": "双方已分开，带回调查", "photo": SimpleUploadedFile("p.png", _png(), content_type="image/png")})
        assert response.status_code == 302
        d.refresh_from_db()
        assert d.result == "双方已分开，带回调查" and d.photo.name.startswith("dispatch/")
        assert [c.state for c in case.clocks.all()] == ["done", "done", "done"]
        assert actions(case.pk) == ["open", "triage", "dispatch", "accept", "arrive", "report_result"]
        assert f"/staff/rapid/dispatches/{d.pk}/" not in client.get("/staff/rapid/").content.decode()

        # the operator publicises the result the responders reported (SHARED)
        client.force_login(world.operator)
        page = client.get(f"/staff/cases/{case.pk}/").content.decode()
        assert "双方已分开，带回调查" in page
        response = client.post(f"/staff/cases/{case.pk}/", {
            "action": "publicise", "result": Case.objects.get(pk=case.pk).result, "notice": "已处置完毕"})
        assert response.status_code == 302 and Case.objects.get(pk=case.pk).status == "publicised"


def test_the_reinforcement_on_the_pages(world, teams, client):
    d = _dispatched(world, teams)
    dispatch_accept(actor=teams.east_user, dispatch=d)
    dispatch_arrive(actor=teams.east_user, dispatch=d)
    client.force_login(teams.east_user)
    response = client.post(f"/staff/rapid/dispatches/{d.pk}/reinforcement/", {"note": ""})
    assert response.status_code == 400 and "请填写现场情况" in response.content.decode()
    assert client.post(f"/staff/rapid/dispatches/{d.pk}/reinforcement/", {"note": "需要民警"}).status_code == 302

    client.force_login(world.operator)
    page = client.get(f"/staff/cases/{d.case_id}/").content.decode()
    assert 'id="rapid-dispatch"' in page and "请求增援" in page and "派出增援" in page
    response = client.post(f"/staff/cases/{d.case_id}/", {"action": "dispatch", "team": str(teams.west.pk),
                                                          "police": "0"})
    assert response.status_code == 302
    r = Dispatch.objects.get(reinforcement_for=d)
    assert r.team == teams.west
    client.force_login(teams.west_user)
    page = client.get("/staff/rapid/").content.decode()
    assert "增援" in page and "需要民警" in page


def test_non_members_are_refused_on_the_pages(world, teams, client):
    d = _dispatched(world, teams)
    client.force_login(world.grid_worker)  # sees the case (its grid), is in no team sent
    assert client.post(f"/staff/rapid/dispatches/{d.pk}/accept/").status_code == 403
    client.force_login(teams.bystander)  # a responder sees only its own team's dispatches
    assert client.post(f"/staff/rapid/dispatches/{d.pk}/accept/").status_code == 404
    client.force_login(teams.stranger)
    assert client.post(f"/staff/rapid/dispatches/{d.pk}/accept/").status_code == 404
    assert client.post("/staff/rapid/dispatches/999999/accept/").status_code == 404
    client.force_login(teams.east_user)
    assert client.post(f"/staff/rapid/dispatches/{d.pk}/explode/").status_code == 404
    assert Dispatch.objects.get(pk=d.pk).accepted_at is None


def test_the_team_page_switches_duty(world, teams, client):
    client.force_login(world.operator)
    page = client.get("/staff/rapid/teams/").content.decode()
    assert "东片区应急队" in page and "西片区应急队" in page
    response = client.post(f"/staff/rapid/teams/{teams.east.pk}/duty/", {"on_duty": "0", "next": "/staff/"})
    assert response.status_code == 302 and response["Location"] == "/staff/"
    assert ResponseTeam.objects.get(pk=teams.east.pk).on_duty is False
    response = client.post(f"/staff/rapid/teams/{teams.east.pk}/duty/", {"on_duty": "1", "next": "https://evil.example/"})
    assert response["Location"] == "/staff/rapid/teams/"
    client.force_login(world.grid_worker)
    assert client.post(f"/staff/rapid/teams/{teams.east.pk}/duty/", {"on_duty": "0"}).status_code == 403
    assert ResponseTeam.objects.get(pk=teams.east.pk).on_duty is True


# ---- the API ----------------------------------------------------------------------------------

def test_the_api_runs_the_same_flow(world, teams, client, token_for):
    case = _urgent(world)
    operator = token_for(world.operator)
    suggestion = client.get(f"/api/v1/cases/{case.pk}/dispatch-suggestion", **operator).json()
    assert suggestion["team"] == teams.east.pk and suggestion["police"] is False

    response = client.post(f"/api/v1/cases/{case.pk}/dispatch", {"team": 999999}, content_type="application/json",
                           **operator)
    assert response.status_code == 400 and "team" in response.json()["errors"]
    response = client.post(f"/api/v1/cases/{case.pk}/dispatch", {}, content_type="application/json", **operator)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["team"] == teams.east.pk and body["step"] == "accept"
    assert {c["name"]: c["done_at"] is not None for c in body["clocks"]} == {
        "dispatch": True, "arrive": False, "result": False}
    again = client.post(f"/api/v1/cases/{case.pk}/dispatch", {}, content_type="application/json", **operator)
    assert again.status_code == 409

    east = token_for(teams.east_user)
    mine = client.get("/api/v1/dispatches", **east).json()
    assert [m["id"] for m in mine] == [body["id"]]
    assert client.get("/api/v1/dispatches", **token_for(teams.west_user)).json() == []
    url = f"/api/v1/dispatches/{body['id']}"
    assert client.post(f"{url}/arrive", **east).status_code == 409  # accept first
    assert client.post(f"{url}/accept", **token_for(world.grid_worker)).status_code == 403
    assert client.post(f"{url}/accept", **token_for(teams.bystander)).status_code == 404
    assert client.post(f"{url}/accept", **token_for(teams.stranger)).status_code == 404
    assert client.post(f"{url}/accept", **east).json()["step"] == "arrive"
    assert client.post(f"{url}/arrive", **east).json()["step"] == "result"
    response = client.post(f"{url}/reinforcement", {"note": ""}, content_type="application/json", **east)
    assert response.status_code == 400 and "note" in response.json()["errors"]
    response = client.post(f"{url}/result", {"result": ""}, **east)
    assert response.status_code == 400 and "result" in response.json()["errors"]
    response = client.post(f"{url}/result", {"result": "已处置", "photo": SimpleUploadedFile(
        "p.png", _png(), content_type="image/png")}, **east)
    assert response.status_code == 200, response.content
    # the site photo is named by its staff page (signed in, the case in sight), never a /media/ path
    assert response.json()["step"] == "done" and response.json()["photo"] == f"/staff/photos/dispatches/{body['id']}/"
    assert client.get("/api/v1/dispatches", **east).json() == []
    assert client.post(f"{url}/result", {"result": "again"}, **east).status_code == 409
    assert actions(case.pk)[2:] == ["dispatch", "accept", "arrive", "report_result"]

    teams_out = client.get("/api/v1/teams", **operator).json()
    assert {t["name"] for t in teams_out} == {"鼎山派出所巡逻服务站", "东片区应急队", "西片区应急队"}
    response = client.post(f"/api/v1/teams/{teams.west.pk}/duty", {"on_duty": False},
                           content_type="application/json", **operator)
    assert response.status_code == 200 and response.json()["on_duty"] is False
    assert client.post(f"/api/v1/teams/{teams.west.pk}/duty", {"on_duty": True}, content_type="application/json",
                       **east).status_code == 403


def test_the_api_refuses_a_case_that_is_not_urgent(world, teams, client, token_for):
    case = _report(text="楼道堆放杂物")
    case_triage(actor=world.operator, case=case, kind="SHARED", catalogue_code="S1", reason="复核")
    response = client.post(f"/api/v1/cases/{case.pk}/dispatch", {"team": teams.east.pk},
                           content_type="application/json", **token_for(world.operator))
    assert response.status_code == 409 and "只有紧急事件" in response.json()["detail"]
    response = client.post(f"/api/v1/cases/{case.pk}/dispatch", {}, content_type="application/json",
                           **token_for(world.other_operator))
    assert response.status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(world, teams, client):
    d = _dispatched(world, teams)
    for url in ("/staff/rapid/", "/staff/rapid/teams/"):
        assert "/accounts/login/" in client.get(url)["Location"]
    for url in (f"/staff/rapid/dispatches/{d.pk}/accept/", f"/staff/rapid/teams/{teams.east.pk}/duty/"):
        assert "/accounts/login/" in client.post(url)["Location"]
    assert client.post(f"/api/v1/dispatches/{d.pk}/accept").status_code == 401
    assert Dispatch.objects.get(pk=d.pk).accepted_at is None


def test_the_demo_has_teams_per_zone_responder_accounts_and_urgent_cases_at_each_step(db):
    from sanshi.accounts.models import User
    from sanshi.demo.builder import build_demo

    build_demo(requests=0, out=lambda line: None)

    dingshan = {t.name: (t.kind, t.zones) for t in ResponseTeam.objects.filter(street__code="DS")}
    assert dingshan == {"鼎山派出所巡逻服务站": ("police", []), "鼎山街道应急队": ("squad", [])}
    chengzi = ResponseTeam.objects.filter(street__code="CZ")
    assert sorted(z for t in chengzi for z in t.zones) == sorted(["城子大街片区", "七棵树片区", "龙门片区", "蓝龙片区"])
    assert chengzi.filter(kind="police").count() == 1
    assert User.objects.get(username="demo-squad").response_teams.get().name == "鼎山街道应急队"
    # no demo street runs Shuangfu's 1-5-15 (J3 is Shuangfu Street, not Chengzi): both keep 1-5-10
    assert not ClockPolicy.objects.exists()

    urgent = {c.title[:4]: c for c in Case.objects.filter(urgent=True)}
    steps = {title: [d.step for d in c.dispatches.order_by("id")] for title, c in urgent.items()}
    assert sorted(steps.values()) == sorted([["accept"], ["result"], ["done"], ["result", "accept"], ["accept"]])
    breached = Clock.objects.filter(breached_at__isnull=False)
    assert [c.name for c in breached] == ["dispatch"]  # the others fall to the worker's sweep
    assert all(c.status == "handling" for c in urgent.values())


def test_the_responder_page_costs_the_same_queries_for_one_dispatch_or_many(world, teams, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(teams.east_user)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/staff/rapid/").status_code == 200
        return len(captured)

    case = _urgent(world)
    dispatch_accept(actor=teams.east_user, dispatch=case_dispatch(actor=world.operator, case=case, team=teams.east))
    one = queries()
    for _ in range(3):
        case = _urgent(world)
        case_dispatch(actor=world.operator, case=case, team=teams.east)
    page = client.get("/staff/rapid/").content.decode()
    assert page.count('class="card"') == 4
    assert queries() == one


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keep the migrations' rows
def test_two_members_tapping_accept_at_once_accept_once(postgres_only, world, teams):
    import threading

    from django.db import connection

    TeamMember.objects.create(team=teams.east, user=world.staff("east-2", Role.RESPONDER, world.street))
    d = _dispatched(world, teams)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def tap(user):
        try:
            barrier.wait(10)
            dispatch_accept(actor=user, dispatch=d)
            outcomes.append("accepted")
        except TransitionNotAllowed:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=tap, args=(u,)) for u in teams.east.members.all()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    assert sorted(outcomes) == ["accepted", "refused"]
    assert Case.objects.get(pk=d.case_id).events.filter(action="accept").count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keep the migrations' rows
def test_two_operators_dispatching_at_once_send_one_team(postgres_only, world, teams, settings):
    """Both tap "派给…" on the board for the same new event, one the east squad, one the police:
    the case is locked for the dispatch, so one team goes and the other operator is refused."""
    import threading

    from django.db import connection

    settings.SANSHI_AUDIT_SEALING = "deferred"  # as in production on PostgreSQL: no chain lock to queue behind

    second = world.staff("operator-2", Role.OPERATOR, world.street)
    case = _urgent(world)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def tap(user, team):
        try:
            barrier.wait(10)
            case_dispatch(actor=user, case=Case.objects.get(pk=case.pk), team=team)
            outcomes.append("sent")
        except TransitionNotAllowed:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=tap, args=args)
               for args in ((world.operator, teams.east), (second, teams.police))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    assert sorted(outcomes) == ["refused", "sent"]
    assert Dispatch.objects.filter(case=case).count() == 1
    assert case.events.filter(action="dispatch").count() == 1


def test_an_urgency_suggested_by_triage_pre_ticks_the_box_and_the_operator_decides(world, teams, client):
    from sanshi.intake.models import Request

    case = _report(text="楼道起火冒烟，有人被困")
    request = Request.objects.get(case=case)
    suggestion = {**request.suggestion, "urgent": True,
                  "details": {"urgent_probability": 0.93, "urgent_evidence": ["起火"]}}
    Request.objects.filter(pk=request.pk).update(suggestion=suggestion)
    Case.objects.filter(pk=case.pk).update(suggestion=suggestion)  # the case keeps what it was opened with
    client.force_login(world.operator)
    page = client.get(f"/staff/cases/{case.pk}/").content.decode()
    assert 'name="urgent" value="1" checked' in page and "（93%）" in page
    assert "东片区应急队" in page  # whom the one click would send

    # the operator unticks it: an ordinary case, no clocks, no dispatch, on to deliberation
    response = client.post(f"/staff/cases/{case.pk}/", {
        "action": "triage", "kind": "SHARED", "catalogue_code": "S1", "reason": "不属于突发事件", "team": "auto",
        "police": "0"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "triaged" and not case.urgent
    assert not Dispatch.objects.exists() and not case.clocks.filter(name="dispatch").exists()


def test_the_admin_manages_teams_with_their_members_and_the_limits(world, teams, admin_client):
    for url in ("/admin/rapid/responseteam/", f"/admin/rapid/responseteam/{teams.east.pk}/change/",
                "/admin/rapid/responseteam/add/", "/admin/rapid/clockpolicy/add/", "/admin/rapid/dispatch/"):
        assert admin_client.get(url).status_code == 200, url
    page = admin_client.get(f"/admin/rapid/responseteam/{teams.east.pk}/change/").content.decode()
    assert "east-1" in page or str(teams.east_user.pk) in page  # the members inline


# ---- withdrawing a dispatch and sending another team (撤回与改派) -------------------------------

STUCK = "堵在渝北立交，20分钟内到不了"


def _written(case) -> tuple:
    """What a refused withdrawal must leave as it was: the case's events, its dispatches' withdrawal
    columns and the withdrawal notices."""
    return (list(case.events.values_list("action", flat=True)),
            list(Dispatch.objects.filter(case=case).values_list("pk", "withdrawn_at", "withdrawn_by", "withdraw_reason")),
            Notification.objects.filter(subject__startswith="撤回派单").count())


def test_a_team_not_yet_on_site_is_withdrawn_and_another_sent_while_the_clocks_keep_counting(world, teams):
    from sanshi.command.selectors import Period, board_scope, compliance

    d = _dispatched(world, teams)  # 东片区应急队 at 09:00:40
    at(T0 + M, dispatch_accept, actor=teams.east_user, dispatch=d)
    arrive_due = _clock(d.case, "arrive").due_at

    at(T0 + 3 * M, dispatch_withdraw, actor=world.operator, dispatch=d, reason=f"  {STUCK} ")

    d.refresh_from_db()
    assert (d.withdrawn_at, d.withdrawn_by, d.withdraw_reason, d.step) == (T0 + 3 * M, world.operator, STUCK, "withdrawn")
    case = Case.objects.get(pk=d.case_id)
    assert case.status == "handling"
    event = case.events.get(action="withdraw_dispatch")
    assert (event.actor, event.actor_label, event.at, event.from_status, event.to_status) == (
        world.operator, "指挥中心接线员", T0 + 3 * M, "handling", "handling")
    assert event.note == STUCK and event.public_note == "东片区应急队已撤回，另行调派"
    assert event.data == {"dispatch": d.pk, "team": teams.east.pk, "reinforcement_for": None}
    [notice] = Notification.objects.filter(recipient=teams.east_user, kind="rapid_withdrawn")
    assert case.number in notice.subject and notice.link == "/staff/rapid/"
    assert list(dispatches_for_member(teams.east_user)) == []  # no longer pending on the responder's page
    assert teams_for_user(world.operator).get(pk=teams.east.pk).open_dispatches == 0
    # the clocks are not reset: the arrive clock still runs from receipt
    assert (_clock(case, "arrive").due_at, _clock(case, "arrive").done_at) == (arrive_due, None) == (T0 + 5 * M, None)
    assert _clock(case, "dispatch").done_at == T0 + 40 * S

    # the suggestion leaves the withdrawn team out; the new dispatch is a first dispatch, not a reinforcement
    assert team_choice(case=case, value="auto", police=None) == teams.west
    r = at(T0 + 4 * M, case_dispatch, actor=world.operator, case=case, team=teams.west)
    assert r.reinforcement_for is None and r.step == "accept"
    redispatch = case.events.filter(action="dispatch").latest("at")
    assert redispatch.public_note == "已改派西片区应急队赶赴现场" and redispatch.data["redispatch"] is True
    assert _clock(case, "dispatch").done_at == T0 + 40 * S  # the first dispatch's time stands
    assert Notification.objects.filter(recipient=teams.west_user, kind="rapid_dispatch").exists()
    assert teams_for_user(world.operator).get(pk=teams.west.pk).open_dispatches == 1

    # the limit still counts from receipt: the second team misses 09:05 and that is a breach
    at(T0 + 4 * M + 30 * S, dispatch_accept, actor=teams.west_user, dispatch=r)
    assert _sweep_and_run(T0 + 5 * M + S) == 1
    at(T0 + 7 * M, dispatch_arrive, actor=teams.west_user, dispatch=r)
    arrive = _clock(case, "arrive")
    assert (arrive.state, arrive.done_at, arrive.due_at) == ("done_late", T0 + 7 * M, T0 + 5 * M)
    assert actions(case.pk) == ["open", "triage", "dispatch", "accept", "withdraw_dispatch", "dispatch", "accept",
                                "clock_breach", "arrive"]
    # the compliance figures hold the team sent instead answerable, not the withdrawn one
    figures = compliance(board_scope(world.operator), Period(date(2026, 11, 20), date(2026, 11, 20)))
    assert figures["teams"]["西片区应急队"]["arrive"].breached == 1 and "东片区应急队" not in figures["teams"]


def test_a_withdrawal_is_refused_without_a_reason_to_others_than_the_command_centre_and_twice(world, teams):
    d = _dispatched(world, teams)
    case = Case.objects.get(pk=d.case_id)
    before = _written(case)

    with pytest.raises(ValidationFailed) as refused:
        dispatch_withdraw(actor=world.operator, dispatch=d, reason="  ")
    assert set(refused.value.errors) == {"reason"}
    for outsider in (teams.east_user, world.grid_worker):  # see the case, may not dispatch
        with pytest.raises(NotPermitted):
            dispatch_withdraw(actor=outsider, dispatch=d, reason=STUCK)
    for stranger in (world.other_operator, teams.stranger, teams.bystander):  # cannot see the case at all
        with pytest.raises(NotFound):
            dispatch_withdraw(actor=stranger, dispatch=d, reason=STUCK)
    assert _written(case) == before

    dispatch_withdraw(actor=world.street_officer, dispatch=d, reason=STUCK)  # a street officer may too
    after = _written(case)
    with pytest.raises(TransitionNotAllowed, match="已撤回"):
        dispatch_withdraw(actor=world.operator, dispatch=d, reason="再撤一次")
    # the withdrawn team's steps are refused and write nothing
    with pytest.raises(TransitionNotAllowed, match="撤回"):
        dispatch_accept(actor=teams.east_user, dispatch=d)
    assert _written(case) == after
    assert Dispatch.objects.get(pk=d.pk).accepted_at is None


def test_a_team_on_site_cannot_be_withdrawn(world, teams):
    d = _dispatched(world, teams)
    dispatch_accept(actor=teams.east_user, dispatch=d)
    dispatch_arrive(actor=teams.east_user, dispatch=d)
    case = Case.objects.get(pk=d.case_id)
    before = _written(case)

    with pytest.raises(TransitionNotAllowed, match="已到场") as refused:
        dispatch_withdraw(actor=world.operator, dispatch=d, reason=STUCK)
    assert refused.value.status_code == 409
    assert _written(case) == before
    with pytest.raises(TransitionNotAllowed, match="没有待派的增援请求"):  # and no other first team is sent
        case_dispatch(actor=world.operator, case=case, team=teams.west)


def test_a_withdrawn_team_is_not_suggested_again_but_can_be_sent_again_on_purpose(world, teams):
    d = _dispatched(world, teams)
    case = Case.objects.get(pk=d.case_id)
    dispatch_withdraw(actor=world.operator, dispatch=d, reason="队伍类型不对")

    assert dispatch_suggest(case, exclude=case.dispatches.values_list("team_id", flat=True)).team == teams.west
    again = case_dispatch(actor=world.operator, case=case, team=teams.east)  # the operator's deliberate choice
    assert again.team == teams.east and again.reinforcement_for is None
    with pytest.raises(ValidationFailed, match="该队伍已派往本事项"):  # now it is an active dispatch
        case_dispatch(actor=world.operator, case=case, team=teams.east)
    with pytest.raises(TransitionNotAllowed, match="没有待派的增援请求"):
        case_dispatch(actor=world.operator, case=case, team=teams.west)


def test_a_withdrawn_reinforcement_reopens_the_reinforcement_request(world, teams):
    d = _dispatched(world, teams)
    at(T0 + M, dispatch_accept, actor=teams.east_user, dispatch=d)
    at(T0 + 3 * M, dispatch_arrive, actor=teams.east_user, dispatch=d)
    at(T0 + 8 * M, dispatch_request_reinforcement, actor=teams.east_user, dispatch=d, note="需要民警")
    case = Case.objects.get(pk=d.case_id)
    r = at(T0 + 9 * M, case_dispatch, actor=world.operator, case=case, team=teams.police)
    assert pending_reinforcement(case) is None

    at(T0 + 12 * M, dispatch_withdraw, actor=world.operator, dispatch=r, reason="派出所警力被调走")

    assert pending_reinforcement(case) == d
    reinforce = _clock(case, "reinforce")
    assert (reinforce.due_at, reinforce.done_at) == (T0 + 23 * M, None)  # counted from the request still
    second = at(T0 + 13 * M, case_dispatch, actor=world.operator, case=case, team=teams.west)
    assert second.reinforcement_for == d
    assert case.events.get(action="withdraw_dispatch").data["reinforcement_for"] == d.pk


def test_the_board_shows_a_case_whose_team_was_withdrawn_as_waiting_for_a_team_again(world, teams, client, token_for):
    d = _dispatched(world, teams)
    dispatch_withdraw(actor=world.operator, dispatch=d, reason=STUCK)
    client.force_login(world.operator)

    html = client.get("/staff/command/board/urgent/").content.decode()
    event = html.split(f'data-case="{d.case_id}"', 1)[1].split("</article>", 1)[0]
    assert "待派单" in event and "待派增援" not in event
    assert '<s class="withdrawn">东片区应急队</s>·已撤回' in event
    assert 'class="suggested-team">西片区应急队<' in event and f'name="team" value="{teams.west.pk}"' in event
    assert STUCK not in html  # the reason stays on the case page

    body = client.get("/api/v1/command/board", **token_for(world.operator)).json()
    [item] = [c for c in body["urgent"] if c["id"] == d.case_id]
    assert item["needs_team"] is True and item["suggested_team"]["id"] == teams.west.pk
    assert [(x["team"], x["withdrawn"]) for x in item["dispatches"]] == [("东片区应急队", True)]
    assert {t["name"]: t["open_dispatches"] for t in body["teams"]}["东片区应急队"] == 0

    # the one-tap button sends the suggested team as a new first dispatch
    assert client.post("/staff/command/dispatch/", {"case": d.case_id, "team": teams.west.pk}).status_code == 302
    r = Dispatch.objects.get(case_id=d.case_id, team=teams.west)
    assert r.reinforcement_for is None
    event = client.get("/staff/command/board/urgent/").content.decode()
    event = event.split(f'data-case="{d.case_id}"', 1)[1].split("</article>", 1)[0]
    assert "待派单" not in event and "西片区应急队·待接单" in event


def test_the_case_page_withdraws_a_dispatch_and_offers_another_team(world, teams, client):
    d = _dispatched(world, teams)
    url, withdraw = f"/staff/cases/{d.case_id}/", f"/staff/rapid/dispatches/{d.pk}/withdraw/"
    case = Case.objects.get(pk=d.case_id)
    client.force_login(world.operator)
    page = client.get(url).content.decode()
    assert f'action="{withdraw}"' in page and "撤回派单" in page
    assert 'id="rapid-dispatch"' not in page  # a team is on its way: nothing to dispatch yet
    before = _written(case)

    response = client.post(withdraw, {"reason": ""})
    page = response.content.decode()
    assert response.status_code == 400 and 'id="rapid-panel"' in page
    assert "请说明为什么撤回派单" in page and 'data-field="reason"' in page
    client.force_login(teams.east_user)  # a member of the team does not withdraw it
    response = client.post(withdraw, {"reason": STUCK})
    assert response.status_code == 403 and "您没有权限" in response.content.decode()
    client.force_login(teams.stranger)
    assert client.post(withdraw, {"reason": STUCK}).status_code == 404
    assert _written(case) == before

    client.force_login(world.operator)
    response = client.post(withdraw, {"reason": STUCK})
    assert response.status_code == 302 and response["Location"] == f"{url}#rapid-panel"
    page = client.get(url).content.decode()
    assert "已撤回东片区应急队的派单" in page and f"已撤回（{STUCK}）" in page
    assert f'action="{withdraw}"' not in page
    assert 'id="rapid-dispatch"' in page and "东片区应急队已撤回，请改派其他队伍" in page and "改派" in page
    assert "按建议：西片区应急队" in page
    response = client.post(withdraw, {"reason": STUCK})  # twice: refused on the page too
    assert response.status_code == 409 and "已撤回" in response.content.decode()

    assert client.post(url, {"action": "dispatch", "team": "auto", "police": "0"}).status_code == 302
    r = Dispatch.objects.get(case=case, withdrawn_at__isnull=True)
    assert r.team == teams.west and r.reinforcement_for is None

    # the withdrawn team's phone: nothing pending, the dispatch listed as withdrawn, a tap refused
    client.force_login(teams.east_user)
    page = client.get("/staff/rapid/").content.decode()
    assert f'id="dispatch-{d.pk}"' not in page and "待处置派单 0 件" in page and "已撤回" in page
    response = client.post(f"/staff/rapid/dispatches/{d.pk}/accept/")
    assert response.status_code == 409 and "已被指挥中心撤回" in response.content.decode()
    assert Dispatch.objects.get(pk=d.pk).accepted_at is None

    # once the new team is on site, it is not withdrawn from the page either
    dispatch_accept(actor=teams.west_user, dispatch=r)
    dispatch_arrive(actor=teams.west_user, dispatch=r)
    client.force_login(world.operator)
    assert f"/staff/rapid/dispatches/{r.pk}/withdraw/" not in client.get(url).content.decode()


def test_the_api_withdraws_a_dispatch_and_dispatches_another_team(world, teams, client, token_for):
    d = _dispatched(world, teams)
    operator, east = token_for(world.operator), token_for(teams.east_user)
    url = f"/api/v1/dispatches/{d.pk}/withdraw"

    response = client.post(url, {"reason": ""}, content_type="application/json", **operator)
    assert response.status_code == 400 and set(response.json()["errors"]) == {"reason"}
    client.cookies["django_language"] = "en"
    response = client.post(url, {}, content_type="application/json", **operator)
    assert response.json()["detail"] == "Give a reason for withdrawing the dispatch"
    del client.cookies["django_language"]
    assert client.post(url, {"reason": STUCK}, content_type="application/json", **east).status_code == 403
    assert client.post(url, {"reason": STUCK}, content_type="application/json",
                       **token_for(world.other_operator)).status_code == 404
    assert client.post("/api/v1/dispatches/999999/withdraw", {"reason": STUCK}, content_type="application/json",
                       **operator).status_code == 404
    assert Dispatch.objects.get(pk=d.pk).withdrawn_at is None

    response = client.post(url, {"reason": STUCK}, content_type="application/json", **operator)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["step"] == "withdrawn" and body["withdrawn_at"] and body["withdraw_reason"] == STUCK
    again = client.post(url, {"reason": STUCK}, content_type="application/json", **operator)
    assert again.status_code == 409 and "已撤回" in again.json()["detail"]
    assert client.post(f"/api/v1/dispatches/{d.pk}/accept", **east).status_code == 409
    assert client.get("/api/v1/dispatches", **east).json() == []
    assert [x["step"] for x in client.get("/api/v1/dispatches?open=false", **east).json()] == ["withdrawn"]

    response = client.post(f"/api/v1/cases/{d.case_id}/dispatch", {}, content_type="application/json", **operator)
    assert response.status_code == 201, response.content
    assert response.json()["team"] == teams.west.pk and response.json()["reinforcement_for"] is None
    assert actions(d.case_id)[2:] == ["dispatch", "withdraw_dispatch", "dispatch"]


def test_the_resident_sees_that_the_team_was_withdrawn_but_not_why(world, teams, client):
    d = _dispatched(world, teams)
    reason = "队长王建国电话13912345678打不通"
    dispatch_withdraw(actor=world.operator, dispatch=d, reason=reason)
    code = Case.objects.get(pk=d.case_id).requests.get().tracking_code

    timeline = client.get(f"/api/v1/track/{code}").json()["timeline"]
    [step] = [s for s in timeline if s["action"] == "withdraw_dispatch"]
    assert step["note"] == "东片区应急队已撤回，另行调派"
    page = client.get(f"/track/{code}/").content.decode()
    assert "东片区应急队已撤回，另行调派" in page
    for text in (str(timeline), page):
        assert reason not in text and "王建国" not in text and "13912345678" not in text


def test_the_audit_trail_names_the_role_each_dispatch_step_was_taken_under(world, teams):
    """Staff often hold two roles. A grid worker who is also a responder in the team accepts the
    dispatch as the responder; a grid worker who is also a street officer withdraws the team as
    the one who may dispatch: the audit row names that role, not whichever role came first."""
    from sanshi.audit.services import audit_seal_all
    from sanshi.registry.models import StaffRole

    member = world.staff("dual-member", Role.GRID_WORKER, world.grid)
    StaffRole.objects.create(user=member, role=Role.RESPONDER, node=world.street)
    TeamMember.objects.create(team=teams.east, user=member)
    officer = world.staff("dual-officer", Role.GRID_WORKER, world.grid)
    StaffRole.objects.create(user=officer, role=Role.STREET_OFFICER, node=world.street)

    d = _dispatched(world, teams)
    at(T0 + M, dispatch_accept, actor=member, dispatch=d)
    at(T0 + 2 * M, dispatch_withdraw, actor=officer, dispatch=d, reason=STUCK)
    audit_seal_all()
    rows = {e.event: (e.actor_username, e.role, e.node)
            for e in AuditEntry.objects.filter(obj_type="case", obj_id=str(d.case_id))}
    assert rows["case.dispatch"] == ("operator", "operator", "T1")
    assert rows["case.accept"] == ("dual-member", "responder", "T1")
    assert rows["case.withdraw_dispatch"] == ("dual-officer", "street_officer", "T1")
