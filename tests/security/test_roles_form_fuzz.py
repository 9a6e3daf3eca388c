"""Hypothesis over the security administrator's forms (issue 18: "the page forms are fuzzed"): the
roles list's filters, a new account, a grant and a revocation with its hand-over. Odd text, NULs,
unknown codes and numbers: never a 5xx, and never a role or an account made from input the forms
refuse (one of the three administrator roles on an account that holds another, say)."""

from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from sanshi.accounts.models import User
from sanshi.registry.models import Role, StaffRole

from ..web.test_form_fuzz import FUZZ, ODD_TEXT, WITH_NUL, assert_no_server_error, nul_if, one_odd

ROLES = st.one_of(st.sampled_from([r.value for r in Role]), ODD_TEXT)
NODES = st.one_of(st.sampled_from(["T", "T1", "T1C1", "T1C1-G01", "T2", "T2C1-G01", "", "t1"]), ODD_TEXT)
DEPARTMENTS = st.one_of(st.sampled_from(["ZJ", "CG", "", "zj"]), ODD_TEXT)


def _secadmin_browser(world) -> Client:
    world.secadmin = world.staff("secadmin", Role.SECURITY_ADMIN, world.district)
    browser = Client(raise_request_exception=False)
    browser.force_login(world.secadmin)
    return browser


def test_the_roles_list_filters(world):
    browser = _secadmin_browser(world)

    @given(node=NODES, role=ROLES, active=st.one_of(st.sampled_from(["", "1", "0", "all"]), ODD_TEXT),
           page=st.one_of(st.sampled_from(["", "1", "2", "-1", "999999999999999999999", "last"]), ODD_TEXT),
           with_nul=WITH_NUL)
    @FUZZ
    def check(node, role, active, page, with_nul):
        response = browser.get("/staff/roles/", {"node": nul_if(with_nul, node), "role": role, "active": active,
                                                 "page": page})
        assert_no_server_error(response, node[:30], role[:30], active[:30], page[:30])

    check()


def test_a_new_account_and_a_grant(world):
    browser = _secadmin_browser(world)
    before = set(User.objects.values_list("pk", flat=True))

    @given(form=one_odd({"username": "zhang.wei", "display_name": "张伟"}), with_nul=WITH_NUL)
    @FUZZ
    def new_account(form, with_nul):
        response = browser.post("/staff/roles/accounts/new/", {**form, "display_name": nul_if(with_nul,
                                                                                             form["display_name"])})
        assert_no_server_error(response, form)

    new_account()
    username = User._meta.get_field("username")
    for account in User.objects.exclude(pk__in=before):  # what the page made keeps the model's rules
        username.run_validators(account.username)
        assert account.username and not account.has_usable_password()  # the owner sets it by the link

    @given(user=st.one_of(st.sampled_from(["gridworker", "secadmin", "operator", "zhang.wei", ""]), ODD_TEXT),
           role=ROLES, node=NODES, department=DEPARTMENTS, with_nul=WITH_NUL)
    @FUZZ
    def grant(user, role, node, department, with_nul):
        response = browser.post("/staff/roles/grant/", {"user": nul_if(with_nul, user), "role": role, "node": node,
                                                        "department": department})
        assert_no_server_error(response, user[:30], role[:30], node[:30], department[:30])

    grant()
    three = [Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN]
    for user in User.objects.all():  # 三员分立 held whatever was posted
        assert StaffRole.objects.filter(user=user, role__in=three, active=True).values("role").distinct().count() <= 1
    assert not StaffRole.objects.filter(user=world.secadmin).exclude(role=Role.SECURITY_ADMIN).exists()


def test_a_revocation_and_its_hand_over(world):
    browser = _secadmin_browser(world)
    role = StaffRole.objects.get(user=world.grid_leader)

    @given(op=st.one_of(st.sampled_from(["revoke", "reassign", ""]), ODD_TEXT),
           kind=st.one_of(st.sampled_from(["ledger", "visit", "meeting", ""]), ODD_TEXT),
           item=st.one_of(st.sampled_from(["1", "0", "-1", "99999999999999999999"]), ODD_TEXT),
           to=st.one_of(st.sampled_from(["gridworker", "gridleader", "secadmin", ""]), ODD_TEXT),
           role_id=st.one_of(st.just(role.pk), st.integers(-1, 10 ** 12)), with_nul=WITH_NUL)
    @FUZZ
    def check(op, kind, item, to, role_id, with_nul):
        path = f"/staff/roles/{role_id}/revoke/" if role_id >= 0 else "/staff/roles/-1/revoke/"
        response = browser.post(path, {"op": nul_if(with_nul, op), "kind": kind, "item": item, "to": to})
        assert_no_server_error(response, op[:30], kind[:30], item[:30], to[:30], role_id)

    check()
