"""A refused act on the case page answers as the API does: 403 with the message, and one
`access.denied` row in the audit trail (issue 18)."""

from django.utils import timezone

from sanshi.audit.models import AuditEntry
from sanshi.cases.models import Case
from sanshi.deliberation.models import Meeting
from sanshi.deliberation.services import ParticipantInput, meeting_schedule

from ..conftest import PASSWORD
from ..helpers import act, submit


def _public_case(world, client, token_for) -> Case:
    created = submit(client, text="滨江路市政道路坑洼严重，下雨天积水半米深", grid="T1C1-G01").json()
    case = Case.objects.get(requests__tracking_code=created["tracking_code"])
    act(client, token_for(world.operator), case.pk, action="triage", kind="PUBLIC", catalogue_code="P3", reason="核实")
    return case


def test_a_grid_workers_refused_whistle_on_the_case_page_is_a_403_and_audited(world, client, token_for):
    # given a public matter of the grid, which the grid's worker sees but may not whistle for
    case = _public_case(world, client, token_for)
    assert client.login(username=world.grid_worker.username, password=PASSWORD)
    assert client.get(f"/staff/cases/{case.pk}/").status_code == 200
    # when the worker posts the whistle form anyway
    response = client.post(f"/staff/cases/{case.pk}/", {"action": "whistle", "departments": ["ZJ"]})
    # then 403, the case page with the reason in Chinese, nothing summoned, and one refusal audited
    assert response.status_code == 403
    assert "您没有权限对该事项执行此操作" in response.content.decode()
    assert not case.whistle_calls.exists()
    denied = AuditEntry.objects.get(event="access.denied")
    assert (denied.actor_username, denied.obj_type, denied.obj_id) == (world.grid_worker.username, "case", str(case.pk))


def test_the_same_refusal_through_the_api_writes_the_same_row(world, client, token_for):
    case = _public_case(world, client, token_for)
    response = act(client, token_for(world.grid_worker), case.pk, action="whistle", departments=["ZJ"])
    assert response.status_code == 403
    denied = AuditEntry.objects.get(event="access.denied")
    assert (denied.actor_username, denied.obj_type, denied.obj_id) == (world.grid_worker.username, "case", str(case.pk))


def test_a_refusal_of_bad_input_stays_a_400_and_is_not_audited_as_a_denial(world, client, token_for):
    case = _public_case(world, client, token_for)
    assert client.login(username=world.operator.username, password=PASSWORD)
    response = client.post(f"/staff/cases/{case.pk}/", {"action": "no_such_action"})
    assert response.status_code == 400 and "未知的操作" in response.content.decode()
    assert not AuditEntry.objects.filter(event="access.denied").exists()


def _shared_case(world, client, token_for) -> Case:
    created = submit(client, text="小区停车位不够，停车费太贵", grid="T1C1-G01").json()
    case = Case.objects.get(requests__tracking_code=created["tracking_code"])
    act(client, token_for(world.operator), case.pk, action="triage", kind="SHARED", catalogue_code="S4")
    return case


def test_a_meeting_convened_by_one_who_may_not_is_refused_and_audited(world, client, token_for):
    """The meeting pages answer a refusal with the form again (or the page and a message): the same
    `access.denied` row as a 403 is written all the same."""
    case = _shared_case(world, client, token_for)
    assert client.login(username=world.grid_worker.username, password=PASSWORD)
    response = client.post("/staff/meetings/new/?org=T1C1&body=community_review_meeting", {
        "title": "评议会", "form": "meeting", "scheduled_at": "2026-11-25T19:00", "place": "社区活动室",
        "participants": "居民代表 孙丽", "cases": [str(case.pk)]})
    assert response.status_code == 400 and "您不能召集该议事会" in response.content.decode()
    assert not Meeting.objects.exists()
    denied = AuditEntry.objects.get(event="access.denied")
    assert (denied.actor_username, denied.obj_type) == (world.grid_worker.username, "meeting")


def test_minutes_written_by_one_who_may_not_are_refused_and_audited(world, client, token_for):
    case = _shared_case(world, client, token_for)
    meeting = meeting_schedule(actor=world.secretary, org=world.community, body="community_review_meeting",
                               title="十一月评议会", form="meeting", scheduled_at=timezone.now(), place="社区活动室",
                               participants=[ParticipantInput("community_secretary", "王芳"),
                                             ParticipantInput("resident_rep", "孙丽")], cases=[Case.objects.get(pk=case.pk)])
    assert client.login(username=world.operator.username, password=PASSWORD)
    assert client.get(f"/staff/meetings/{meeting.pk}/").status_code == 200  # the street's operator sees it
    response = client.post(f"/staff/meetings/{meeting.pk}/", {"op": "minutes", "minutes": "议定增划车位"}, follow=True)
    assert "只有召集人或该议事会的牵头人可以填写纪要" in response.content.decode()
    assert not Meeting.objects.get(pk=meeting.pk).minutes
    denied = AuditEntry.objects.get(event="access.denied")
    assert (denied.actor_username, denied.obj_type, denied.obj_id) == (world.operator.username, "meeting", str(meeting.pk))
