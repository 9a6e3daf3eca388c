"""The residents' affairs supervision committee follows a shared matter's resolution to done (B2,
专责监事): it sees the matter from the resolution on, records what it checked, and residents read it
on the tracking page."""

from sanshi.cases.models import Case, CaseEvent
from sanshi.intake.models import Request
from sanshi.registry.models import Role

from ..helpers import act, meeting, submit


def _resolved_shared(client, token_for, world) -> tuple[Case, str]:
    body = submit(client, text="小区电梯经常困人，业主希望动用维修资金更换电梯。", grid="T1C1-G01", channel="web").json()
    case_id = Request.objects.get(tracking_code=body["tracking_code"]).case_id
    act(client, token_for(world.operator), case_id, action="triage", kind="SHARED", catalogue_code="S1",
        reason="按责任清单核定")
    return Case.objects.get(pk=case_id), body["tracking_code"]


def test_the_committee_follows_a_shared_resolution_and_residents_read_it(world, client, token_for):
    case, code = _resolved_shared(client, token_for, world)
    committee = token_for(world.committee)
    assert client.get(f"/api/v1/cases/{case.pk}", **committee).status_code == 404  # nothing decided yet
    sec = token_for(world.secretary)
    m = meeting(client, sec, org="T1C1", body="community_review_meeting", cases=[case.pk],
                roles=("community_secretary", "property_rep"))
    act(client, sec, case.pk, action="resolve", meeting=m, resolution="启用维修资金更换电梯，12月底前完工")

    read = client.get(f"/api/v1/cases/{case.pk}", **committee)
    assert read.status_code == 200 and read.json()["allowed_actions"] == ["record_progress"]
    r = act(client, committee, case.pk, action="record_progress", note="已核对采购合同，施工队12月5日进场")
    assert r.status_code == 200 and r.json()["status"] == "handling"
    event = CaseEvent.objects.get(case=case, action="supervision_progress")
    assert event.actor == world.committee and event.from_status == event.to_status == "handling"
    tracked = client.get(f"/api/v1/track/{code}").json()
    assert any("居务监督委员会跟踪：已核对采购合同" in e["note"] for e in tracked["timeline"])

    # the handler does not record the committee's checks; an empty note is refused by field
    assert act(client, sec, case.pk, action="record_progress", note="自查").status_code == 403
    empty = act(client, committee, case.pk, action="record_progress", note="  ")
    assert empty.status_code == 400 and "note" in empty.json()["errors"]
    # the committee of another community does not see the matter
    other = world.staff("committee-2", Role.SUPERVISION_COMMITTEE, world.sibling_community)
    assert act(client, token_for(other), case.pk, action="record_progress", note="x").status_code == 404
    assert CaseEvent.objects.filter(case=case, action="supervision_progress").count() == 1


def test_the_case_page_offers_the_committee_its_form(world, client, token_for):
    case, _ = _resolved_shared(client, token_for, world)
    sec = token_for(world.secretary)
    m = meeting(client, sec, org="T1C1", body="community_review_meeting", cases=[case.pk],
                roles=("community_secretary", "property_rep"))
    act(client, sec, case.pk, action="resolve", meeting=m, resolution="启用维修资金更换电梯")
    client.force_login(world.committee)
    page = client.get(f"/staff/cases/{case.pk}/").content.decode()
    assert 'id="action-record_progress"' in page and "检查情况和进展" in page
    assert client.post(f"/staff/cases/{case.pk}/", {"action": "record_progress", "note": "电梯已拆除旧机"}).status_code == 302
    assert "居务监督委员会跟踪：电梯已拆除旧机" in client.get(f"/staff/cases/{case.pk}/").content.decode()
