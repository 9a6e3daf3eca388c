"""A shared matter across meetings (J3: 15 grid neighbour meetings, then the community review
meeting): the community asks its grids for opinions; each grid meeting records one; the case does
not move until the community decides; the case page shows each meeting."""

from sanshi.cases.models import Case, CaseEvent
from sanshi.core.models import Notification
from sanshi.deliberation.models import AgendaItem, Consultation
from sanshi.intake.models import Request
from sanshi.registry.models import Level, Role
from sanshi.registry.services import node_create

from ..helpers import act, meeting, moves, submit


def _shared(client, token_for, world) -> tuple[Case, str]:
    body = submit(client, text="小区想把闲置绿地改成停车位，物业和业主意见不一，需要大家商量。", grid="T1C1-G01",
                  channel="web").json()
    case_id = Request.objects.get(tracking_code=body["tracking_code"]).case_id
    assert act(client, token_for(world.operator), case_id, action="triage", kind="SHARED",
               catalogue_code="S2", reason="按责任清单核定").status_code == 200
    return Case.objects.get(pk=case_id), body["tracking_code"]


def test_grid_meetings_give_opinions_then_the_community_decides(world, client, token_for):
    second_grid = node_create(code="T1C1-G02", name="东门二网格", level=Level.GRID, parent=world.community)
    leader2 = world.staff("gridleader-2", Role.GRID_LEADER, second_grid)
    case, code = _shared(client, token_for, world)
    # the second grid's leader does not see a matter reported in another grid …
    assert client.get(f"/api/v1/cases/{case.pk}", **token_for(leader2)).status_code == 404

    # … until the community secretary asks both grids for their opinion
    sec = token_for(world.secretary)
    assert "consult" in client.get(f"/api/v1/cases/{case.pk}", **sec).json()["allowed_actions"]
    r = act(client, sec, case.pk, action="consult", grids=["T1C1-G01", "T1C1-G02"])
    assert r.status_code == 200 and r.json()["status"] == "triaged"
    assert set(Consultation.objects.filter(case=case).values_list("grid__code", flat=True)) == {"T1C1-G01", "T1C1-G02"}
    assert Notification.objects.filter(recipient=leader2, kind="consultation").count() == 1
    headers2 = token_for(leader2)
    assert client.get(f"/api/v1/cases/{case.pk}", **headers2).status_code == 200
    assert client.get(f"/api/v1/cases/{case.pk}", **token_for(world.sibling_worker)).status_code == 404
    # asking the same grid again adds nobody
    act(client, sec, case.pk, action="consult", grids=["T1C1-G02"])
    assert Consultation.objects.filter(case=case).count() == 2

    # the second grid's neighbour meeting takes it up: the case does not move
    m = meeting(client, headers2, org="T1C1-G02", body="grid_neighbour_meeting", cases=[case.pk],
                roles=("grid_leader", "resident_rep"))
    assert AgendaItem.objects.get(meeting_id=m).purpose == "opinion"
    assert Case.objects.get(pk=case.pk).status == "triaged"
    # a grid meeting gives an opinion; it cannot decide the shared matter
    refused = act(client, headers2, case.pk, action="resolve", meeting=m, resolution="改停车位")
    assert refused.status_code in (403, 409)
    r = act(client, headers2, case.pk, action="give_opinion", meeting=m, opinion="多数居民同意改建，保留一半绿地",
            votes_for=18, votes_against=3)
    assert r.status_code == 200 and r.json()["status"] == "triaged"
    again = act(client, headers2, case.pk, action="give_opinion", meeting=m, opinion="再提一次")
    assert again.status_code == 409
    opinion = CaseEvent.objects.get(case=case, action="opinion")
    assert opinion.data["grid"] == "T1C1-G02" and "保留一半绿地" in opinion.public_note

    # the community review meeting decides it
    m2 = meeting(client, sec, org="T1C1", body="community_review_meeting", cases=[case.pk],
                 roles=("community_secretary", "resident_rep", "property_rep"))
    act(client, sec, case.pk, action="resolve", meeting=m2, resolution="改建一半绿地为停车位，提请业主共同决定")
    assert moves(case.pk) == ["open", "triage", "deliberate", "resolve"]
    # the first grid, asked but too late, can no longer give an opinion
    late = meeting(client, token_for(world.grid_leader), org="T1C1-G01", body="grid_neighbour_meeting", cases=[],
                   roles=("grid_leader",))
    assert act(client, token_for(world.grid_leader), case.pk, action="deliberate", meeting=late).status_code == 409

    # residents see the grid's opinion on the tracking page; staff see each meeting on the case page
    tracked = client.get(f"/api/v1/track/{code}").json()
    assert any("保留一半绿地" in e["note"] for e in tracked["timeline"])
    client.force_login(world.secretary)
    page = client.get(f"/staff/cases/{case.pk}/").content.decode()
    assert 'id="meetings-of-case"' in page and "意见：多数居民同意改建" in page and "议定：改建一半绿地" in page


def test_only_the_communitys_convener_asks_and_only_its_own_grids(world, client, token_for):
    case, _ = _shared(client, token_for, world)
    assert act(client, token_for(world.grid_leader), case.pk, action="consult",
               grids=["T1C1-G01"]).status_code == 403
    outside = act(client, token_for(world.secretary), case.pk, action="consult", grids=["T1C2-G01"])
    assert outside.status_code == 400 and "T1C2-G01" in outside.json()["errors"]["grids"]
    empty = act(client, token_for(world.secretary), case.pk, action="consult", grids=[])
    assert empty.status_code == 400 and "grids" in empty.json()["errors"]
    assert not Consultation.objects.exists() and not CaseEvent.objects.filter(action="consulted").exists()


def test_the_case_page_offers_the_grids_to_ask(world, client, token_for):
    case, _ = _shared(client, token_for, world)
    client.force_login(world.secretary)
    page = client.get(f"/staff/cases/{case.pk}/").content.decode()
    assert 'id="action-consult"' in page and 'value="T1C1-G01"' in page
    response = client.post(f"/staff/cases/{case.pk}/", {"action": "consult", "grids": ["T1C1-G01"]})
    assert response.status_code == 302
    page = client.get(f"/staff/cases/{case.pk}/").content.decode()
    assert "已征求鼎城花园网格意见，待网格邻里会讨论" in page
