"""What each user sees on the pages (Chinese, phone-sized, with a clear next step)."""

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext

from sanshi.cases.models import Case
from sanshi.deliberation.models import Meeting
from sanshi.intake.models import Request

from ..conftest import PASSWORD
from ..helpers import act, decide, meeting, notice_period_over, submit


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def test_resident_submits_on_the_public_page_and_gets_a_tracking_code(world, client):
    page = client.get("/report/")
    assert page.status_code == 200 and "我要反映" in page.content.decode() and 'name="viewport"' in page.content.decode()
    response = client.post("/report/", {"text": "楼道灯坏了一个月了，晚上老人上下楼很危险", "sub_channel": "web",
                                        "reporter_name": "李四", "reporter_phone": "13900001111"})
    assert response.status_code == 302
    request = Request.objects.get()
    assert request.reporter_phone == "13900001111" and request.channel == "resident"
    done = client.get(response["Location"]).content.decode()
    assert request.tracking_code in done and "查询码" in done


def test_qr_door_plate_prefills_the_grid(world, client):
    page = client.get("/report/?grid=T1C1-G01&channel=qr_door_plate").content.decode()
    assert "鼎城花园网格" in page
    client.post("/report/?grid=T1C1-G01", {"text": "单元门坏了", "sub_channel": "qr_door_plate", "grid": "T1C1-G01"})
    assert Request.objects.get().grid == world.grid


def test_unknown_tracking_code_says_so(world, client):
    page = client.get("/track/NOPE123456/")
    assert page.status_code == 404 and "没有找到这个查询码" in page.content.decode()


def test_operator_pool_lists_waiting_requests_with_suggestion(world, client):
    submit(client, text="小区物业费又涨了", grid="T1C1-G01")
    submit(client, text="一个没有地点的问题：路灯不亮", address="不存在的地方")
    login(client, world.operator)
    page = client.get("/staff/pool/").content.decode()
    assert "小区物业费又涨了" in page and "S2" in page and "未定位网格" in page
    # the suggestion reads as the operator speaks: 共事, not SHARED; the confidence as a percentage
    assert '<span class="badge k-SHARED">共事</span> S2 · 置信度 ' in page and ">SHARED<" not in page
    assert re.search(r"置信度 \d{1,3}%", page)
    login(client, world.sibling_worker)
    page = client.get("/staff/pool/").content.decode()
    assert "小区物业费又涨了" not in page


def test_triage_from_the_case_page(world, client):
    created = submit(client, text="小区物业费又涨了", grid="T1C1-G01", reporter_phone="13812345678").json()
    case = Case.objects.get(requests__tracking_code=created["tracking_code"])
    login(client, world.operator)
    page = client.get(f"/staff/cases/{case.pk}/").content.decode()
    assert "系统建议" in page and "138****5678" in page and "13812345678" not in page
    assert re.search(r'系统建议：<span class="badge k-SHARED">共事</span> S2，置信度 \d{1,3}%', page)
    bad = client.post(f"/staff/cases/{case.pk}/", {"action": "triage", "kind": "PUBLIC", "catalogue_code": "P1"})
    assert bad.status_code == 400 and "修改系统建议的分类需要填写理由" in bad.content.decode()
    ok = client.post(f"/staff/cases/{case.pk}/", {"action": "triage", "kind": "SHARED", "catalogue_code": "S2"})
    assert ok.status_code == 302
    page = client.get(f"/staff/cases/{case.pk}/").content.decode()
    # the operator does not convene the community's meeting: the page says who does
    assert "已分拣" in page and "东门社区·社区评议会" in page and "这一步由东门社区·社区评议会的经办人员办理" in page
    # the timeline names the statuses as the page does, not by their stored codes
    timeline = page[page.index('id="timeline"'):]
    assert "已受理 → 已分拣" in timeline and "received" not in timeline and "triaged" not in timeline
    assert "纠正已记下" not in page  # the suggestion was confirmed, nothing to learn


def test_a_correction_on_the_case_page_says_where_it_goes(world, client):
    created = submit(client, text="小区物业费又涨了", grid="T1C1-G01").json()
    case = Case.objects.get(requests__tracking_code=created["tracking_code"])
    login(client, world.operator)
    client.post(f"/staff/cases/{case.pk}/", {"action": "triage", "kind": "PUBLIC", "catalogue_code": "P1",
                                             "reason": "物业收费由价格主管部门监管"})
    page = client.get(f"/staff/cases/{case.pk}/").content.decode()
    assert "已分拣" in page and "纠正已记下，分拣模型会在夜间重新训练时学习" in page


def test_meeting_pages_take_a_case_to_resolution(world, client, token_for):
    created = submit(client, text="小区停车位不够，停车费太贵", grid="T1C1-G01").json()
    case = Case.objects.get(requests__tracking_code=created["tracking_code"])
    act(client, token_for(world.operator), case.pk, action="triage", kind="SHARED", catalogue_code="S4")
    login(client, world.secretary)
    form = client.get("/staff/meetings/new/?org=T1C1&body=community_review_meeting").content.decode()
    assert case.title in form and "社区评议会" in form
    response = client.post("/staff/meetings/new/?org=T1C1&body=community_review_meeting", {
        "title": "十一月评议会", "form": "meeting", "scheduled_at": "2026-11-25T19:00", "place": "社区活动室",
        "participants": "社区党组织书记 王芳\n物业企业代表 赵强\n居民代表 孙丽", "cases": [str(case.pk)]})
    assert response.status_code == 302, response.content.decode()
    meeting = Meeting.objects.get()
    assert meeting.participants.count() == 3 and Case.objects.get(pk=case.pk).status == "deliberating"
    client.post(f"/staff/meetings/{meeting.pk}/", {"op": "resolve", "case": case.pk, "resolution": "增划30个车位"})
    assert Case.objects.get(pk=case.pk).status == "handling"
    page = client.get(f"/staff/meetings/{meeting.pk}/").content.decode()
    assert "增划30个车位" in page
    body_page = client.get("/staff/bodies/community_review_meeting/").content.decode()
    assert case.title in body_page


def test_staff_home_and_lists_do_not_grow_queries_with_cases(world, client):
    for i in range(3):
        submit(client, text=f"小区物业费又涨了{i}", grid="T1C1-G01")
    login(client, world.operator)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/staff/pool/").status_code == 200
    for i in range(10):
        submit(client, text=f"小区停车费乱收{i}", grid="T1C1-G01")
    with CaptureQueriesContext(connection) as many:
        client.get("/staff/pool/")
    assert len(many) == len(few)
    home = client.get("/staff/").content.decode()
    assert "本辖区事项" in home and "诉求池里有" in home


def test_english_is_switchable(world, client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    page = client.get("/").content.decode()
    assert 'lang="en"' in page and "Report a problem" in page


def test_grid_worker_registers_a_patrol_finding_from_the_phone_page(world, client):
    login(client, world.grid_worker)
    page = client.get("/staff/submit/").content.decode()
    assert "鼎城花园网格" in page and "一组网格" not in page  # only grids in the worker's scope
    response = client.post("/staff/submit/", {"text": "巡查发现3栋楼道堆放杂物堵塞消防通道", "sub_channel": "grid_patrol",
                                              "grid": "T1C1-G01"})
    assert response.status_code == 302
    request = Request.objects.get()
    assert (request.channel, request.submitted_by, request.grid) == ("patrol", world.grid_worker, world.grid)
    assert request.case.events.get().actor == world.grid_worker


def test_stored_timeline_stays_chinese_when_the_operator_uses_english(world, client):
    created = submit(client, text="小区物业费又涨了", grid="T1C1-G01").json()
    case = Case.objects.get(requests__tracking_code=created["tracking_code"])
    login(client, world.operator)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    client.post(f"/staff/cases/{case.pk}/", {"action": "triage", "kind": "SHARED", "catalogue_code": "S2"})
    event = case.events.get(action="triage")
    assert event.public_note == "已分拣为「共事」，交东门社区·社区评议会" and event.actor_label == "指挥中心接线员"


def test_the_case_page_offers_each_user_only_the_actions_they_may_take(world, client, token_for):
    created = submit(client, text="小区物业费又涨了，服务却越来越差", grid="T1C1-G01").json()
    case = Case.objects.get(requests__tracking_code=created["tracking_code"])
    sec = token_for(world.secretary)
    act(client, token_for(world.operator), case.pk, action="triage", kind="SHARED", catalogue_code="S2")
    meeting_id = meeting(client, sec, org="T1C1", body="community_review_meeting", cases=[case.pk],
                         roles=("community_secretary", "property_rep", "resident_rep"))
    act(client, sec, case.pk, action="resolve", meeting=meeting_id, resolution="业主大会表决物业服务标准")
    act(client, sec, case.pk, action="publicise", result="物业整改", notice="物业服务标准已公示")
    notice_period_over(case.pk)  # the objection period ran out
    api = act(client, sec, case.pk, action="request_evaluation").json()
    # allowed_actions are this user's: the secretary decided the matter and does not rate it
    assert api["status"] == "evaluating" and api["allowed_actions"] == []
    # the rating is the one action an evaluating case takes for its raters: close or escalate follow from it
    assert client.get(f"/api/v1/cases/{case.pk}", **token_for(world.committee)).json()["allowed_actions"] == ["evaluate"]

    # the community secretary handled it but does not rate it: no rating form, a plain word on who does
    login(client, world.secretary)
    page = client.get(f"/staff/cases/{case.pk}/").content.decode()
    assert 'id="action-evaluate"' not in page and 'value="close"' not in page and 'value="escalate"' not in page
    assert "事项正在等待评价，您不是这一类事项的评价人员。由居务监督委员会和民主监督员评价。" in page

    # the supervision committee rates SHARED matters: the form is there and it closes the case
    login(client, world.committee)
    page = client.get(f"/staff/cases/{case.pk}/").content.decode()
    assert 'id="action-evaluate"' in page and "提交评价" in page
    response = client.post(f"/staff/cases/{case.pk}/", {"action": "evaluate", "rating": "good", "comment": "满意"})
    assert response.status_code == 302
    # the rating is recorded; the member is not offered the form again and is told what happens next
    page = client.get(f"/staff/cases/{case.pk}/").content.decode()
    assert 'id="action-evaluate"' not in page and "您已提交本轮评价（满意），每人每轮评价一次。" in page
    assert "已收到 1 份评价" in page
    # when the rating period ends the round is decided: no group rated bad, the case closes
    assert decide(case.pk) == "good"
    case.refresh_from_db()
    assert case.status == "closed"
    assert "事项已办结，无需操作。" in client.get(f"/staff/cases/{case.pk}/").content.decode()


def test_staff_who_do_not_handle_a_step_are_told_who_does(world, client):
    created = submit(client, text="小区物业费又涨了", grid="T1C1-G01").json()
    case = Case.objects.get(requests__tracking_code=created["tracking_code"])
    login(client, world.operator)
    client.post(f"/staff/cases/{case.pk}/", {"action": "triage", "kind": "SHARED", "catalogue_code": "S2"})
    # the grid's worker sees the triaged case but convenes nothing
    login(client, world.grid_worker)
    page = client.get(f"/staff/cases/{case.pk}/").content.decode()
    assert 'id="action-deliberate"' not in page and 'id="action-triage"' not in page
    assert "这一步由东门社区·社区评议会的经办人员办理" in page
    # the secretary of the community takes it to the meeting
    login(client, world.secretary)
    page = client.get(f"/staff/cases/{case.pk}/").content.decode()
    assert 'id="action-deliberate"' in page and "这一步由" not in page


def test_the_home_page_lists_what_waits_for_each_user(world, client, token_for):
    created = submit(client, text="小区物业费又涨了，服务却越来越差", grid="T1C1-G01").json()
    case = Case.objects.get(requests__tracking_code=created["tracking_code"])

    def waiting(user):
        login(client, user)
        page = client.get("/staff/").content.decode()
        start = page.index('id="todo"')
        return page[start:page.index("<h2>", start)]

    # a received request is the pool's business, not a to-do
    assert case.title not in waiting(world.operator)
    act(client, token_for(world.operator), case.pk, action="triage", kind="SHARED", catalogue_code="S2")
    # triaged to the community review meeting: its secretary takes it to a meeting; an evaluator has nothing yet
    assert case.title in waiting(world.secretary) and "下一步：提交议事" in waiting(world.secretary)
    assert case.title not in waiting(world.committee) and "目前没有等您办理的事项" in waiting(world.committee)

    sec = token_for(world.secretary)
    meeting_id = meeting(client, sec, org="T1C1", body="community_review_meeting", cases=[case.pk],
                         roles=("community_secretary", "property_rep", "resident_rep"))
    act(client, sec, case.pk, action="resolve", meeting=meeting_id, resolution="业主大会表决物业服务标准")
    act(client, sec, case.pk, action="publicise", result="物业整改", notice="物业服务标准已公示")
    notice_period_over(case.pk)  # the objection period ran out
    act(client, sec, case.pk, action="request_evaluation")
    # now the supervision committee rates it, and the secretary waits
    assert case.title in waiting(world.committee) and "下一步：评价" in waiting(world.committee)
    assert case.title not in waiting(world.secretary)
    # a sibling community's worker never sees it
    assert case.title not in waiting(world.sibling_worker)


def test_the_home_page_lists_the_ten_oldest_and_says_where_the_rest_are(world, client, token_for):
    op = token_for(world.operator)
    titles = []
    for i in range(12):
        created = submit(client, text=f"{i + 1}号楼电梯坏了，物业一直不修", title=f"电梯坏了第{i + 1}件",
                         grid="T1C1-G01").json()
        case = Case.objects.get(requests__tracking_code=created["tracking_code"])
        triaged = act(client, op, case.pk, action="triage", kind="SHARED", catalogue_code="S5", reason="核实")
        assert triaged.status_code == 200, triaged.content.decode()
        titles.append(case.title)
    login(client, world.secretary)
    page = client.get("/staff/").content.decode()
    listed = page[page.index('id="todo"'):page.index("本辖区事项")]
    assert [t for t in titles if t in listed] == titles[:10], listed  # the oldest ten, in order of arrival
    assert "只列出最早的 10 件；其余的在下方各议事主体的待办里。" in listed


def test_a_summoned_department_finds_the_case_on_its_home_page_until_it_reports(world, client, token_for):
    created = submit(client, text="滨江路市政道路坑洼严重，下雨天积水半米深", grid="T1C1-G01").json()
    case = Case.objects.get(requests__tracking_code=created["tracking_code"])
    op, street = token_for(world.operator), token_for(world.street_officer)
    act(client, op, case.pk, action="triage", kind="PUBLIC", catalogue_code="P3", reason="核实")
    meeting(client, street, org="T1", body="street_joint_meeting", cases=[case.pk],
            roles=("street_officer", "community_secretary", "area_unit_rep"))
    assert act(client, op, case.pk, action="whistle", departments=["ZJ"]).status_code == 200

    def home(user):
        login(client, user)
        return client.get("/staff/").content.decode()

    assert case.title in home(world.liaison_zj) and "下一步：部门报到反馈" in home(world.liaison_zj)
    assert case.title not in home(world.liaison_cg)  # not summoned
    login(client, world.liaison_zj)
    assert 'id="action-department_report"' in client.get(f"/staff/cases/{case.pk}/").content.decode()
    assert act(client, token_for(world.liaison_zj), case.pk, action="department_report",
               report="已安排道路修补").status_code == 200
    # reported: nothing left for the department, on its home page or on the case page
    assert case.title not in home(world.liaison_zj)
    assert 'id="action-department_report"' not in client.get(f"/staff/cases/{case.pk}/").content.decode()


def test_the_home_page_costs_the_same_queries_for_one_or_many_waiting_cases(world, client, token_for):
    op, street = token_for(world.operator), token_for(world.street_officer)

    def whistled_case(n):
        created = submit(client, text=f"滨江路{n}号路段路面塌陷，积水很深", grid="T1C1-G01").json()
        case = Case.objects.get(requests__tracking_code=created["tracking_code"])
        act(client, op, case.pk, action="triage", kind="PUBLIC", catalogue_code="P3", reason="核实")
        meeting(client, street, org="T1", body="street_joint_meeting", cases=[case.pk],
                roles=("street_officer", "community_secretary", "area_unit_rep"))
        act(client, op, case.pk, action="whistle", departments=["ZJ"])
        return case

    def home_queries():
        login(client, world.liaison_zj)
        with CaptureQueriesContext(connection) as queries:
            page = client.get("/staff/").content.decode()
        return len(queries), page.count("下一步：部门报到反馈")

    whistled_case(1)
    one, shown = home_queries()
    assert shown == 1
    for n in range(2, 6):
        whistled_case(n)
    many, shown = home_queries()
    assert shown == 5 and many == one  # no query per case


def test_only_those_who_triage_are_sent_to_the_pool_from_their_home_page(world, client):
    submit(client, text="小区物业费又涨了", grid="T1C1-G01")
    login(client, world.operator)
    assert "诉求池里有 1 件待分拣诉求。" in client.get("/staff/").content.decode()
    for user in (world.committee, world.grid_worker, world.secretary):  # they cannot triage
        login(client, user)
        assert "待分拣诉求" not in client.get("/staff/").content.decode(), user.username
