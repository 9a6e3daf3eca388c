"""退回重分: re-routing a triaged case to another kind, level or grid is a move of its own, with a
required reason — what the operator sees, what is written, who may, and what follows (the new body's
deadline, the street's ledger)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine
from django.utils import timezone

from sanshi.audit.models import AuditEntry
from sanshi.audit.services import audit_seal_all
from sanshi.cases.models import Case, CaseEvent
from sanshi.cases.services import case_triage
from sanshi.intake.services import RequestInput, request_submit
from sanshi.rapid.models import Clock
from sanshi.supervision.models import LedgerEntry

from ..helpers import act

TZ = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 11, 16, 9, 0, tzinfo=TZ)
TUESDAY = datetime(2026, 11, 17, 10, 0, tzinfo=TZ)


def _triaged(world, kind="HOUSEHOLD", code="H2", grid="T1C1-G01") -> Case:
    with time_machine.travel(MONDAY, tick=False):
        request = request_submit(actor=world.operator, data=RequestInput(
            text="楼道里堆满纸箱杂物，邻居之间有矛盾", title="楼道堆物", sub_channel="web", grid_code=grid))
        return case_triage(actor=world.operator, case=request.case, kind=kind, catalogue_code=code, reason="人工分拣")


def _due_day(case) -> str:
    return f"{timezone.localtime(Clock.objects.get(case=case, name='deadline').due_at):%Y-%m-%d}"


def test_the_operator_re_routes_a_household_matter_to_the_community_with_a_reason(world, client, token_for):
    case = _triaged(world)
    assert _due_day(case) == "2026-11-23"  # H2: 5 working days from Monday
    with time_machine.travel(TUESDAY, tick=False):
        response = act(client, token_for(world.operator), case.pk, action="retriage", kind="SHARED",
                       catalogue_code="S5", reason="涉及整栋楼的公共部位，属共事")
    assert response.status_code == 200, response.content
    case.refresh_from_db()
    assert (case.status, case.kind, case.level, case.body, case.org) == (
        "triaged", "SHARED", "community", "community_review_meeting", world.community)
    event = CaseEvent.objects.get(case=case, action="retriage")
    assert (event.from_status, event.to_status, event.note) == ("triaged", "triaged", "涉及整栋楼的公共部位，属共事")
    assert event.public_note == "重新分拣为「共事」，改交东门社区·社区评议会"
    assert {k: event.data[k] for k in ("from_kind", "kind", "from_level", "level", "from_org", "org")} == {
        "from_kind": "HOUSEHOLD", "kind": "SHARED", "from_level": "grid", "level": "community",
        "from_org": "T1C1-G01", "org": "T1C1"}
    audit_seal_all()
    assert AuditEntry.objects.filter(event="case.retriage", role="operator", node="T1").count() == 1
    # the community's deadline runs from the re-routing: S5, 15 working days from Tuesday
    assert _due_day(case) == "2026-12-08"
    # the community secretary now convenes it; the grid leader no longer may
    def offered(user) -> list[str]:
        return client.get(f"/api/v1/cases/{case.pk}", **token_for(user)).json()["allowed_actions"]

    assert "deliberate" in offered(world.secretary) and "deliberate" not in offered(world.grid_leader)


def test_a_reason_is_required_and_a_route_that_changes_nothing_is_refused(world, client, token_for):
    case = _triaged(world)
    headers = token_for(world.operator)
    no_reason = act(client, headers, case.pk, action="retriage", kind="SHARED", catalogue_code="S5", reason=" ")
    assert no_reason.status_code == 400 and no_reason.json()["errors"]["reason"] == "重新分拣需要填写理由"
    same = act(client, headers, case.pk, action="retriage", kind="HOUSEHOLD", catalogue_code="H2", reason="复核")
    assert same.status_code == 400 and "都没有改变" in same.json()["errors"]["kind"]
    mismatch = act(client, headers, case.pk, action="retriage", kind="PUBLIC", catalogue_code="S5", reason="复核")
    assert mismatch.status_code == 400 and "catalogue_code" in mismatch.json()["errors"]
    assert not CaseEvent.objects.filter(case=case, action="retriage").exists()
    assert Case.objects.get(pk=case.pk).kind == "HOUSEHOLD"


def test_another_grid_of_the_street_is_a_re_routing_too(world, client, token_for):
    case = _triaged(world)
    response = act(client, token_for(world.operator), case.pk, action="retriage", kind="HOUSEHOLD",
                   catalogue_code="H2", grid="T1C2-G01", reason="地址核实在艾坪村一组")
    assert response.status_code == 200, response.content
    case.refresh_from_db()
    assert (case.grid, case.org, case.level) == (world.sibling_grid, world.sibling_grid, "grid")
    assert CaseEvent.objects.get(case=case, action="retriage").data["from_grid"] == "T1C1-G01"


def test_only_the_command_centre_of_the_street_re_routes_and_only_before_a_body_takes_it_up(world, client, token_for):
    case = _triaged(world)
    body = {"action": "retriage", "kind": "SHARED", "catalogue_code": "S5", "reason": "属共事"}
    assert act(client, token_for(world.grid_worker), case.pk, **body).status_code == 403
    assert act(client, token_for(world.secretary), case.pk, **body).status_code == 403
    assert act(client, token_for(world.other_operator), case.pk, **body).status_code == 404
    assert act(client, token_for(world.street_officer), case.pk, **body).status_code == 200
    Case.objects.filter(pk=case.pk).update(status="deliberating")
    refused = act(client, token_for(world.operator), case.pk, **{**body, "kind": "HOUSEHOLD", "catalogue_code": "H2"})
    assert refused.status_code == 409 and "议事中" in refused.json()["detail"]
    assert CaseEvent.objects.filter(case=case, action="retriage").count() == 1


def test_a_public_matter_leaves_the_ledger_when_re_routed_and_a_new_one_goes_on_it(world, client, token_for):
    public = _triaged(world, kind="PUBLIC", code="P5")
    assert LedgerEntry.objects.get(case=public).closed_at is None
    headers = token_for(world.operator)
    with time_machine.travel(TUESDAY, tick=False):
        act(client, headers, public.pk, action="retriage", kind="SHARED", catalogue_code="S5", reason="小区内部道路，属共事")
        household = _triaged(world)
    assert LedgerEntry.objects.get(case=public).closed_at == TUESDAY  # off the street's ledger
    with time_machine.travel(TUESDAY, tick=False):
        act(client, headers, household.pk, action="retriage", kind="PUBLIC", catalogue_code="P5", reason="市政道路，属公事")
    entry = LedgerEntry.objects.get(case=household)
    assert entry.closed_at is None and entry.street == world.street and entry.deadline_days == 7


def test_the_case_page_offers_the_re_routing_form_and_says_what_happened(world, client):
    case = _triaged(world)
    client.force_login(world.operator)
    page = client.get(f"/staff/cases/{case.pk}/").content.decode()
    assert 'id="action-retriage"' in page and "重新分拣的理由（必填）" in page
    # re-routing is a correction, not the operator's next step: the page still says who takes the case on
    assert "这一步由鼎城花园网格·网格邻里会的经办人员办理" in page and '<details class="action"  id="action-retriage"' in page
    refused = client.post(f"/staff/cases/{case.pk}/", {"action": "retriage", "kind": "SHARED", "catalogue_code": "S5"})
    assert refused.status_code == 400 and "重新分拣需要填写理由" in refused.content.decode()
    done = client.post(f"/staff/cases/{case.pk}/", {"action": "retriage", "kind": "SHARED", "catalogue_code": "S5",
                                                     "reason": "属共事"}, follow=True)
    html = done.content.decode()
    assert "已完成：重新分拣" in html and "重新分拣为「共事」，改交东门社区·社区评议会" in html
    client.force_login(world.grid_worker)
    assert 'id="action-retriage"' not in client.get(f"/staff/cases/{case.pk}/").content.decode()
