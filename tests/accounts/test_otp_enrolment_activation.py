"""Binding an authenticator needs a one-time code the security administrator issues (issue 18,
item 3): anyone who held the password of an account not yet enrolled could bind their own phone,
and the second factor then protected the thief. The owner signs in with the password, types the
code the administrator gave in person or by phone, and only then sees the secret."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from sanshi.accounts.models import OtpEnrolmentActivation
from sanshi.audit.models import AuditEntry
from sanshi.registry.models import Role
from sanshi.registry.services import otp_enrolment_activation_issue

from ..conftest import PASSWORD

ASK = "请联系本单位的安全管理员"


@pytest.fixture
def clock():
    with time_machine.travel("2026-03-02 10:00:00 +0800", tick=False) as traveller:
        yield traveller


@pytest.fixture
def otp_world(world, settings):
    settings.SANSHI_REQUIRE_OTP = True
    world.secadmin = world.staff("secadmin", Role.SECURITY_ADMIN, world.district)
    return world


def signed_in_with_password(username: str) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": PASSWORD})
    assert response["Location"].startswith("/accounts/otp/enrol/")
    return client


def verified(user) -> Client:
    """Signed in with both factors (the administrators' own enrolment is not what is tested here)."""
    client = Client()
    client.force_login(user)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def issued_on_the_roles_page(world, account) -> str:
    admin = verified(world.secadmin)
    roles = admin.get("/staff/roles/").content.decode()
    assert f"/staff/roles/accounts/{account.pk}/otp-activation/" in roles  # the button on the account
    page = admin.post(f"/staff/roles/accounts/{account.pk}/otp-activation/")
    assert page.status_code == 200
    return page.context["code"]


def code_now(device: TOTPDevice) -> str:
    device.refresh_from_db()
    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token():06d}"


def test_a_password_alone_shows_no_secret_and_says_whom_to_ask(otp_world):
    thief = signed_in_with_password("operator")
    page = thief.get("/accounts/otp/enrol/")
    assert page.status_code == 200 and ASK in page.content.decode()
    assert "otpauth://" not in page.content.decode() and not TOTPDevice.objects.exists()
    # guessing is no way round it
    guess = thief.post("/accounts/otp/enrol/", {"code": "ABCD-EFGH-JKLM"})
    assert guess.status_code == 400 and not TOTPDevice.objects.exists()


def test_the_owner_binds_with_the_code_the_security_administrator_issued(otp_world, clock):
    code = issued_on_the_roles_page(otp_world, otp_world.operator)
    issued = AuditEntry.objects.get(event="otp.activation_issue")
    assert (issued.actor_username, issued.obj_type, issued.obj_id) == ("secadmin", "user", str(otp_world.operator.pk))
    assert code not in str(list(OtpEnrolmentActivation.objects.values()))  # only its hash is kept

    owner = signed_in_with_password("operator")
    asks = owner.get("/accounts/otp/enrol/").content.decode()
    assert "绑定码" in asks and "otpauth://" not in asks
    wrong = owner.post("/accounts/otp/enrol/", {"code": "ABCD-EFGH-JKLM"})
    assert wrong.status_code == 400 and "绑定码不正确" in wrong.content.decode()
    assert owner.post("/accounts/otp/enrol/", {"code": code.lower().replace("-", " ")}).status_code == 302
    page = owner.get("/accounts/otp/enrol/").content.decode()
    assert "otpauth://totp/" in page and "<svg" in page
    device = TOTPDevice.objects.get(user=otp_world.operator, confirmed=False)
    clock.shift(timedelta(seconds=31))
    assert owner.post("/accounts/otp/enrol/", {"otp": code_now(device), "next": "/staff/"}).status_code == 302
    assert TOTPDevice.objects.get(user=otp_world.operator).confirmed
    assert owner.get("/staff/").status_code == 200
    assert AuditEntry.objects.filter(event="otp.enrol", actor_username="operator").count() == 1


def test_a_code_works_once(otp_world):
    code = otp_enrolment_activation_issue(actor=otp_world.secadmin, user=otp_world.operator)
    assert signed_in_with_password("operator").post("/accounts/otp/enrol/", {"code": code}).status_code == 302
    other_session = signed_in_with_password("operator")
    replay = other_session.post("/accounts/otp/enrol/", {"code": code})
    assert replay.status_code == 400 and ASK in replay.content.decode()
    assert "otpauth://" not in other_session.get("/accounts/otp/enrol/").content.decode()


def test_a_code_expires(otp_world, clock):
    code = otp_enrolment_activation_issue(actor=otp_world.secadmin, user=otp_world.operator)
    clock.shift(timedelta(hours=24, seconds=1))
    late = signed_in_with_password("operator").post("/accounts/otp/enrol/", {"code": code})
    assert late.status_code == 400 and ASK in late.content.decode()


def test_five_wrong_codes_end_it_and_a_new_one_ends_the_old(otp_world):
    first = otp_enrolment_activation_issue(actor=otp_world.secadmin, user=otp_world.operator)
    second = otp_enrolment_activation_issue(actor=otp_world.secadmin, user=otp_world.operator)
    owner = signed_in_with_password("operator")
    assert owner.post("/accounts/otp/enrol/", {"code": first}).status_code == 400  # ended by the second
    for _ in range(4):
        owner.post("/accounts/otp/enrol/", {"code": "ABCD-EFGH-JKLM"})
    worn_out = owner.post("/accounts/otp/enrol/", {"code": second})
    assert ASK in worn_out.content.decode() and not TOTPDevice.objects.exists()


def test_only_a_security_administrator_in_reach_issues_one(otp_world):
    for who in (otp_world.operator, otp_world.secretary):
        assert verified(who).post(f"/staff/roles/accounts/{otp_world.grid_worker.pk}/otp-activation/").status_code == 403
    own = verified(otp_world.secadmin)
    assert own.post(f"/staff/roles/accounts/{otp_world.secadmin.pk}/otp-activation/").status_code == 403
    street_admin = otp_world.staff("secadmin-t1", Role.SECURITY_ADMIN, otp_world.street)
    outside = verified(street_admin)
    assert outside.post(f"/staff/roles/accounts/{otp_world.other_operator.pk}/otp-activation/").status_code == 404
    assert not OtpEnrolmentActivation.objects.exists()


def test_the_services_refuse_without_a_redeemed_unexpired_activation_whatever_the_caller(otp_world, clock):
    """The enrolment page checks its session first; the services hold the rule on their own too."""
    from sanshi.accounts.services import otp_activation_redeem, totp_enrolment_confirm, totp_enrolment_start
    from sanshi.core.errors import ApplicationError

    owner = otp_world.operator
    with pytest.raises(ApplicationError):
        totp_enrolment_start(user=owner, activation_id=None)
    code = otp_enrolment_activation_issue(actor=otp_world.secadmin, user=owner)
    issued = OtpEnrolmentActivation.objects.get(user=owner)
    with pytest.raises(ApplicationError):  # issued, not yet redeemed
        totp_enrolment_start(user=owner, activation_id=issued.pk)
    someone_elses = otp_activation_redeem(user=otp_world.grid_worker, code=otp_enrolment_activation_issue(
        actor=otp_world.secadmin, user=otp_world.grid_worker))
    with pytest.raises(ApplicationError):
        totp_enrolment_start(user=owner, activation_id=someone_elses.pk)
    activation = otp_activation_redeem(user=owner, code=code)
    device = totp_enrolment_start(user=owner, activation_id=activation.pk)  # now the secret may be shown
    clock.shift(timedelta(hours=24, seconds=1))
    with pytest.raises(ApplicationError):
        totp_enrolment_start(user=owner, activation_id=activation.pk)
    with pytest.raises(ApplicationError):
        totp_enrolment_confirm(user=owner, token=code_now(device), activation_id=activation.pk)
    assert not TOTPDevice.objects.filter(confirmed=True).exists()
