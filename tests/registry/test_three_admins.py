"""三员分立: system, security and audit administrators are three accounts; only the security
administrator edits roles; only the audit administrator reads the audit trail."""

import pytest

from sanshi.accounts.models import User
from sanshi.audit.models import AuditEntry
from sanshi.core.errors import NotPermitted, ValidationFailed
from sanshi.registry.models import Role, StaffRole
from sanshi.registry.services import staff_role_grant, staff_role_revoke

from ..conftest import PASSWORD


@pytest.fixture
def admins(world):
    world.sysadmin = world.staff("sysadmin", Role.SYSTEM_ADMIN, world.district)
    world.secadmin = world.staff("secadmin", Role.SECURITY_ADMIN, world.district)
    world.auditadmin = world.staff("auditadmin", Role.AUDIT_ADMIN, world.district)
    return world


def test_the_three_roles_exist_with_chinese_labels():
    assert Role.SYSTEM_ADMIN.label == "系统管理员"
    assert Role.SECURITY_ADMIN.label == "安全管理员"
    assert Role.AUDIT_ADMIN.label == "审计管理员"


@pytest.mark.parametrize("held,wanted", [(Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN),
                                         (Role.SECURITY_ADMIN, Role.AUDIT_ADMIN),
                                         (Role.AUDIT_ADMIN, Role.SYSTEM_ADMIN)])
def test_one_account_never_holds_two_of_the_three(admins, held, wanted):
    user = User.objects.create_user(username="newbie", password=PASSWORD)
    staff_role_grant(actor=admins.secadmin, user=user, node=admins.district, role=held)
    with pytest.raises(ValidationFailed):
        staff_role_grant(actor=admins.secadmin, user=user, node=admins.street, role=wanted)
    assert set(StaffRole.objects.filter(user=user).values_list("role", flat=True)) == {held}


def test_a_revoked_admin_role_no_longer_blocks_another(admins):
    user = User.objects.create_user(username="newbie", password=PASSWORD)
    first = staff_role_grant(actor=admins.secadmin, user=user, node=admins.district, role=Role.SYSTEM_ADMIN)
    staff_role_revoke(actor=admins.secadmin, staff_role=first)
    staff_role_grant(actor=admins.secadmin, user=user, node=admins.district, role=Role.AUDIT_ADMIN)
    assert set(StaffRole.objects.filter(user=user, active=True).values_list("role", flat=True)) == {Role.AUDIT_ADMIN}


@pytest.mark.parametrize("who", ["sysadmin", "auditadmin", "operator", "street_officer"])
def test_only_the_security_admin_grants_or_revokes(admins, who):
    actor = getattr(admins, who)
    before = AuditEntry.objects.count()
    with pytest.raises(NotPermitted):
        staff_role_grant(actor=actor, user=admins.grid_worker, node=admins.grid, role=Role.GRID_LEADER)
    role = StaffRole.objects.get(user=admins.grid_worker)
    with pytest.raises(NotPermitted):
        staff_role_revoke(actor=actor, staff_role=role)
    role.refresh_from_db()
    assert role.active and not StaffRole.objects.filter(user=admins.grid_worker, role=Role.GRID_LEADER).exists()
    assert AuditEntry.objects.count() == before


def test_the_security_admin_grants_and_revokes_with_an_audit_row(admins):
    granted = staff_role_grant(actor=admins.secadmin, user=admins.grid_worker, node=admins.grid,
                               role=Role.GRID_LEADER)
    staff_role_revoke(actor=admins.secadmin, staff_role=granted)
    granted.refresh_from_db()
    assert not granted.active
    rows = AuditEntry.objects.filter(obj_type="staff_role", obj_id=str(granted.pk)).order_by("seq")
    assert [(r.event, r.actor_username, r.role) for r in rows] == [
        ("role.grant", "secadmin", "security_admin"), ("role.revoke", "secadmin", "security_admin")]


def test_a_security_admin_of_one_street_cannot_grant_in_another(admins):
    local = admins.staff("secadmin-t1", Role.SECURITY_ADMIN, admins.street)
    with pytest.raises(NotPermitted):
        staff_role_grant(actor=local, user=admins.other_operator, node=admins.other_street, role=Role.STREET_OFFICER)


@pytest.mark.parametrize("who,status", [("auditadmin", 200), ("sysadmin", 403), ("secadmin", 403),
                                        ("operator", 403), ("street_officer", 403)])
def test_only_the_audit_admin_reads_the_audit_page(admins, client, who, status):
    user = getattr(admins, who)
    client.force_login(user)
    response = client.get("/staff/audit/")
    assert response.status_code == status
    denied = AuditEntry.objects.filter(event="access.denied", actor_username=user.username, obj_type="audit_log")
    assert denied.exists() is (status == 403)


def test_the_audit_page_lists_rows_with_filters_and_is_read_only(admins, client):
    staff_role_grant(actor=admins.secadmin, user=admins.grid_worker, node=admins.grid, role=Role.GRID_LEADER)
    client.force_login(admins.auditadmin)
    html = client.get("/staff/audit/").content.decode()
    assert "role.grant" in html and "secadmin" in html
    html = client.get("/staff/audit/", {"event": "auth.login"}).content.decode()
    assert "role.grant" not in html.split("<tbody>")[1]
    html = client.get("/staff/audit/", {"actor": "secadmin", "since": "2000-01-01", "until": "bad"}).content.decode()
    assert "role.grant" in html.split("<tbody>")[1]
    assert client.post("/staff/audit/").status_code == 405


def test_anonymous_visitors_are_sent_to_sign_in(db, client):
    assert client.get("/staff/audit/").status_code == 302


@pytest.mark.parametrize("who,visible", [("superuser", True), ("sysadmin", False), ("auditadmin", False)])
def test_the_django_admin_shows_audit_rows_to_superusers_only(admins, client, who, visible):
    from django.contrib.auth.models import Permission

    if who == "superuser":
        user = User.objects.create_superuser(username="root", password=PASSWORD)
    else:
        user = getattr(admins, who)
        user.is_staff = True
        user.save()
        user.user_permissions.add(*Permission.objects.filter(codename="view_auditentry"))
    client.force_login(user)
    response = client.get("/admin/audit/auditentry/")
    assert (response.status_code == 200) is visible
    assert response.status_code in (200, 302, 403)
