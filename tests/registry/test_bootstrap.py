"""`sanshi bootstrap_security_admin`: the first security administrator of a production database."""

import io

import pytest
from django.core.management import CommandError, call_command

from sanshi.accounts.models import User
from sanshi.audit.models import AuditEntry
from sanshi.registry.models import Role, StaffRole

FIRST = "Anquan-Guanli-2027!"


def _run(**options) -> str:
    out = io.StringIO()
    call_command("bootstrap_security_admin", stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def district(db):
    from sanshi.registry.services import node_create

    return node_create(code="D", name="江津区", level="district")


def test_it_creates_the_first_security_administrator_at_the_root(district, client, monkeypatch):
    monkeypatch.setenv("SANSHI_BOOTSTRAP_PASSWORD", FIRST)
    out = _run(username="anquan", display_name="安全管理员甲")
    role = StaffRole.objects.get(user__username="anquan")
    assert (role.role, role.node, role.active) == (Role.SECURITY_ADMIN, district, True)
    assert "下一步" in out and "/staff/roles/" in out and FIRST not in out
    audit = AuditEntry.objects.get(event="role.bootstrap")
    assert (audit.obj_type, audit.obj_id, audit.node) == ("staff_role", str(role.pk), "D")
    assert client.login(username="anquan", password=FIRST)
    assert client.get("/staff/roles/").status_code == 200  # and may open the roles pages at once


def test_it_is_refused_while_a_security_administrator_is_in_post(district, monkeypatch):
    monkeypatch.setenv("SANSHI_BOOTSTRAP_PASSWORD", FIRST)
    _run(username="anquan")
    with pytest.raises(CommandError, match="已有在岗的安全管理员"):
        _run(username="another")
    assert not User.objects.filter(username="another").exists()
    assert AuditEntry.objects.filter(event="role.bootstrap").count() == 1


def test_the_password_is_asked_for_when_not_in_the_environment(district, monkeypatch):
    monkeypatch.delenv("SANSHI_BOOTSTRAP_PASSWORD", raising=False)
    answers = iter([FIRST, FIRST])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    _run(username="anquan")
    assert User.objects.get(username="anquan").check_password(FIRST)

    StaffRole.objects.all().delete()
    answers = iter([FIRST, "something-else"])
    with pytest.raises(CommandError, match="不一致"):
        _run(username="anquan2")
    assert not User.objects.filter(username="anquan2").exists()


def test_a_weak_password_creates_nothing(district, monkeypatch):
    monkeypatch.setenv("SANSHI_BOOTSTRAP_PASSWORD", "anquan-guanli")  # two character classes: not for staff
    with pytest.raises(CommandError, match="密码"):
        _run(username="anquan")
    assert not User.objects.filter(username="anquan").exists() and not StaffRole.objects.exists()


def test_the_password_is_never_a_command_line_argument(district):
    with pytest.raises(CommandError):
        call_command("bootstrap_security_admin", "--username", "anquan", "--password", FIRST)
    assert not User.objects.filter(username="anquan").exists()
