"""The tracking code is the resident's credential: staff never see it. A request staff register for
a resident gets its code to the resident by SMS and on a slip printed once; a code read out on the
phone finds the case without showing it; a hotline system claims the assigned channels with its
intake_client token, residents only the public ones."""

from sanshi.cases.models import Case
from sanshi.intake.models import Request

from ..conftest import PASSWORD
from ..helpers import submit


def test_staff_registration_shows_the_code_once_on_a_slip_and_never_on_staff_pages(world, client):
    client.login(username="gridworker", password=PASSWORD)
    response = client.post("/staff/submit/", {"text": "巡查发现3栋楼道堆放杂物堵塞消防通道", "sub_channel": "walk_in",
                                              "grid": "T1C1-G01", "reporter_name": "李四"})
    request = Request.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/staff/submit/{request.pk}/slip/"
    slip = client.get(response["Location"])
    assert slip.status_code == 200 and request.tracking_code in slip.content.decode()
    again = client.get(response["Location"])  # printed once: gone from the session
    assert again.status_code == 410 and request.tracking_code not in again.content.decode()
    for page in (f"/staff/cases/{request.case_id}/", "/staff/", "/staff/pool/"):
        assert request.tracking_code not in client.get(page).content.decode(), page
    client.login(username="secretary", password=PASSWORD)  # not who registered it
    assert client.get(f"/staff/submit/{request.pk}/slip/").status_code == 404


def test_staff_registering_through_the_api_get_no_code_and_the_resident_gets_it_by_sms(world, client, token_for,
                                                                                        settings):
    from sanshi.core.models import Delivery

    settings.SANSHI_SMS_BACKEND = "log"
    created = submit(client, token_for(world.grid_worker), text="楼道灯坏了", grid="T1C1-G01",
                     channel="grid_visit", reporter_phone="13812345678")
    assert created.status_code == 201, created.content
    request = Request.objects.get(pk=created.json()["id"])
    assert created.json()["tracking_code"] is None
    sms = Delivery.objects.get(kind="tracking_code")
    assert sms.request == request and request.tracking_code in sms.payload["text"] and sms.target == "138****5678"


def test_a_code_read_out_on_the_phone_opens_the_case_without_showing_it(world, client):
    code = submit(client, text="小区物业费又涨了", grid="T1C1-G01").json()["tracking_code"]
    case = Case.objects.get(requests__tracking_code=code)
    client.login(username="operator", password=PASSWORD)
    found = client.get("/staff/find/", {"code": code.lower()})
    assert found.status_code == 302 and found["Location"] == f"/staff/cases/{case.pk}/"
    client.login(username="other-operator", password=PASSWORD)  # another street: not in sight
    missing = client.get("/staff/find/", {"code": code}, follow=True)
    assert f"/staff/cases/{case.pk}/" not in [url for url, _ in missing.redirect_chain]
    assert "没有找到这个查询码" in missing.content.decode()


def test_the_assigned_channels_need_a_hotline_systems_token(world, client, token_for):
    refused = submit(client, text="12345工单：路灯不亮", grid="T1C1-G01", channel="hotline")
    assert refused.status_code == 400 and "channel" in refused.json()["errors"]
    assert not Request.objects.exists()
    created = submit(client, token_for(world.hotline), text="12345工单：路灯不亮", grid="T1C1-G01", channel="hotline")
    assert created.status_code == 201 and created.json()["tracking_code"]  # the system passes it on to the caller
    request = Request.objects.get()
    assert (request.channel, request.submitted_by) == ("assigned", world.hotline)
    bad_token = client.post("/api/v1/requests", {"text": "x", "channel": "web"}, content_type="application/json",
                            HTTP_AUTHORIZATION="Bearer not-a-token")
    assert bad_token.status_code == 401
    # what the hotline system may see afterwards: the cases of its own work orders, nothing else
    other = submit(client, text="楼上漏水", grid="T1C1-G01").json()
    listed = {c["id"] for c in client.get("/api/v1/cases", **token_for(world.hotline)).json()}
    assert listed == {request.case_id} and Case.objects.get(requests__tracking_code=other["tracking_code"]).pk
