"""Hypothesis over the second factor's three forms (issue 18: "the page forms are fuzzed"): the
security administrator's binding code, the first one-time code that confirms a new authenticator,
and the one-time code at each sign-in — with odd codes, NULs and odd `next` targets. Never a 5xx,
and afterwards the right code still works — and still takes no `next` off the site."""

from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import given
from hypothesis import strategies as st

from sanshi.registry.models import Role
from sanshi.registry.services import otp_enrolment_activation_issue

from ..conftest import PASSWORD
from ..web.test_form_fuzz import FUZZ, ODD_TEXT, WITH_NUL, assert_no_server_error, nul_if

CODES = st.one_of(ODD_TEXT, st.sampled_from(["123456", "00000000", "1234567", "１２３４５６", "12345a", " 123456 ",
                                             "ABCD-EFGH-JKLM", "abcdefghjkmn", "A" * 33]))
NEXT = st.one_of(st.just(""), ODD_TEXT, st.sampled_from(["//evil.example.com/", "https://evil.example.com/", "/staff/"]))


def _stays_on_the_site(response, *context):
    assert_no_server_error(response, *context)
    if response.status_code == 302:
        assert "evil" not in response["Location"], (response["Location"], *context)


def _code_now(device: TOTPDevice) -> str:
    device.refresh_from_db()
    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token():06d}"


def test_the_binding_code_and_the_first_one_time_code(world, settings):
    settings.SANSHI_REQUIRE_OTP = True
    secadmin = world.staff("secadmin", Role.SECURITY_ADMIN, world.district)
    browser = Client(raise_request_exception=False)
    assert browser.post("/accounts/login/", {"username": "gridworker", "password": PASSWORD}).status_code == 302

    @given(code=CODES, next_=NEXT, with_nul=WITH_NUL)
    @FUZZ
    def binding_code(code, next_, with_nul):
        response = browser.post("/accounts/otp/enrol/", {"code": nul_if(with_nul, code), "next": next_})
        _stays_on_the_site(response, code[:40], next_[:40])

    binding_code()
    code = otp_enrolment_activation_issue(actor=secadmin, user=world.grid_worker)
    assert browser.post("/accounts/otp/enrol/", {"code": code}).status_code == 302  # redeemed: the secret next
    assert browser.get("/accounts/otp/enrol/").status_code == 200

    @given(otp=CODES, next_=NEXT, with_nul=WITH_NUL)
    @FUZZ
    def first_code(otp, next_, with_nul):
        response = browser.post("/accounts/otp/enrol/", {"otp": nul_if(with_nul, otp), "next": next_})
        _stays_on_the_site(response, otp[:40], next_[:40])

    first_code()
    device = TOTPDevice.objects.get(user=world.grid_worker)
    if not device.confirmed:  # a random six digits may have been the right code: then it is bound already
        device.throttling_failure_count, device.throttling_failure_timestamp = 0, None
        device.save()
        confirmed = browser.post("/accounts/otp/enrol/", {"otp": _code_now(device), "next": "//evil.example.com/"})
        assert confirmed.status_code == 302 and confirmed["Location"] == "/staff/"  # not the off-site next
    assert TOTPDevice.objects.get(user=world.grid_worker).confirmed


def test_the_one_time_code_at_sign_in(world, settings):
    settings.SANSHI_REQUIRE_OTP = True
    device = TOTPDevice.objects.create(user=world.operator, name="phone", confirmed=True)
    browser = Client(raise_request_exception=False)
    assert browser.post("/accounts/login/", {"username": "operator", "password": PASSWORD}).status_code == 302

    @given(otp=CODES, next_=NEXT, with_nul=WITH_NUL)
    @FUZZ
    def check(otp, next_, with_nul):
        response = browser.post("/accounts/otp/", {"otp": nul_if(with_nul, otp), "next": next_})
        _stays_on_the_site(response, otp[:40], next_[:40])

    check()
    device.refresh_from_db()
    device.throttling_failure_count, device.throttling_failure_timestamp = 0, None
    device.save()
    signed = browser.post("/accounts/otp/", {"otp": _code_now(device), "next": "https://evil.example.com/"})
    assert signed.status_code == 302 and signed["Location"] == "/staff/"  # not the off-site next
    assert browser.get("/staff/").status_code == 200
