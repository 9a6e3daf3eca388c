"""Evaluation by both sides, decided by groups when the rating period ends (DOMAIN.md §3 step 4,
docs/adr/0007-groups-decide-a-round.md): each rater rates a round once, a group is bad when more of
it rated bad than good, any bad group escalates, nobody rating lapses the round; the escalated level
decides and sends the matter back down (下沉再办); a redone result rated bad again climbs above the
highest level that reviewed it, and at the district a bad rating is final."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from sanshi.cases.models import Case, CaseEvent
from sanshi.core.errors import TransitionNotAllowed
from sanshi.core.jobs import run_due_jobs
from sanshi.deliberation.services import ParticipantInput, meeting_schedule
from sanshi.evaluation.models import Evaluation, EvaluationRound, Outcome, PartyCode
from sanshi.evaluation.services import evaluation_submit, open_round, rounds_decide
from sanshi.intake.models import Request
from sanshi.registry.models import Household, Role
from sanshi.registry.services import person_register

from ..helpers import act, decide, meeting, moves, notice_period_over, submit


def _household(client, token_for, world, text="楼上邻居每天半夜装修，电钻噪音吵得老人孩子睡不着。") -> tuple[Case, str]:
    body = submit(client, text=text, grid="T1C1-G01", reporter_phone="13812345678", channel="web").json()
    case_id = Request.objects.get(tracking_code=body["tracking_code"]).case_id
    assert act(client, token_for(world.operator), case_id, action="triage", kind="HOUSEHOLD",
               catalogue_code="H2").status_code == 200
    return Case.objects.get(pk=case_id), body["tracking_code"]


def _settled_to_evaluation(client, token_for, world) -> tuple[Case, str]:
    """A household matter the grid settles itself (家事网格自办) and sends to evaluation."""
    case, code = _household(client, token_for, world)
    r = act(client, token_for(world.grid_leader), case.pk, action="settle", note="上门协调，约定施工时间")
    assert r.status_code == 200, r.content
    r = act(client, token_for(world.grid_worker), case.pk, action="request_evaluation", result="双方签订约定")
    assert r.json()["status"] == "evaluating"
    return Case.objects.get(pk=case.pk), code


def test_a_group_is_bad_only_when_more_of_it_rated_bad_than_good(world, client, token_for):
    second = world.staff("supervisor-2", Role.DEMOCRATIC_SUPERVISOR, world.street)
    case, code = _settled_to_evaluation(client, token_for, world)
    client.post(f"/track/{code}/", {"rating": "good", "comment": "满意"})
    evaluation_submit(actor=world.supervisor, case=case, rating="bad", comment="施工仍超时")
    evaluation_submit(actor=second, case=case, rating="good")
    # the supervisors are split one to one: not a majority bad, so the matter closes
    assert Case.objects.get(pk=case.pk).status == "evaluating"
    assert decide(case) == Outcome.GOOD
    rnd = EvaluationRound.objects.get(case=case)
    assert rnd.groups == {"party": {"good": 1, "bad": 0, "bad_group": False},
                          "democratic_supervisor": {"good": 1, "bad": 1, "bad_group": False}}
    assert Case.objects.get(pk=case.pk).status == "closed"


def test_one_bad_group_escalates_even_when_the_parties_are_content(world, client, token_for):
    case, code = _settled_to_evaluation(client, token_for, world)
    client.post(f"/track/{code}/", {"rating": "good"})
    evaluation_submit(actor=world.supervisor, case=case, rating="bad", comment="未按约定")
    assert decide(case) == Outcome.BAD
    case.refresh_from_db()
    assert (case.status, case.level, case.org) == ("deliberating", "community", world.community)
    event = CaseEvent.objects.get(case=case, action="escalate")
    assert event.actor is None and "民主监督员：满意0，不满意1" in event.note


def test_each_rater_rates_a_round_once_and_is_then_told_so(world, client, token_for):
    case, code = _settled_to_evaluation(client, token_for, world)
    headers = token_for(world.supervisor)
    assert act(client, headers, case.pk, action="evaluate", rating="good").status_code == 200
    again = act(client, headers, case.pk, action="evaluate", rating="bad")
    assert again.status_code == 409 and "每人每轮评价一次" in again.json()["detail"]
    assert client.get(f"/api/v1/cases/{case.pk}", **headers).json()["allowed_actions"] == []
    # the reporter rates once as well, on the tracking page
    client.post(f"/track/{code}/", {"rating": "good"})
    client.post(f"/track/{code}/", {"rating": "bad"})
    assert list(Evaluation.objects.filter(case=case).values_list("group", "rating").order_by("id")) == [
        ("democratic_supervisor", "good"), ("party", "good")]


def test_a_round_nobody_rated_lapses_and_closes_when_the_worker_sweeps(world, client, token_for):
    case, _ = _settled_to_evaluation(client, token_for, world)
    rnd = open_round(case)
    assert rounds_decide(now=rnd.due_at - timedelta(minutes=1)) == 0  # still open
    assert rounds_decide(now=rnd.due_at + timedelta(minutes=1)) == 1
    rnd.refresh_from_db()
    case.refresh_from_db()
    assert (rnd.outcome, case.status) == (Outcome.LAPSED, "closed")
    tracked = client.get(f"/api/v1/track/{case.requests.get().tracking_code}").json()
    assert any("评价期满" in e["note"] for e in tracked["timeline"])


def test_a_rating_after_the_period_is_refused_with_the_day_it_ended(world, client, token_for):
    case, _ = _settled_to_evaluation(client, token_for, world)
    due = open_round(case).due_at
    with time_machine.travel(due + timedelta(hours=1), tick=False):
        with pytest.raises(TransitionNotAllowed) as refused:
            evaluation_submit(actor=world.supervisor, case=case, rating="good")
    assert f"{timezone.localtime(due):%Y-%m-%d}" in str(refused.value.message)
    assert not Evaluation.objects.filter(case=case).exists()


def test_the_rating_period_is_five_working_days(world, client, token_for, settings):
    with time_machine.travel("2026-11-27 10:00 +0800", tick=False):  # a Friday
        case, _ = _settled_to_evaluation(client, token_for, world)
    rnd = open_round(case)
    assert timezone.localtime(rnd.due_at).date().isoformat() == "2026-12-04"  # five working days on


def test_a_redone_result_rated_bad_again_climbs_above_the_level_that_reviewed_it(world, client, token_for):
    case, code = _settled_to_evaluation(client, token_for, world)
    client.post(f"/track/{code}/", {"rating": "bad"})
    decide(case)
    sec = token_for(world.secretary)
    m = meeting(client, sec, org="T1C1", body="community_review_meeting", cases=[case.pk],
                roles=("community_secretary", "mediator"))
    act(client, sec, case.pk, action="resolve", meeting=m, resolution="社区调解员督促整改")
    case.refresh_from_db()
    assert (case.status, case.level, case.org) == ("handling", "grid", world.grid)  # 下沉再办
    send_down = CaseEvent.objects.get(case=case, action="send_down")
    assert send_down.data["to_org"] == "T1C1-G01" and "下沉再办" in send_down.public_note
    act(client, token_for(world.grid_worker), case.pk, action="request_evaluation", result="按社区意见整改")
    client.post(f"/track/{code}/", {"rating": "bad"})
    assert decide(case) == Outcome.BAD
    case.refresh_from_db()
    # the community already reviewed it: the street deliberates it now
    assert (case.status, case.level, case.org, case.escalations) == ("deliberating", "street", world.street, 2)
    assert EvaluationRound.objects.filter(case=case).count() == 2


def test_at_the_district_a_bad_rating_is_final(world, client, token_for):
    created = submit(client, text="滨江路市政道路坑洼严重，下雨天积水半米深。", grid="T1C1-G01", channel="web").json()
    case_id = Request.objects.get(tracking_code=created["tracking_code"]).case_id
    act(client, token_for(world.operator), case_id, action="triage", kind="PUBLIC", catalogue_code="P3")
    street = token_for(world.street_officer)
    m = meeting(client, street, org="T1", body="street_joint_meeting", cases=[case_id],
                roles=("street_officer", "community_secretary"))
    act(client, street, case_id, action="resolve", meeting=m, resolution="修补路面")
    act(client, street, case_id, action="publicise", result="已修补", notice="路面修补完成")
    notice_period_over(case_id)  # the objection period ran out
    act(client, street, case_id, action="request_evaluation")
    act(client, token_for(world.congress), case_id, action="evaluate", rating="bad")
    assert decide(case_id) == Outcome.BAD
    district = token_for(world.district_officer)
    m2 = meeting(client, district, org="T", body="district_joint_meeting", cases=[case_id],
                 roles=("street_officer", "department_liaison"))
    act(client, district, case_id, action="resolve", meeting=m2, resolution="区住建委改造排水")
    act(client, street, case_id, action="publicise", result="排水已改造", notice="排水改造完成")
    notice_period_over(case_id)  # the objection period ran out
    act(client, street, case_id, action="request_evaluation")
    act(client, token_for(world.congress), case_id, action="evaluate", rating="bad", comment="仍积水")
    assert decide(case_id) == Outcome.FINAL_BAD
    case = Case.objects.get(pk=case_id)
    assert case.status == "closed" and case.escalations == 1
    assert moves(case_id)[-1] == "close"
    assert CaseEvent.objects.get(case=case, action="close").data["final_bad_rating"] is True


def test_every_party_rates_with_its_own_code(world, client, token_for, settings):
    """Both sides of a dispute are parties (涉事主体): the neighbour named at the meeting gets a rating
    code, by SMS when the register has a phone, on a slip the handler prints once otherwise."""
    settings.SANSHI_SMS_BACKEND = "log"
    case, code = _household(client, token_for, world)
    home = Household.objects.create(node=world.grid, address="鼎城花园3栋2单元501")
    upstairs = person_register(household=home, name="李四", phone="13900001111")
    meeting_schedule(actor=world.grid_leader, org=world.grid, body="grid_neighbour_meeting", title="装修噪音",
                     form="meeting", scheduled_at=timezone.now(), cases=[case],
                     participants=[ParticipantInput("grid_leader", "网格长"),
                                   ParticipantInput("party", "", person_id=upstairs.pk),
                                   ParticipantInput("party", "王五")])
    leader = token_for(world.grid_leader)
    m = case.agenda_items.get().meeting_id
    act(client, leader, case.pk, action="resolve", meeting=m, resolution="约定施工时间")
    act(client, leader, case.pk, action="request_evaluation", result="已按约定施工")
    parties = {p.name: p for p in PartyCode.objects.filter(round__case=case)}
    assert set(parties) == {"李四", "王五"}
    assert run_due_jobs() >= 1
    assert PartyCode.objects.get(pk=parties["李四"].pk).sent_at is not None

    # the handler prints the codes not sent, once; a rater in sight is told who prints them
    client.force_login(world.supervisor)
    refused = client.get(f"/staff/cases/{case.pk}/rating-slips/")
    assert refused.status_code == 302 and not PartyCode.objects.filter(printed_at__isnull=False).exists()
    client.force_login(world.grid_leader)
    slip = client.get(f"/staff/cases/{case.pk}/rating-slips/").content.decode()
    assert parties["王五"].code in slip and parties["李四"].code not in slip
    assert parties["王五"].code not in client.get(f"/staff/cases/{case.pk}/rating-slips/").content.decode()
    client.logout()

    # a party rates on /rate/<code>/: the public timeline, the form, then a thank-you and no second form
    page = client.get(f"/rate/{parties['王五'].code}/").content.decode()
    assert case.number in page and 'name="rating"' in page and "13812345678" not in page
    assert client.post(f"/rate/{parties['王五'].code}/", {"rating": "bad", "comment": "还是吵"}).status_code == 302
    assert 'name="rating"' not in client.get(f"/rate/{parties['王五'].code}/").content.decode()
    assert client.get("/rate/NOSUCHCODE/").status_code == 404
    client.post(f"/rate/{parties['李四'].code}/", {"rating": "good"})
    client.post(f"/track/{code}/", {"rating": "bad"})
    # the parties: two bad, one good → the group is bad → escalated
    assert decide(case) == Outcome.BAD
    assert EvaluationRound.objects.get(case=case).groups["party"] == {"good": 1, "bad": 2, "bad_group": True}


def test_the_grid_leader_settles_a_simple_household_matter_without_a_meeting(world, client, token_for):
    case, _ = _household(client, token_for, world)
    assert "settle" in client.get(f"/api/v1/cases/{case.pk}", **token_for(world.grid_leader)).json()["allowed_actions"]
    worker = act(client, token_for(world.grid_worker), case.pk, action="settle", note="协调好了")
    assert worker.status_code == 403
    empty = act(client, token_for(world.grid_leader), case.pk, action="settle", note=" ")
    assert empty.status_code == 400 and "note" in empty.json()["errors"]
    done = act(client, token_for(world.grid_leader), case.pk, action="settle", note="上门协调，双方和解")
    assert done.status_code == 200 and done.json()["status"] == "handling"
    assert moves(case.pk) == ["open", "triage", "settle"]
    # a shared matter always goes to its meeting
    created = submit(client, text="小区电梯经常坏，业主想用维修资金更换。", grid="T1C1-G01", channel="web").json()
    shared = Request.objects.get(tracking_code=created["tracking_code"]).case_id
    act(client, token_for(world.operator), shared, action="triage", kind="SHARED", catalogue_code="S1")
    assert act(client, token_for(world.secretary), shared, action="settle", note="x").status_code in (403, 409)
