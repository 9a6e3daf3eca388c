"""Every refusal: illegal moves, wrong roles, bad input. Nothing is half-written."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from sanshi.cases.models import Case, CaseEvent
from sanshi.intake.models import Photo, Request

from ..helpers import act, submit

GOOD = "小区电梯经常困人，已经坏了三次，维修资金一直申请不下来。"


def png_bytes(size=(8, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("body, field", [
    ({"text": ""}, "text"),
    ({"text": "   "}, "text"),
    ({"text": "长" * 4001}, "text"),
    ({"text": GOOD, "grid": "NO-SUCH-GRID"}, "grid"),
    ({"text": GOOD, "reporter_phone": "12345"}, "reporter_phone"),
    ({"text": GOOD, "reporter_phone": "2381234567a"}, "reporter_phone"),
    ({"text": GOOD, "channel": "carrier-pigeon"}, "channel"),
    ({"title": "缺少正文"}, "text"),
])
def test_bad_request_input_is_refused_field_by_field_and_nothing_is_stored(world, client, body, field):
    response = submit(client, **body)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert Request.objects.count() == 0 and Case.objects.count() == 0 and CaseEvent.objects.count() == 0


def test_malformed_json_is_a_400_not_a_500(world, client):
    response = client.post("/api/v1/requests", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert Request.objects.count() == 0


def test_public_form_shows_chinese_errors_and_stores_nothing(world, client):
    page = client.post("/report/", {"text": "", "sub_channel": "web", "reporter_phone": "999"})
    assert page.status_code == 400
    html = page.content.decode()
    assert "请填写诉求内容" in html and "电话号码格式不正确" in html
    assert Request.objects.count() == 0


def test_non_image_and_oversized_attachments_are_refused(world, client, settings):
    fake = SimpleUploadedFile("x.jpg", b"%PDF-1.4 not an image", content_type="image/jpeg")
    page = client.post("/report/", {"text": GOOD, "sub_channel": "web", "photos": [fake]})
    assert page.status_code == 400 and "不是图片" in page.content.decode()
    settings.SANSHI_MAX_PHOTO_BYTES = 50
    big = SimpleUploadedFile("big.png", png_bytes((64, 64)), content_type="image/png")
    page = client.post("/report/", {"text": GOOD, "sub_channel": "web", "photos": [big]})
    assert page.status_code == 400 and "超过" in page.content.decode()
    assert Request.objects.count() == 0 and Photo.objects.count() == 0


def test_a_real_photo_is_stored_with_the_request(world, client):
    photo = SimpleUploadedFile("leak.png", png_bytes(), content_type="image/png")
    page = client.post("/report/", {"text": GOOD, "sub_channel": "web", "photos": [photo]})
    assert page.status_code == 302
    request = Request.objects.get()
    assert request.photos.count() == 1 and request.case.status == "received"


def test_illegal_move_answers_409_and_changes_nothing(world, client, token_for):
    created = submit(client, text=GOOD, grid="T1C1-G01").json()
    case = Case.objects.get(requests__tracking_code=created["tracking_code"])
    op = token_for(world.operator)
    for action in ("resolve", "publicise", "request_evaluation", "evaluate"):
        body = {"action": action, "rating": "good", "result": "x", "notice": "x", "resolution": "x"}
        if action == "resolve":
            body["meeting"] = 999
        response = act(client, op, case.pk, **body)
        assert response.status_code in (400, 403, 409), (action, response.content)
    response = act(client, op, case.pk, action="publicise", result="x", notice="x")
    assert response.status_code in (403, 409)
    case.refresh_from_db()
    assert case.status == "received" and case.events.count() == 1


def test_triage_twice_is_409_with_the_state_named(world, client, token_for):
    created = submit(client, text=GOOD, grid="T1C1-G01").json()
    case = Case.objects.get(requests__tracking_code=created["tracking_code"])
    op = token_for(world.operator)
    assert act(client, op, case.pk, action="triage", kind="SHARED", catalogue_code="S5").status_code == 200
    again = act(client, op, case.pk, action="triage", kind="SHARED", catalogue_code="S5")
    assert again.status_code == 409 and "已分拣" in again.json()["detail"]
    assert case.events.count() == 2


def test_override_without_reason_is_refused_and_with_reason_is_recorded(world, client, token_for):
    created = submit(client, text=GOOD, grid="T1C1-G01").json()
    assert created["suggestion"]["catalogue_code"] == "S5"
    case = Case.objects.get(requests__tracking_code=created["tracking_code"])
    op = token_for(world.operator)
    refused = act(client, op, case.pk, action="triage", kind="PUBLIC", catalogue_code="P6")
    assert refused.status_code == 400 and "reason" in refused.json()["errors"]
    mismatch = act(client, op, case.pk, action="triage", kind="PUBLIC", catalogue_code="S5", reason="x")
    assert mismatch.status_code == 400 and "catalogue_code" in mismatch.json()["errors"]
    ok = act(client, op, case.pk, action="triage", kind="PUBLIC", catalogue_code="P6", reason="电梯属公共安全隐患")
    assert ok.status_code == 200
    event = case.events.get(action="triage")
    assert event.note == "电梯属公共安全隐患" and event.data["overridden"] is True


def test_roles_that_may_not_triage_are_refused(world, client, token_for):
    created = submit(client, text=GOOD, grid="T1C1-G01").json()
    case = Case.objects.get(requests__tracking_code=created["tracking_code"])
    r = act(client, token_for(world.grid_worker), case.pk, action="triage", kind="SHARED", catalogue_code="S5")
    assert r.status_code == 403
    assert Case.objects.get(pk=case.pk).status == "received"


def test_case_out_of_scope_is_404(world, client, token_for):
    created = submit(client, text=GOOD, grid="T1C1-G01").json()
    case = Case.objects.get(requests__tracking_code=created["tracking_code"])
    assert client.get(f"/api/v1/cases/{case.pk}", **token_for(world.other_operator)).status_code == 404
    assert client.get(f"/api/v1/cases/{case.pk}", **token_for(world.sibling_worker)).status_code == 404
    assert client.get(f"/api/v1/cases/{case.pk}", **token_for(world.grid_worker)).status_code == 200


def test_staff_api_needs_a_token(world, client):
    assert client.get("/api/v1/cases/1").status_code == 401
    assert client.get("/api/v1/cases/1", HTTP_AUTHORIZATION="Bearer nonsense").status_code == 401
    bad = client.post("/api/v1/auth/token", {"username": "operator", "password": "wrong"},
                      content_type="application/json")
    assert bad.status_code == 401


def test_household_evaluation_is_refused_to_residents_for_other_kinds(world, client, token_for):
    created = submit(client, text="小区物业费上涨，服务差", grid="T1C1-G01").json()
    case = Case.objects.get(requests__tracking_code=created["tracking_code"])
    act(client, token_for(world.operator), case.pk, action="triage", kind="SHARED", catalogue_code="S2")
    response = client.post(f"/track/{created['tracking_code']}/", {"rating": "bad"})
    assert response.status_code == 302
    assert not case.evaluations.exists() and Case.objects.get(pk=case.pk).status == "triaged"


def test_meeting_with_participants_outside_the_body_is_refused(world, client, token_for):
    created = submit(client, text=GOOD, grid="T1C1-G01").json()
    case = Case.objects.get(requests__tracking_code=created["tracking_code"])
    act(client, token_for(world.operator), case.pk, action="triage", kind="SHARED", catalogue_code="S5")
    response = client.post("/api/v1/meetings", {
        "org": "T1C1", "body": "community_review_meeting", "title": "评议会", "scheduled_at": "2026-11-20T10:00:00Z",
        "participants": [{"role": "department_liaison", "name": "甲"}], "cases": [case.pk],
    }, content_type="application/json", **token_for(world.secretary))
    assert response.status_code == 400 and "participants" in response.json()["errors"]
    assert Case.objects.get(pk=case.pk).status == "triaged"
    # a case of another body cannot be put on this meeting's agenda
    response = client.post("/api/v1/meetings", {
        "org": "T1", "body": "street_joint_meeting", "title": "联席会", "scheduled_at": "2026-11-20T10:00:00Z",
        "participants": [{"role": "street_officer", "name": "乙"}], "cases": [case.pk],
    }, content_type="application/json", **token_for(world.street_officer))
    assert response.status_code == 400 and "cases" in response.json()["errors"]
    assert Case.objects.get(pk=case.pk).status == "triaged"


def test_nul_characters_are_refused_with_400_on_api_and_pages(world, client):
    api = client.post("/api/v1/requests", {"text": "abc\x00def"}, content_type="application/json")
    assert api.status_code == 400 and "body" in api.json()["errors"]
    page = client.post("/report/", {"text": "abc\x00def", "sub_channel": "web"})
    assert page.status_code == 400 and "空字符" in page.content.decode()
    assert client.get("/track/?code=A%00B").status_code == 400
    assert Request.objects.count() == 0
