"""Handing over: revoking a role lists the open items it had claimed — a street leader's ledger
entries, a grid leader's meetings not yet held and the grid's open visits — on the confirmation page
and in GET /api/v1/roles/{id}/handover; a ledger entry or a meeting is handed to a colleague in one
step, written on the case timeline and in the audit trail."""

from datetime import timedelta

from django.utils import timezone

from sanshi.audit.models import AuditEntry
from sanshi.cases.models import Case
from sanshi.cases.services import case_triage
from sanshi.core.models import Notification
from sanshi.deliberation.models import Meeting
from sanshi.intake.services import RequestInput, request_submit
from sanshi.registry.models import Role, StaffRole
from sanshi.registry.services import staff_role_grant
from sanshi.supervision.models import FollowUpVisit, LedgerEntry
from sanshi.supervision.services import ledger_claim


def _claimed_ledger_entry(world) -> LedgerEntry:
    """Given a public matter of street T1 on its ledger, claimed by the street officer."""
    case = request_submit(actor=None, data=RequestInput(text="背街小巷路面破损，下雨积水", grid_code="T1C1-G01")).case
    case_triage(actor=world.operator, case=case, kind="PUBLIC", catalogue_code="P5", reason="复核")
    entry = Case.objects.get(pk=case.pk).ledger_entry
    ledger_claim(actor=world.street_officer, entry=entry)
    return LedgerEntry.objects.select_related("case").get(pk=entry.pk)


def _meeting(world, *, held=False) -> Meeting:
    when = timezone.now() + timedelta(days=3)
    return Meeting.objects.create(body="grid_neighbour_meeting", level="grid", org=world.grid,
                                  title="鼎城花园网格邻里会" + ("（已开）" if held else ""), convener=world.grid_leader,
                                  scheduled_at=when, held_at=timezone.now() if held else None)


def test_a_street_officers_claimed_ledger_entry_is_listed_and_handed_over(admins, client, token_for):
    entry = _claimed_ledger_entry(admins)
    successor = admins.staff("street-2", Role.STREET_OFFICER, admins.street)
    role = StaffRole.objects.get(user=admins.street_officer)

    items = client.get(f"/api/v1/roles/{role.pk}/handover", **token_for(admins.street_secadmin)).json()
    assert [(i["kind"], i["id"], i["url"]) for i in items] == [("ledger_entry", entry.pk, f"/staff/ledger/{entry.pk}/")]
    assert entry.case.number in items[0]["label"] and items[0]["candidates"] == [{"username": "street-2",
                                                                                   "name": "street-2"}]

    client.force_login(admins.street_secadmin)
    page = client.get(f"/staff/roles/{role.pk}/revoke/").content.decode()
    assert "待移交事项" in page and entry.case.number in page and "移交给" in page
    response = client.post(f"/staff/roles/{role.pk}/revoke/", {"op": "reassign", "kind": "ledger_entry",
                                                               "item": entry.pk, "to": "street-2"})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.claimed_by == successor and entry.closed_at is None
    event = entry.case.events.filter(action="ledger_claim").order_by("-id").first()
    assert event.data["handed_over"] is True and event.data["to"] == successor.pk and event.actor == admins.street_secadmin
    assert AuditEntry.objects.filter(event="ledger.reassign", actor_username="secadmin-t1",
                                     obj_id=str(entry.case_id)).exists()
    assert Notification.objects.filter(recipient=successor, kind="ledger_handover").exists()
    assert "没有待移交的事项" in client.get(f"/staff/roles/{role.pk}/revoke/").content.decode()

    client.post(f"/staff/roles/{role.pk}/revoke/", {"op": "revoke"})
    role.refresh_from_db()
    assert not role.active


def test_a_grid_leaders_unheld_meeting_and_open_visits_are_listed_after_the_revocation(admins, client, token_for):
    meeting, held = _meeting(admins), _meeting(admins, held=True)
    case = request_submit(actor=None, data=RequestInput(text="邻居装修噪音扰民", grid_code="T1C1-G01")).case
    visit = FollowUpVisit.objects.create(case=case, grid=admins.grid, created_at=timezone.now(),
                                         due_at=timezone.now() + timedelta(days=3))
    role = StaffRole.objects.get(user=admins.grid_leader)
    headers = token_for(admins.street_secadmin)
    assert client.delete(f"/api/v1/roles/{role.pk}", **headers).status_code == 204

    items = client.get(f"/api/v1/roles/{role.pk}/handover", **headers).json()
    assert sorted((i["kind"], i["id"]) for i in items) == [("follow_up_visit", visit.pk), ("meeting", meeting.pk)]
    assert held.pk not in {i["id"] for i in items if i["kind"] == "meeting"}
    by_kind = {i["kind"]: i for i in items}
    assert by_kind["meeting"]["candidates"] == [] and "请先分配岗位" in by_kind["meeting"]["note"]
    assert by_kind["follow_up_visit"]["candidates"] == [] and "分配新的网格长" in by_kind["follow_up_visit"]["note"]

    # when a new grid leader is granted, the meeting is handed to them on the page
    staff_role_grant(actor=admins.street_secadmin, user=admins.grid_worker, node=admins.grid, role=Role.GRID_LEADER)
    client.force_login(admins.street_secadmin)
    page = client.get(f"/staff/roles/{role.pk}/revoke/").content.decode()
    assert "鼎城花园网格邻里会" in page and "已收回的岗位" in page and "其他网格长（gridworker）" in page
    response = client.post(f"/staff/roles/{role.pk}/revoke/", {"op": "reassign", "kind": "meeting",
                                                               "item": meeting.pk, "to": "gridworker"})
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.convener == admins.grid_worker
    assert AuditEntry.objects.filter(event="meeting.reassign", actor_username="secadmin-t1",
                                     obj_id=str(meeting.pk)).exists()
    assert Notification.objects.filter(recipient=admins.grid_worker, kind="meeting_handover").exists()


def test_an_item_goes_only_to_someone_who_can_take_it(admins, client):
    entry = _claimed_ledger_entry(admins)
    role = StaffRole.objects.get(user=admins.street_officer)
    client.force_login(admins.street_secadmin)
    response = client.post(f"/staff/roles/{role.pk}/revoke/", {"op": "reassign", "kind": "ledger_entry",
                                                               "item": entry.pk, "to": "gridworker"})
    assert response.status_code == 400 and "街道领导" in response.content.decode()
    entry.refresh_from_db()
    assert entry.claimed_by == admins.street_officer
    # an item that is not one of this role's open items is not found
    other = StaffRole.objects.get(user=admins.operator)
    response = client.post(f"/staff/roles/{other.pk}/revoke/", {"op": "reassign", "kind": "ledger_entry",
                                                                "item": entry.pk, "to": "street"})
    assert response.status_code == 404
    assert not AuditEntry.objects.filter(event="ledger.reassign").exists()
