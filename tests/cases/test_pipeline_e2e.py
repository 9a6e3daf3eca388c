"""The whole 三事 loop, one test per kind, through the public API as each role would use it."""

from sanshi.cases.models import Case, CaseEvent, WhistleCall
from sanshi.core.jobs import run_due_jobs
from sanshi.core.models import Notification
from sanshi.evaluation.models import Evaluation
from sanshi.intake.models import Request

from ..helpers import act, decide, meeting, moves, notice_period_over, submit


def test_household_matter_bad_rating_escalates_then_closes(world, client, token_for):
    # given a resident reports neighbour noise on the public API, on their grid
    created = submit(client, text="楼上邻居每天半夜装修，电钻噪音吵得老人孩子睡不着，沟通多次没用。",
                     grid="T1C1-G01", reporter_name="张三丰", reporter_phone="13812345678", channel="web")
    assert created.status_code == 201
    body = created.json()
    assert body["status"] == "received"
    assert body["suggestion"]["kind"] == "HOUSEHOLD" and body["suggestion"]["catalogue_code"] == "H2"
    case_id = Request.objects.get(tracking_code=body["tracking_code"]).case_id

    # when the command centre confirms the suggestion
    op = token_for(world.operator)
    r = act(client, op, case_id, action="triage", kind="HOUSEHOLD", catalogue_code="H2")
    assert r.status_code == 200, r.content
    case = Case.objects.get(pk=case_id)
    assert (case.status, case.level, case.body, case.org) == ("triaged", "grid", "grid_neighbour_meeting", world.grid)
    assert case.catalogue_item.version.number == 1

    # the grid neighbour meeting takes it up and resolves it
    leader = token_for(world.grid_leader)
    meeting_id = meeting(client, leader, org="T1C1-G01", body="grid_neighbour_meeting", cases=[case_id])
    assert Case.objects.get(pk=case_id).status == "deliberating"
    r = act(client, leader, case_id, action="resolve", meeting=meeting_id, resolution="约定装修时间为8:00-12:00、14:00-18:00")
    assert r.json()["status"] == "handling"
    r = act(client, token_for(world.grid_worker), case_id, action="request_evaluation", result="双方已签订装修时间约定")
    assert r.json()["status"] == "evaluating"

    # the party rates it bad on the tracking page; when the rating period ends the round is decided:
    # escalated to the community review meeting
    page = client.post(f"/track/{body['tracking_code']}/", {"rating": "bad", "comment": "晚上还是吵"})
    assert page.status_code == 302
    assert Case.objects.get(pk=case_id).status == "evaluating"
    assert decide(case_id) == "bad"
    case.refresh_from_db()
    assert (case.status, case.level, case.org, case.escalations) == ("deliberating", "community", world.community, 1)
    assert Evaluation.objects.get(case=case).evaluator_role == "party"

    # the community deliberates again and sends it down to the grid to be redone (下沉再办)
    sec = token_for(world.secretary)
    meeting2 = meeting(client, sec, org="T1C1", body="community_review_meeting", cases=[case_id],
                       roles=("community_secretary", "mediator", "resident_rep"))
    r = act(client, sec, case_id, action="resolve", meeting=meeting2, resolution="社区调解员上门，物业监督装修时间")
    assert r.json()["status"] == "handling"
    assert CaseEvent.objects.filter(case=case, action="resolve", data__redo=True).count() == 1
    case.refresh_from_db()
    assert (case.level, case.org, case.body) == ("grid", world.grid, "grid_neighbour_meeting")
    act(client, token_for(world.grid_worker), case_id, action="request_evaluation", result="调解后装修改在白天进行")
    r = act(client, token_for(world.supervisor), case_id, action="evaluate", rating="good", comment="已解决")
    assert r.json()["status"] == "evaluating"
    assert decide(case_id) == "good"

    # then: closed, feedback recorded for the original reporter and channel, one event per move
    case.refresh_from_db()
    assert case.closed_at is not None
    request = case.requests.get()
    assert request.feedback.startswith(f"您反映的事项（{case.number}）已办结")
    assert moves(case_id) == ["open", "triage", "deliberate", "resolve", "request_evaluation", "escalate",
                                "resolve", "send_down", "request_evaluation", "close"]
    assert run_due_jobs() >= 1
    note = Notification.objects.get(request=request)
    assert note.channel == "web" and case.number in note.subject

    # the tracking page and API show the status and a public timeline without personal data
    tracked = client.get(f"/api/v1/track/{body['tracking_code']}").json()
    assert tracked["status"] == "closed" and tracked["kind"] == "HOUSEHOLD"
    text = str(tracked)
    assert "13812345678" not in text and "张三丰" not in text and "gridleader" not in text
    html = client.get(f"/track/{body['tracking_code']}/").content.decode()
    assert "已办结" in html and "13812345678" not in html and "张三丰" not in html and "张*" in html


def test_shared_matter_publicised_and_closed_by_supervision_committee(world, client, token_for):
    created = submit(client, text="小区物业费今年上涨了三成，物业服务却越来越差，业主们希望重新选聘物业公司。",
                     grid="T1C1-G01", channel="wechat_group").json()
    case_id = Request.objects.get(tracking_code=created["tracking_code"]).case_id
    assert created["suggestion"]["kind"] == "SHARED"
    op = token_for(world.operator)
    act(client, op, case_id, action="triage", kind="SHARED", catalogue_code="S2")
    case = Case.objects.get(pk=case_id)
    assert (case.level, case.body, case.org) == ("community", "community_review_meeting", world.community)

    sec = token_for(world.secretary)
    meeting_id = meeting(client, sec, org="T1C1", body="community_review_meeting", cases=[case_id],
                         roles=("community_secretary", "property_rep", "resident_rep", "democratic_supervisor"))
    act(client, sec, case_id, action="resolve", meeting=meeting_id, resolution="召开业主大会表决选聘物业", votes_for=12,
        votes_against=1)
    # a household-only move is refused for a shared matter
    refused = act(client, sec, case_id, action="request_evaluation", result="x")
    assert refused.status_code == 409
    r = act(client, sec, case_id, action="publicise", result="业主大会通过新物业", notice="新物业12月1日进场")
    assert r.json()["status"] == "publicised"
    # the notice's objection period runs: too early to ask for evaluation (tests/notices/ for its bounds)
    assert act(client, sec, case_id, action="request_evaluation").status_code == 409
    notice_period_over(case_id)
    assert act(client, sec, case_id, action="request_evaluation").json()["status"] == "evaluating"

    # the people's-congress committee evaluates PUBLIC matters, not shared ones: it does not even see this one
    wrong = act(client, token_for(world.congress), case_id, action="evaluate", rating="good")
    assert wrong.status_code == 404
    assert Case.objects.get(pk=case_id).status == "evaluating"
    assert not Evaluation.objects.filter(case_id=case_id).exists()

    ok = act(client, token_for(world.committee), case_id, action="evaluate", rating="good")
    assert ok.json()["status"] == "evaluating"
    assert decide(case_id) == "good"
    assert Case.objects.get(pk=case_id).status == "closed"
    assert moves(case_id) == ["open", "triage", "deliberate", "resolve", "publicise", "request_evaluation", "close"]
    tracked = client.get(f"/api/v1/track/{created['tracking_code']}").json()
    assert any("新物业12月1日进场" in e["note"] for e in tracked["timeline"])


def test_public_matter_whistle_call_escalation_to_district(world, client, token_for):
    created = submit(client, token_for(world.hotline), text="滨江路市政道路坑洼严重，下雨天积水半米深，电动车经常摔倒。",
                     address="东门社区滨江路口", channel="hotline").json()
    case_id = Request.objects.get(tracking_code=created["tracking_code"]).case_id
    op = token_for(world.operator)
    # the address did not resolve to a grid: the operator must set one
    missing = act(client, op, case_id, action="triage", kind="PUBLIC", catalogue_code="P3")
    assert missing.status_code == 400 and "grid" in missing.json()["errors"]
    r = act(client, op, case_id, action="triage", kind="PUBLIC", catalogue_code="P3", grid="T1C1-G01")
    assert r.json()["org"] == "T1" and r.json()["body"] == "street_joint_meeting"

    street = token_for(world.street_officer)
    meeting(client, street, org="T1", body="street_joint_meeting", cases=[case_id],
            roles=("street_officer", "community_secretary", "area_unit_rep"))
    # the street cannot settle it: whistle call to two district departments
    r = act(client, op, case_id, action="whistle", departments=["ZJ", "CG"])
    assert r.status_code == 200 and r.json()["status"] == "handling"
    assert WhistleCall.objects.filter(case_id=case_id).count() == 2
    blocked = act(client, street, case_id, action="publicise", result="修好了", notice="修好了")
    assert blocked.status_code == 409 and "等待" in blocked.json()["detail"]
    # a department that was not summoned cannot report
    assert act(client, token_for(world.liaison_zj), case_id, action="department_report",
               report="已安排道路修补").status_code == 200
    assert act(client, token_for(world.liaison_cg), case_id, action="department_report",
               report="已清理占道").status_code == 200
    assert not WhistleCall.objects.filter(case_id=case_id, reported_at__isnull=True).exists()

    act(client, street, case_id, action="publicise", result="道路已修补", notice="滨江路修补完成")
    notice_period_over(case_id)  # the objection period ran out
    act(client, street, case_id, action="request_evaluation")
    r = act(client, token_for(world.congress), case_id, action="evaluate", rating="bad", comment="仍有积水")
    assert r.status_code == 200
    assert decide(case_id) == "bad"
    case = Case.objects.get(pk=case_id)
    assert (case.status, case.level, case.org, case.body) == ("deliberating", "district", world.district,
                                                              "district_joint_meeting")

    # the street cannot convene the district's meeting; the district officer does
    refused = client.post("/api/v1/meetings", {
        "org": "T", "body": "district_joint_meeting", "title": "区级联席会议", "form": "meeting",
        "scheduled_at": "2026-11-20T10:00:00+08:00", "participants": [{"role": "street_officer", "name": "甲"}],
        "cases": [case_id]}, content_type="application/json", **street)
    assert refused.status_code == 403
    district = token_for(world.district_officer)
    meeting2 = meeting(client, district, org="T", body="district_joint_meeting", cases=[case_id],
                       roles=("street_officer", "department_liaison"))
    act(client, district, case_id, action="resolve", meeting=meeting2, resolution="区住建委牵头改造排水")
    # the district decided; the street redoes it under those instructions (下沉再办)
    case.refresh_from_db()
    assert (case.status, case.level, case.org) == ("handling", "street", world.street)
    assert act(client, district, case_id, action="publicise", result="x", notice="x").status_code == 403
    act(client, street, case_id, action="publicise", result="排水管网已改造", notice="排水改造完成")
    notice_period_over(case_id)  # the objection period ran out
    act(client, street, case_id, action="request_evaluation")
    r = act(client, token_for(world.supervisor), case_id, action="evaluate", rating="good")
    assert r.json()["status"] == "evaluating"
    assert decide(case_id) == "good"
    assert moves(case_id) == ["open", "triage", "deliberate", "whistle", "department_report", "department_report",
                                "publicise", "request_evaluation", "escalate", "resolve", "send_down", "publicise",
                                "request_evaluation", "close"]
    event = CaseEvent.objects.get(case_id=case_id, action="escalate")
    assert (event.from_status, event.to_status, event.actor, event.actor_label, event.data["to_level"]) == (
        "evaluating", "deliberating", None, "评价结果", "district")
    assert event.data["groups"]["peoples_congress"] == {"good": 0, "bad": 1, "bad_group": True}
