"""Roles in the API (/api/v1/roles): the security administrator lists, grants and revokes the roles
of their subtree; everyone else is refused; 三员 and one's own account are guarded."""

import pytest

from sanshi.accounts.models import User
from sanshi.audit.models import AuditEntry
from sanshi.registry.models import Role, StaffRole

from ..conftest import PASSWORD


def _grant(client, headers, **body):
    return client.post("/api/v1/roles", body, content_type="application/json", **headers)


def test_the_list_holds_the_roles_of_the_administrators_subtree_only(admins, client, token_for):
    listed = client.get("/api/v1/roles?limit=500", **token_for(admins.street_secadmin))
    assert listed.status_code == 200
    users = {r["user"] for r in listed.json()}
    assert {"operator", "street", "secretary", "gridworker", "sibling-worker", "secadmin-t1"} <= users
    assert not users & {"other-operator", "liaison-zj", "district", "secadmin"}  # street T2, the district

    district = {r["user"] for r in client.get("/api/v1/roles?limit=500", **token_for(admins.secadmin)).json()}
    assert {"other-operator", "liaison-zj", "operator"} <= district

    only = client.get("/api/v1/roles?node=T1C1&role=grid_worker", **token_for(admins.secadmin)).json()
    assert [(r["user"], r["node"], r["role_label"]) for r in only] == [("gridworker", "T1C1-G01", "网格员")]


def test_a_grant_answers_201_with_the_role_and_an_audit_row(admins, client, token_for):
    response = _grant(client, token_for(admins.street_secadmin), user="gridworker", role="grid_leader",
                      node="T1C1-G01")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["user"], body["role"], body["node"], body["active"]) == ("gridworker", "grid_leader", "T1C1-G01", True)
    role = StaffRole.objects.get(pk=body["id"])
    assert role.user == admins.grid_worker and role.active
    audit = AuditEntry.objects.get(event="role.grant", obj_type="staff_role", obj_id=str(role.pk))
    assert (audit.actor_username, audit.role, audit.node) == ("secadmin-t1", "security_admin", "T1")


def test_a_department_liaison_needs_its_department(admins, client, token_for):
    headers = token_for(admins.secadmin)
    response = _grant(client, headers, user="street", role="department_liaison", node="T")
    assert response.status_code == 400 and "department" in response.json()["errors"]
    response = _grant(client, headers, user="street", role="department_liaison", node="T", department="CG")
    assert response.status_code == 201 and response.json()["department"] == "CG"


@pytest.mark.parametrize("body,field", [
    ({"user": "nobody", "role": "grid_worker", "node": "T1C1-G01"}, "user"),
    ({"user": "gridworker", "role": "mayor", "node": "T1C1-G01"}, "role"),
    ({"user": "gridworker", "role": "grid_worker", "node": "T1C1-G01", "department": "ZJ"}, "department"),
])
def test_bad_input_answers_400_with_the_field(admins, client, token_for, body, field):
    before = StaffRole.objects.count()
    response = _grant(client, token_for(admins.secadmin), **body)
    assert response.status_code == 400 and field in response.json()["errors"], response.content
    assert StaffRole.objects.count() == before


def test_a_revocation_answers_204_and_keeps_the_row_inactive(admins, client, token_for):
    headers = token_for(admins.street_secadmin)
    role = StaffRole.objects.get(user=admins.grid_worker)
    response = client.delete(f"/api/v1/roles/{role.pk}", **headers)
    assert response.status_code == 204 and response.content == b""
    role.refresh_from_db()
    assert not role.active
    assert AuditEntry.objects.filter(event="role.revoke", actor_username="secadmin-t1", obj_id=str(role.pk)).exists()
    revoked = client.get("/api/v1/roles?active=false", **headers).json()
    assert [(r["id"], r["active"]) for r in revoked] == [(role.pk, False)]
    assert client.get("/api/v1/cases", **token_for(admins.grid_worker)).json() == []  # the scope went with it


@pytest.mark.parametrize("held,wanted", [(Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN), (Role.AUDIT_ADMIN, Role.SYSTEM_ADMIN),
                                         (Role.SECURITY_ADMIN, Role.AUDIT_ADMIN)])
def test_a_second_administrator_role_on_one_account_is_a_conflict(admins, client, token_for, held, wanted):
    user = admins.staff("newbie", held, admins.district)
    response = _grant(client, token_for(admins.secadmin), user="newbie", role=wanted, node="T")
    assert response.status_code == 409, response.content
    assert "三员" in response.json()["errors"]["role"]
    assert set(StaffRole.objects.filter(user=user).values_list("role", flat=True)) == {held}


def test_nobody_grants_or_revokes_a_role_of_their_own_account(admins, client, token_for):
    headers = token_for(admins.secadmin)
    response = _grant(client, headers, user="secadmin", role="grid_worker", node="T1C1-G01")
    assert response.status_code == 403 and "自己" in response.json()["detail"]
    assert not StaffRole.objects.filter(user=admins.secadmin, role="grid_worker").exists()
    own = StaffRole.objects.get(user=admins.secadmin)
    assert client.delete(f"/api/v1/roles/{own.pk}", **headers).status_code == 403
    own.refresh_from_db()
    assert own.active
    # another security administrator may
    assert client.delete(f"/api/v1/roles/{own.pk}", **token_for(admins.staff("secadmin-2", Role.SECURITY_ADMIN,
                                                                                   admins.district))).status_code == 204


@pytest.mark.parametrize("who", ["operator", "street_officer", "sysadmin", "auditadmin"])
def test_anyone_but_a_security_administrator_is_refused(admins, client, token_for, who):
    if who in ("sysadmin", "auditadmin"):
        setattr(admins, who, admins.staff(who, Role.SYSTEM_ADMIN if who == "sysadmin" else Role.AUDIT_ADMIN,
                                          admins.district))
    headers = token_for(getattr(admins, who))
    role = StaffRole.objects.get(user=admins.grid_worker)
    assert client.get("/api/v1/roles", **headers).status_code == 403
    assert _grant(client, headers, user="gridworker", role="grid_leader", node="T1C1-G01").status_code == 403
    assert client.delete(f"/api/v1/roles/{role.pk}", **headers).status_code == 403
    assert client.get(f"/api/v1/roles/{role.pk}/handover", **headers).status_code == 403
    role.refresh_from_db()
    assert role.active and not StaffRole.objects.filter(role="grid_leader", user=admins.grid_worker).exists()


def test_a_node_or_role_outside_the_subtree_is_not_found(admins, client, token_for):
    headers = token_for(admins.street_secadmin)
    response = _grant(client, headers, user="gridworker", role="operator", node="T2")
    assert response.status_code == 404
    assert _grant(client, headers, user="gridworker", role="operator", node="NOWHERE").status_code == 404
    assert client.get("/api/v1/roles?node=T2", **headers).status_code == 404
    other = StaffRole.objects.get(user=admins.other_operator)
    assert client.delete(f"/api/v1/roles/{other.pk}", **headers).status_code == 404
    assert client.get(f"/api/v1/roles/{other.pk}/handover", **headers).status_code == 404
    other.refresh_from_db()
    assert other.active and not StaffRole.objects.filter(user=admins.grid_worker, role="operator").exists()


def test_a_granted_role_works_at_once(admins, client, token_for):
    """Given a new account with a password, when granted street officer of T1, it sees the street's
    cases through the API without signing in again."""
    User.objects.create_user(username="newcomer", password=PASSWORD)
    _grant(client, token_for(admins.street_secadmin), user="newcomer", role="street_officer", node="T1")
    assert client.get("/api/v1/cases", **token_for(User.objects.get(username="newcomer"))).status_code == 200
    assert "newcomer" in {r["user"] for r in client.get("/api/v1/roles?role=street_officer",
                                                          **token_for(admins.secadmin)).json()}


def test_a_role_is_granted_only_at_its_level_of_the_tree(world, client, token_for, admins):
    from sanshi.accounts.models import User
    from sanshi.registry.models import StaffRole

    newcomer = User.objects.create_user(username="newcomer", password="Test-pass-2026")
    response = client.post("/api/v1/roles", {"user": "newcomer", "role": "grid_worker", "node": "T1"},
                           content_type="application/json", **token_for(admins.secadmin))
    assert response.status_code == 400 and "node" in response.json()["errors"]
    assert not StaffRole.objects.filter(user=newcomer).exists()
    response = client.post("/api/v1/roles", {"user": "newcomer", "role": "grid_worker", "node": "T1C1-G01"},
                           content_type="application/json", **token_for(admins.secadmin))
    assert response.status_code == 201
