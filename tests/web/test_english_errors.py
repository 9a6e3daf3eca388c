"""Refusals follow the language the user chose (the django_language cookie set by /i18n/setlang/):
Chinese by default, English when asked — on pages and in the API, field errors included — while the
text stored on the case (timeline notes) stays Chinese whatever the language of the interface."""

import re

import pytest
from django.conf import settings

from sanshi.cases.models import Case, CaseEvent
from sanshi.intake.models import Request

from ..conftest import PASSWORD
from ..helpers import act, submit

GOOD = "小区电梯经常困人，已经坏了三次，维修资金一直申请不下来。"
BAD_INTAKE = {"text": "", "grid": "NO-SUCH-GRID", "reporter_phone": "12345"}


def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def test_bad_intake_in_the_api_answers_in_chinese_by_default(world, client):
    response = submit(client, **BAD_INTAKE)
    assert response.status_code == 400 and response["Content-Language"] == "zh-hans"
    body = response.json()
    assert body["detail"] == "提交内容有误，请按提示修改"
    assert body["errors"] == {"text": "请填写诉求内容", "grid": "网格编码“NO-SUCH-GRID”不存在",
                              "reporter_phone": "电话号码格式不正确：请填写11位手机号或带区号的固定电话"}
    assert Request.objects.count() == 0 and Case.objects.count() == 0


def test_bad_intake_in_the_api_answers_in_english_when_english_is_chosen(world, client):
    english(client)
    response = submit(client, **BAD_INTAKE)
    assert response.status_code == 400 and response["Content-Language"] == "en"
    body = response.json()
    assert body["detail"] == "Some of what you entered is not valid; please correct it as shown"
    assert body["errors"] == {
        "text": "Please describe the request",
        "grid": "There is no grid with code “NO-SUCH-GRID”",
        "reporter_phone": "Invalid phone number: enter an 11-digit mobile number or a landline with its area code",
    }
    assert Request.objects.count() == 0 and Case.objects.count() == 0


def test_too_long_a_request_names_the_limit_in_english(world, client):
    english(client)
    body = submit(client, text="长" * 4001).json()
    assert body["errors"]["text"] == "The request may not exceed 4000 characters (it has 4001)"


def test_browser_language_alone_does_not_switch_to_english(world, client):
    """Street-office PCs often run English browsers: only the explicit choice counts."""
    response = client.post("/api/v1/requests", {"text": ""}, content_type="application/json",
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["errors"]["text"] == "请填写诉求内容"


def test_choosing_english_with_the_site_language_switch_changes_the_api_answers(world, client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert submit(client, text="").json()["errors"]["text"] == "Please describe the request"
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert submit(client, text="").json()["errors"]["text"] == "请填写诉求内容"


@pytest.fixture
def household_case(world, client, token_for):
    """A triaged HOUSEHOLD matter, created in Chinese."""
    created = submit(client, text="邻居装修噪音太大，晚上十点还在施工。", grid="T1C1-G01").json()
    case = Case.objects.get(requests__tracking_code=created["tracking_code"])
    op = token_for(world.operator)
    assert act(client, op, case.pk, action="triage", kind="HOUSEHOLD", catalogue_code="H1",
               reason="噪音扰民").status_code == 200
    case.refresh_from_db()
    return case


def test_an_illegal_transition_in_the_api_follows_the_chosen_language(world, client, token_for, household_case):
    case = household_case
    headers = token_for(world.grid_leader)
    events = CaseEvent.objects.filter(case=case).count()
    refused = act(client, headers, case.pk, action="publicise", result="x", notice="y")
    assert refused.status_code == 409
    assert refused.json()["detail"] == "当前状态「已分拣」不能执行「张榜公示」"
    english(client)
    refused = act(client, headers, case.pk, action="publicise", result="x", notice="y")
    assert refused.status_code == 409
    assert refused.json()["detail"] == "“Post public notice” is not possible while the matter is “Triaged”"
    assert CaseEvent.objects.filter(case=case).count() == events  # nothing written either time


def test_field_errors_of_a_case_action_follow_the_chosen_language(world, client, token_for):
    created = submit(client, text=GOOD, grid="T1C1-G01").json()
    case = Case.objects.get(requests__tracking_code=created["tracking_code"])
    op = token_for(world.operator)
    english(client)
    refused = act(client, op, case.pk, action="triage", kind="PUBLIC", catalogue_code="H1")
    assert refused.status_code == 400
    body = refused.json()
    assert body["detail"] == "The triage details are not valid"
    assert body["errors"]["catalogue_code"] == (
        "Catalogue item H1 is a Household matter, which does not match the chosen kind")
    assert body["errors"]["reason"] == "Give a reason for changing the system's suggested classification"


def test_the_case_page_shows_a_refused_move_in_the_chosen_language(world, client, household_case):
    case = household_case
    assert client.login(username=world.grid_leader.username, password=PASSWORD)
    page = client.post(f"/staff/cases/{case.pk}/", {"action": "publicise", "result": "x", "notice": "y"})
    assert "当前状态「已分拣」不能执行「张榜公示」" in page.content.decode()
    english(client)
    page = client.post(f"/staff/cases/{case.pk}/", {"action": "publicise", "result": "x", "notice": "y"})
    html = page.content.decode()
    assert "“Post public notice” is not possible while the matter is “Triaged”" in html
    assert "当前状态" not in html


def test_the_public_form_shows_intake_errors_in_the_chosen_language(world, client):
    page = client.post("/report/", {"text": GOOD, "sub_channel": "web", "grid": "NO-SUCH-GRID"})
    assert page.status_code == 400 and "网格编码“NO-SUCH-GRID”不存在" in page.content.decode()
    english(client)
    page = client.post("/report/", {"text": GOOD, "sub_channel": "web", "grid": "NO-SUCH-GRID"})
    html = page.content.decode()
    assert page.status_code == 400 and "There is no grid with code “NO-SUCH-GRID”" in html
    assert "网格编码" not in html
    assert Request.objects.count() == 0


def test_stored_timeline_text_stays_chinese_when_the_actor_uses_english(world, client, token_for):
    english(client)
    created = submit(client, text=GOOD, grid="T1C1-G01").json()
    case = Case.objects.get(requests__tracking_code=created["tracking_code"])
    assert act(client, token_for(world.operator), case.pk, action="triage", kind="SHARED",
               catalogue_code="S2", reason="业主共同事务").status_code == 200
    notes = list(CaseEvent.objects.filter(case=case).order_by("at", "id").values_list("public_note", flat=True))
    assert notes[0].startswith("诉求已受理") and notes[1].startswith("已分拣为「共事」")



@pytest.mark.parametrize("who, url, heading", [
    ("street_officer", "/staff/rapid/teams/", "Response team"),
    ("street_officer", "/staff/ledger/", "Public matters ledger (supervised ledger)"),
    ("grid_leader", "/staff/visits/", "Household matter follow-up visits"),
    ("street_officer", "/staff/calendar/", "Holiday calendar"),
    ("operator", "/staff/notifications/", "My notifications"),
    ("street_officer", "/staff/rapid/", "My dispatches"),
])
def test_the_new_pages_read_in_english_when_english_is_chosen(world, client, who, url, heading):
    client.force_login(getattr(world, who))
    assert "lang=\"zh-hans\"" in client.get(url).content.decode()
    english(client)
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and "lang=\"en\"" in html and heading in html
    main = html.split("<main", 1)[1].split("</main>", 1)[0]
    main = re.sub(r'<select name="node".*?</select>', "", main, flags=re.S)  # the area filter: place names
    # no interface text left in Chinese (names of places and holidays are data, not interface)
    assert re.findall(r"[\u4e00-\u9fff]+", main) == [] or url == "/staff/calendar/"


def _triaged_via_api(client, token_for, world, *, kind, code, text=GOOD) -> Case:
    created = submit(client, text=text, grid="T1C1-G01").json()
    case = Case.objects.get(requests__tracking_code=created["tracking_code"])
    assert act(client, token_for(world.operator), case.pk, action="triage", kind=kind, catalogue_code=code,
               reason="复核").status_code == 200
    return Case.objects.get(pk=case.pk)


def test_ledger_refusals_follow_the_chosen_language(world, client, token_for):
    case = _triaged_via_api(client, token_for, world, kind="PUBLIC", code="P5")
    entry = case.ledger_entry
    leader, operator = token_for(world.street_officer), token_for(world.operator)
    refused = client.post(f"/api/v1/ledger/{entry.pk}/claim", **operator)
    assert refused.status_code == 403 and refused.json()["detail"] == "只有本街道的街道领导（街道干部）可以认领台账事项"
    english(client)
    refused = client.post(f"/api/v1/ledger/{entry.pk}/claim", **operator)
    assert refused.status_code == 403
    assert refused.json()["detail"] == "Only the street's leaders (street officials) can claim ledger items"
    assert client.post(f"/api/v1/ledger/{entry.pk}/claim", **leader).status_code == 200
    again = client.post(f"/api/v1/ledger/{entry.pk}/claim", **leader)
    assert again.status_code == 409 and again.json()["detail"] == "You have already claimed this item"
    bad = client.get("/api/v1/ledger?show=nonsense", **leader).json()
    assert bad["detail"] == "Invalid filter" and bad["errors"]["show"].startswith("Must be one of open | ")
    client.force_login(world.street_officer)
    page = client.get(f"/staff/ledger/{entry.pk}/").content.decode()
    assert "Leader in charge: " in page and "Next step: confirm the deadline" in page and "年" not in page


def test_dispatch_refusals_follow_the_chosen_language(world, client, token_for):
    case = _triaged_via_api(client, token_for, world, kind="SHARED", code="S2")
    operator = token_for(world.operator)
    english(client)
    refused = client.post(f"/api/v1/cases/{case.pk}/dispatch", {"team": 999}, content_type="application/json",
                          **operator)
    assert refused.status_code == 400
    assert refused.json() == {"detail": "No such team", "errors": {"team": "Choose the team to dispatch"}}


def test_meeting_and_evaluation_refusals_follow_the_chosen_language(world, client, token_for):
    case = _triaged_via_api(client, token_for, world, kind="SHARED", code="S2")
    secretary = token_for(world.secretary)
    english(client)
    bad = client.post("/api/v1/meetings", {
        "org": "T1C1", "body": "community_review_meeting", "title": "议事会", "form": "meeting",
        "scheduled_at": "2026-11-20T10:00:00+08:00",
        "participants": [{"role": "volunteer", "name": "甲"}, {"role": "warm_hearted_resident", "name": "乙"}],
        "cases": [case.pk]}, content_type="application/json", **secretary)
    assert bad.status_code == 400
    assert bad.json()["detail"] == "Participant roles do not fit"
    assert bad.json()["errors"]["participants"] == "Volunteer, Warm-hearted resident: not a participant role of this meeting"
    early = act(client, token_for(world.committee), case.pk, action="evaluate", rating="good")
    assert early.status_code == 404  # raters see a shared matter from its notice on
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in early.json()["detail"]), early.json()


def test_no_team_to_dispatch_is_explained_in_the_chosen_language(world, client, token_for):
    created = submit(client, text="楼道起火冒烟，有人被困", grid="T1C1-G01").json()
    case = Case.objects.get(requests__tracking_code=created["tracking_code"])
    operator = token_for(world.operator)
    assert act(client, operator, case.pk, action="triage", kind="PUBLIC", catalogue_code="P5", reason="复核",
               urgent=True).status_code == 200
    refused = client.post(f"/api/v1/cases/{case.pk}/dispatch", {}, content_type="application/json", **operator)
    assert refused.status_code == 400
    assert refused.json()["errors"]["team"] == "鼎山街道当前没有在岗的应急处置队伍，请电话调度并调整队伍在岗状态"
    english(client)
    refused = client.post(f"/api/v1/cases/{case.pk}/dispatch", {}, content_type="application/json", **operator)
    assert refused.json() == {"detail": "No team available to dispatch", "errors": {
        "team": "鼎山街道 has no response team on duty right now; dispatch by phone and update the teams' duty status"}}

