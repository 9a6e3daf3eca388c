"""Phone numbers are encrypted at rest, masked for everyone but the assigned handler, revealed
only with a reason, and never shown on public pages."""

from django.db import connection

from sanshi.cases.models import Case
from sanshi.core.crypto import lookup_hash
from sanshi.intake.models import Request

from ..conftest import PASSWORD
from ..helpers import act, submit

PHONE = "13812345678"


def _shared_case(world, client, token_for):
    created = submit(client, text="小区物业费上涨，服务越来越差", grid="T1C1-G01", reporter_name="王小明",
                     reporter_phone=PHONE).json()
    case = Case.objects.get(requests__tracking_code=created["tracking_code"])
    act(client, token_for(world.operator), case.pk, action="triage", kind="SHARED", catalogue_code="S2")
    return case, created["tracking_code"]


def test_a_raw_database_dump_holds_no_phone_number(world, client, token_for):
    _shared_case(world, client, token_for)
    with connection.cursor() as cursor:
        cursor.execute("SELECT reporter_phone, reporter_phone_hash FROM intake_request")
        stored, digest = cursor.fetchone()
    assert PHONE not in stored and stored.startswith("enc1:")
    assert digest == lookup_hash(PHONE)
    assert Request.objects.get(reporter_phone_hash=lookup_hash(PHONE)).reporter_phone == PHONE


def test_only_the_handler_reveals_a_phone_with_a_reason_that_is_audited_and_on_the_timeline(world, client, token_for):
    case, code = _shared_case(world, client, token_for)
    request_id = case.requests.get().pk
    client.login(username="operator", password=PASSWORD)  # the street's operator: not the community's handler
    page = client.get(f"/staff/cases/{case.pk}/").content.decode()
    assert "138****5678" in page and PHONE not in page
    assert "王**" in page and "王小明" not in page and "查看完整号码" not in page
    refused = client.post(f"/staff/cases/{case.pk}/", {"action": "reveal", "request": request_id, "reason": "回访"})
    assert refused.status_code == 403 and PHONE not in refused.content.decode()
    client.login(username="secretary", password=PASSWORD)  # the community's secretary handles it
    page = client.get(f"/staff/cases/{case.pk}/").content.decode()
    assert "138****5678" in page and PHONE not in page and "王小明" in page and "查看完整号码" in page
    no_reason = client.post(f"/staff/cases/{case.pk}/", {"action": "reveal", "request": request_id, "reason": " "})
    assert no_reason.status_code == 400 and PHONE not in no_reason.content.decode()
    shown = client.post(f"/staff/cases/{case.pk}/", {"action": "reveal", "request": request_id,
                                                      "reason": "回访核实情况"})
    assert PHONE in shown.content.decode()
    from sanshi.audit.models import AuditEntry

    reveal = AuditEntry.objects.get(event="personal_data.reveal")
    assert (reveal.actor_username, reveal.reason, reveal.role) == ("secretary", "回访核实情况", "community_secretary")
    event = case.events.get(action="phone_reveal")
    assert (event.actor, event.note) == (world.secretary, "回访核实情况")
    timeline = client.get(f"/staff/cases/{case.pk}/").content.decode()
    assert "查看完整联系电话" in timeline and "回访核实情况" in timeline and PHONE not in timeline
    # the resident's timeline does not show it
    assert "phone_reveal" not in [e["action"] for e in client.get(f"/api/v1/track/{code}").json()["timeline"]]
    # the API shows no contacts at all
    assert PHONE not in client.get(f"/api/v1/cases/{case.pk}", **token_for(world.secretary)).content.decode()


def test_public_pages_show_no_phone_and_a_masked_name(world, client, token_for):
    _, code = _shared_case(world, client, token_for)
    html = client.get(f"/track/{code}/").content.decode()
    assert PHONE not in html and "王小明" not in html and "王**" in html
    assert PHONE not in client.get(f"/api/v1/track/{code}").content.decode()


def test_id_numbers_mask_as_first_six_and_last_four():
    from sanshi.core.personal import mask_id_number

    assert mask_id_number("11010519491231002X") == "110105********002X"
    assert mask_id_number("123") == "***"


def test_refused_staff_pages_are_audited(world, client, token_for):
    from sanshi.audit.models import AuditEntry

    case, _ = _shared_case(world, client, token_for)
    client.login(username="other-operator", password=PASSWORD)
    assert client.get(f"/staff/cases/{case.pk}/").status_code == 404
    denied = AuditEntry.objects.get(event="access.denied")
    assert (denied.actor_username, denied.obj_type, denied.obj_id) == ("other-operator", "case", str(case.pk))


def test_staff_roles_in_the_admin_go_through_the_three_administrator_rules(world, client):
    from sanshi.accounts.models import User
    from sanshi.registry.models import StaffRole

    root = User.objects.create_superuser("root", password="Root-pass-2026")
    client.force_login(root)  # a superuser who is no security administrator
    response = client.post("/admin/registry/staffrole/add/", {"user": world.operator.pk, "node": world.street.pk,
                                                             "role": "mediator", "active": "on"})
    assert response.status_code == 403
    assert not StaffRole.objects.filter(user=world.operator, role="mediator").exists()
