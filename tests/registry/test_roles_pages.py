"""The roles pages (/staff/roles/): a new colleague from account to sign-in, a grant and a
revocation with its confirmation, the filters, the refusals, and a fixed number of queries."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sanshi.accounts.models import User
from sanshi.audit.models import AuditEntry
from sanshi.registry.models import Role, StaffRole

NEW_PASSWORD = "Ping-an-2027!"


def _rows(response) -> str:
    """The list of roles on the page (not the filters above it)."""
    html = response.content.decode()
    return html.split('id="roles"')[1].split("</ul>")[0]


def _link(html: str) -> str:
    return re.search(r'id="activation-link" readonly value="http://testserver([^"]+)"', html).group(1)


def test_a_new_colleague_gets_an_account_a_role_and_sets_their_own_password(admins, client):
    client.force_login(admins.street_secadmin)
    page = client.post("/staff/roles/accounts/new/", {"username": "wang.fang", "display_name": "王芳"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "账号已创建" in html and "下一步" in html and "为该账号分配岗位" in html
    link = _link(html)
    account = User.objects.get(username="wang.fang")
    assert not account.has_usable_password()  # nobody knows its password yet

    response = client.post("/staff/roles/grant/", {"user": "wang.fang", "role": "grid_worker", "node": "T1C1-G01"})
    assert response.status_code == 302
    assert StaffRole.objects.filter(user=account, role="grid_worker", node=admins.grid, active=True).exists()
    assert "已为 王芳 分配岗位" in client.get(response["Location"]).content.decode()

    client.logout()
    opened = client.get(link)
    assert opened.status_code == 302 and opened["Location"].endswith("/set-password/")  # the token leaves the URL
    form = client.get(opened["Location"]).content.decode()
    assert "设置密码" in form
    weak = client.post(opened["Location"], {"new_password1": "wangfang2027", "new_password2": "wangfang2027"})
    assert weak.status_code == 200 and "至少3类" in weak.content.decode()  # a staff account: 3 character classes
    done = client.post(opened["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"] == "/accounts/login/"
    assert client.login(username="wang.fang", password=NEW_PASSWORD)
    assert "此激活链接无效" in client.get(link).content.decode()  # used once

    events = list(AuditEntry.objects.filter(obj_type__in=["user", "staff_role"]).order_by("seq")
                  .values_list("event", "actor_username"))
    assert [e for e in events if e[0] in ("account.create", "role.grant", "account.activate")] == [
        ("account.create", "secadmin-t1"), ("role.grant", "secadmin-t1"), ("account.activate", "wang.fang")]


def test_a_lost_activation_link_is_made_again(admins, client):
    client.force_login(admins.secadmin)
    client.post("/staff/roles/accounts/new/", {"username": "li.ming", "display_name": "李明"})
    account = User.objects.get(username="li.ming")
    client.post("/staff/roles/grant/", {"user": "li.ming", "role": "operator", "node": "T1"})
    listed = _rows(client.get("/staff/roles/", {"role": "operator"}))
    assert "未激活" in listed and "重新生成激活链接" in listed
    renewed = client.post(f"/staff/roles/accounts/{account.pk}/activation/")
    assert renewed.status_code == 200 and "新的激活链接" in renewed.content.decode()
    assert AuditEntry.objects.filter(event="account.activation_link", obj_id=str(account.pk)).exists()
    client.logout()
    assert client.get(_link(renewed.content.decode())).status_code == 302
    client.force_login(admins.secadmin)
    # an account that has set its password needs no link
    assert client.post(f"/staff/roles/accounts/{admins.operator.pk}/activation/").status_code == 302
    assert not AuditEntry.objects.filter(event="account.activation_link", obj_id=str(admins.operator.pk)).exists()


def test_a_taken_username_is_refused_on_the_form(admins, client):
    client.force_login(admins.secadmin)
    response = client.post("/staff/roles/accounts/new/", {"username": "operator", "display_name": "重名"})
    assert response.status_code == 400 and User.objects.filter(username="operator").count() == 1


def test_the_grant_form_says_what_is_wrong(admins, client):
    client.force_login(admins.secadmin)
    admins.staff("root-sys", Role.SYSTEM_ADMIN, admins.district)
    response = client.post("/staff/roles/grant/", {"user": "root-sys", "role": "audit_admin", "node": "T"})
    assert response.status_code == 400 and "三员分立" in response.content.decode()
    response = client.post("/staff/roles/grant/", {"user": "nobody", "role": "operator", "node": "T1"})
    assert response.status_code == 400 and "账号不存在" in response.content.decode()
    response = client.post("/staff/roles/grant/", {"user": "secadmin", "role": "operator", "node": "T1"})
    assert response.status_code == 400 and "自己" in response.content.decode()
    assert set(StaffRole.objects.filter(user__username__in=["root-sys", "secadmin"]).values_list("role", flat=True)) \
        == {"system_admin", "security_admin"}


def test_revoking_asks_first_then_keeps_the_row_inactive(admins, client):
    client.force_login(admins.street_secadmin)
    role = StaffRole.objects.get(user=admins.operator)
    page = client.get(f"/staff/roles/{role.pk}/revoke/").content.decode()
    assert "确认收回" in page and "没有待移交的事项" in page
    role.refresh_from_db()
    assert role.active  # opening the page changes nothing
    response = client.post(f"/staff/roles/{role.pk}/revoke/", {"op": "revoke"})
    assert response.status_code == 302
    role.refresh_from_db()
    assert not role.active
    assert AuditEntry.objects.filter(event="role.revoke", actor_username="secadmin-t1", obj_id=str(role.pk)).exists()
    listed = _rows(client.get("/staff/roles/", {"active": "0"}))
    assert ">operator<" in listed and "已收回" in listed
    assert ">operator<" not in _rows(client.get("/staff/roles/"))  # in post only, by default


def test_ones_own_role_cannot_be_revoked_on_the_page(admins, client):
    client.force_login(admins.street_secadmin)
    own = StaffRole.objects.get(user=admins.street_secadmin)
    page = client.get(f"/staff/roles/{own.pk}/revoke/").content.decode()
    assert "请由另一位安全管理员收回" in page and 'id="revoke-form"' not in page
    assert client.post(f"/staff/roles/{own.pk}/revoke/", {"op": "revoke"}).status_code == 403
    own.refresh_from_db()
    assert own.active


def test_the_list_is_the_street_administrators_subtree(admins, client):
    client.force_login(admins.street_secadmin)
    html = _rows(client.get("/staff/roles/"))
    assert "gridworker" in html and "sibling-worker" in html
    assert "other-operator" not in html and "liaison-zj" not in html
    other = StaffRole.objects.get(user=admins.other_operator)
    assert client.get(f"/staff/roles/{other.pk}/revoke/").status_code == 404
    assert client.post(f"/staff/roles/{other.pk}/revoke/", {"op": "revoke"}).status_code == 404
    other.refresh_from_db()
    assert other.active
    response = client.post("/staff/roles/grant/", {"user": "gridworker", "role": "operator", "node": "T2"})
    assert response.status_code == 400 and not StaffRole.objects.filter(user=admins.grid_worker, role="operator").exists()


def test_the_filters(admins, client):
    client.force_login(admins.secadmin)
    html = _rows(client.get("/staff/roles/", {"node": "T1C1", "role": "grid_worker", "active": "1"}))
    assert "gridworker" in html and "sibling-worker" not in html and "secretary" not in html
    html = _rows(client.get("/staff/roles/", {"node": "T2", "active": "all"}))
    assert "other-operator" in html and "gridworker" not in html


@pytest.mark.parametrize("who", ["operator", "street_officer", "sysadmin", "auditadmin"])
def test_the_pages_are_the_security_administrators_only(admins, client, who):
    if who in ("sysadmin", "auditadmin"):
        setattr(admins, who, admins.staff(who, Role.SYSTEM_ADMIN if who == "sysadmin" else Role.AUDIT_ADMIN,
                                          admins.district))
    client.force_login(getattr(admins, who))
    role = StaffRole.objects.get(user=admins.grid_worker)
    for url in ("/staff/roles/", "/staff/roles/grant/", "/staff/roles/accounts/new/", f"/staff/roles/{role.pk}/revoke/"):
        assert client.get(url).status_code == 403, url
    assert client.post("/staff/roles/grant/", {"user": "gridworker", "role": "grid_leader",
                                               "node": "T1C1-G01"}).status_code == 403
    assert client.post(f"/staff/roles/{role.pk}/revoke/", {"op": "revoke"}).status_code == 403
    assert client.post("/staff/roles/accounts/new/", {"username": "x1"}).status_code == 403
    assert client.post(f"/staff/roles/accounts/{admins.grid_worker.pk}/activation/").status_code == 403
    role.refresh_from_db()
    assert role.active and not User.objects.filter(username="x1").exists()
    assert AuditEntry.objects.filter(event="access.denied", actor_username=getattr(admins, who).username).exists()


def test_anonymous_visitors_are_sent_to_sign_in(db, client):
    response = client.get("/staff/roles/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_list_reads_a_fixed_number_of_queries(admins, client):
    client.force_login(admins.secadmin)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/staff/roles/", {"node": "T2C1"}).status_code == 200
        return len(ctx.captured_queries)

    def add(n: int) -> None:
        for i in range(n):
            admins.staff(f"q{StaffRole.objects.count()}-{i}", Role.GRID_WORKER, admins.other_grid)

    add(2)
    few = queries()
    add(18)
    assert StaffRole.objects.filter(node=admins.other_grid).count() == 20
    assert queries() == few


def test_the_list_comes_in_pages_of_fifty(admins, client):
    for i in range(55):
        admins.staff(f"page-{i:02d}", Role.GRID_WORKER, admins.other_grid)
    client.force_login(admins.secadmin)
    first = client.get("/staff/roles/", {"node": "T2C1-G01"})
    assert _rows(first).count("<li>") == 50 and "第 1 / 2 页" in first.content.decode()
    second = client.get("/staff/roles/", {"node": "T2C1-G01", "page": "2"})
    assert _rows(second).count("<li>") == 5 and "page-54" in _rows(second)
