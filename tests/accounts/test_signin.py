"""Sign-in protections (等保 2.0 level 3): lockout, password rules, one-time codes, session
lifetimes, API tokens and rate limits. Each test fails if its protection is taken away."""

import os
import secrets
import subprocess
import sys
from base64 import urlsafe_b64encode
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.checks import run_checks
from django.core.exceptions import ValidationError
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from sanshi.accounts.checks import no_superusers_in_production
from sanshi.accounts.models import ApiToken, User
from sanshi.registry.models import Role, StaffRole
from sanshi.registry.services import otp_enrolment_activation_issue

from ..conftest import PASSWORD

LOCKED = "账号已锁定，请30分钟后再试"
START = datetime(2026, 3, 2, 2, 0, 0, tzinfo=UTC)  # a whole minute: the start of a 30-second TOTP step


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()  # rate-limit counters live in the default cache
    yield
    cache.clear()


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def officer(db):
    return User.objects.create_user(username="officer", password=PASSWORD, display_name="officer")


@pytest.fixture
def otp_on(settings):
    settings.SANSHI_REQUIRE_OTP = True
    return settings


def sign_in(client, username, password=PASSWORD, **extra):
    return client.post("/accounts/login/", {"username": username, "password": password, **extra})


def api_token(client, username, password=PASSWORD, **extra):
    return client.post("/api/v1/auth/token", {"username": username, "password": password, **extra},
                       content_type="application/json")


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def authenticator(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def code_now(device: TOTPDevice) -> str:
    device.refresh_from_db()
    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token():06d}"


def a_wrong_code(device: TOTPDevice) -> str:
    right = int(code_now(device))
    return f"{(right + 500000) % 1000000:06d}"


# ---- lockout ------------------------------------------------------------------------------

def test_five_failures_lock_the_account_even_against_the_right_password(officer, client):
    # given five wrong passwords on the login page
    for _ in range(5):
        sign_in(client, "officer", "wrong-password")
    # when the sixth attempt has the right one
    page = sign_in(client, "officer")
    # then it is refused, with the lock explained in Chinese
    assert page.status_code == 429 and LOCKED in page.content.decode()
    assert not signed_in(client)


def test_four_failures_do_not_lock(officer, client):
    for _ in range(4):
        assert sign_in(client, "officer", "wrong-password").status_code == 200
    assert sign_in(client, "officer").status_code == 302 and signed_in(client)


def test_the_lock_lasts_thirty_minutes(officer, client, clock):
    for _ in range(5):
        sign_in(client, "officer", "wrong-password")
    clock.shift(timedelta(minutes=29))
    assert sign_in(client, "officer").status_code == 429
    clock.shift(timedelta(minutes=2))
    assert sign_in(client, "officer").status_code == 302 and signed_in(client)


def test_failures_more_than_thirty_minutes_apart_do_not_add_up(officer, client, clock):
    for _ in range(4):
        sign_in(client, "officer", "wrong-password")
    clock.shift(timedelta(minutes=31))
    sign_in(client, "officer", "wrong-password")
    assert sign_in(client, "officer").status_code == 302


def test_the_api_token_endpoint_counts_failures_and_honours_the_lock(officer, client):
    for _ in range(4):
        assert api_token(client, "officer", "wrong-password").status_code == 401
    api_token(client, "officer", "wrong-password")
    refused = api_token(client, "officer")
    assert refused.status_code == 429 and refused.json()["detail"] == LOCKED
    assert not ApiToken.objects.exists()


def test_a_lock_earned_on_the_page_also_closes_the_api(officer, client):
    for _ in range(5):
        sign_in(client, "officer", "wrong-password")
    assert api_token(client, "officer").status_code == 429


def test_a_lock_holds_the_address_that_earned_it_not_the_account_everywhere(officer, client):
    """Anyone who knows a user name could lock that account for everyone with five requests: the
    lock is kept per user name *and* client address, so the owner signs in from elsewhere."""
    def page(client, password, address):
        return client.post("/accounts/login/", {"username": "officer", "password": password}, REMOTE_ADDR=address)

    def api(client, address):
        return client.post("/api/v1/auth/token", {"username": "officer", "password": PASSWORD},
                           content_type="application/json", REMOTE_ADDR=address)

    attacker, office = "203.0.113.9", "198.51.100.20"
    for _ in range(5):
        page(client, "wrong-password", attacker)
    assert page(client, PASSWORD, attacker).status_code == 429 and api(client, attacker).status_code == 429
    owner = Client()
    assert page(owner, PASSWORD, office).status_code == 302 and signed_in(owner)
    assert api(owner, office).status_code == 200


# ---- passwords ----------------------------------------------------------------------------

def test_password_rules(world):
    citizen = User.objects.create_user(username="citizen")
    admin = User.objects.create_user(username="admin-x", is_staff=True)
    demo = User.objects.create_user(username="demo-x", is_demo=True)
    StaffRole.objects.create(user=demo, role=Role.OPERATOR, node=world.street)
    for short_or_common in ("Ab1-xyz", "password1", "12345678901"):
        with pytest.raises(ValidationError):
            validate_password(short_or_common, citizen)
    # two character classes are enough for an account without a post …
    validate_password("quiet-harbour-lamp", citizen)
    # … but not for staff, whether by StaffRole or by the admin flag
    for staff in (world.operator, admin):
        with pytest.raises(ValidationError, match="至少3类"):
            validate_password("quiet-harbour-lamp", staff)
        validate_password("Quiet-harbour-lamp", staff)
    # demo accounts share SANSHI_DEMO_PASSWORD (2 classes) and are exempt
    validate_password("sanshi-demo", demo)


# ---- second factor: pages -----------------------------------------------------------------

def test_with_otp_required_the_password_alone_opens_nothing(otp_on, world, client):
    authenticator(world.operator)
    response = sign_in(client, "operator", next="/staff/pool/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/otp/?next=")
    blocked = client.get("/staff/pool/")
    assert blocked.status_code == 302 and blocked["Location"].startswith("/accounts/otp/")
    assert client.get("/admin/").status_code == 302


def test_each_one_time_code_works_once(otp_on, world, client, clock):
    device = authenticator(world.operator)
    sign_in(client, "operator")
    # a wrong code is refused
    page = client.post("/accounts/otp/", {"otp": a_wrong_code(device), "next": "/staff/"})
    assert page.status_code == 200 and "动态口令错误或已使用" in page.content.decode()
    assert client.get("/staff/").status_code == 302
    # the right one lets the user in (after the one-second pause django-otp imposes on a failure)
    clock.shift(timedelta(seconds=2))
    code = code_now(device)
    assert client.post("/accounts/otp/", {"otp": code, "next": "/staff/"})["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200
    # the same code, replayed in a new sign-in within its validity, is refused
    client.post("/accounts/logout/")
    sign_in(client, "operator")
    again = client.post("/accounts/otp/", {"otp": code, "next": "/staff/"})
    assert again.status_code == 200 and "动态口令错误或已使用" in again.content.decode()
    assert client.get("/staff/").status_code == 302


def test_enrolment_shows_the_secret_and_confirms_with_a_code(otp_on, world, client, clock):
    security_admin = world.staff("secadmin", Role.SECURITY_ADMIN, world.district)
    activation = otp_enrolment_activation_issue(actor=security_admin, user=world.operator)
    response = sign_in(client, "operator")
    assert response["Location"].startswith("/accounts/otp/enrol/")
    assert client.post("/accounts/otp/enrol/", {"code": activation}).status_code == 302  # the administrator's code
    page = client.get("/accounts/otp/enrol/").content.decode()
    device = TOTPDevice.objects.get(user=world.operator, confirmed=False)
    assert "otpauth://totp/" in page and "<svg" in page
    wrong = client.post("/accounts/otp/enrol/", {"otp": a_wrong_code(device)})
    assert wrong.status_code == 200 and not TOTPDevice.objects.filter(confirmed=True).exists()
    clock.shift(timedelta(seconds=2))
    assert client.post("/accounts/otp/enrol/", {"otp": code_now(device), "next": "/staff/"}).status_code == 302
    assert TOTPDevice.objects.get(user=world.operator).confirmed
    assert client.get("/staff/").status_code == 200
    # once enrolled, the page no longer hands out a secret (a stolen password cannot rebind)
    again = client.get("/accounts/otp/enrol/")
    assert again.status_code == 302 and again["Location"].startswith("/accounts/otp/")


# ---- second factor: API -------------------------------------------------------------------

def test_the_api_token_needs_a_fresh_one_time_code_when_required(otp_on, world, client, clock):
    device = authenticator(world.operator)
    missing = api_token(client, "operator")
    assert missing.status_code == 401 and "otp" in missing.json()["errors"]
    clock.shift(timedelta(seconds=2))
    assert api_token(client, "operator", otp=a_wrong_code(device)).status_code == 401
    clock.shift(timedelta(seconds=3))
    code = code_now(device)
    assert api_token(client, "operator", otp=code).status_code == 200
    assert api_token(client, "operator", otp=code).status_code == 401
    assert ApiToken.objects.count() == 1


# ---- sessions -----------------------------------------------------------------------------

def test_a_session_ends_after_thirty_idle_minutes(world, client, clock):
    assert client.login(username="operator", password=PASSWORD)
    clock.shift(timedelta(minutes=29))
    assert client.get("/staff/").status_code == 200
    clock.shift(timedelta(minutes=29))  # 58 minutes after sign-in, but each request renews the idle limit
    assert client.get("/staff/").status_code == 200
    clock.shift(timedelta(minutes=31))
    response = client.get("/staff/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_session_ends_twelve_hours_after_sign_in_however_active(world, client, clock):
    assert client.login(username="operator", password=PASSWORD)
    for _ in range(35):  # a request every 20 minutes: 11 h 40 min
        clock.shift(timedelta(minutes=20))
        assert client.get("/staff/").status_code == 200
    clock.shift(timedelta(minutes=21))
    response = client.get("/staff/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert not signed_in(client)


def test_a_session_cookie_replayed_after_sign_out_is_refused(world, client, settings):
    assert client.login(username="operator", password=PASSWORD)
    stolen = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.post("/accounts/logout/")
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = stolen
    response = replay.get("/staff/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# ---- API tokens ---------------------------------------------------------------------------

def test_api_tokens_expire(world, client, clock, token_for):
    headers = token_for(world.operator)
    clock.shift(timedelta(hours=11, minutes=59))
    assert client.get("/api/v1/cases", **headers).status_code == 200
    clock.shift(timedelta(minutes=2))
    assert client.get("/api/v1/cases", **headers).status_code == 401


def test_revoke_ends_only_the_token_used(world, client, token_for):
    first, second = token_for(world.operator), token_for(world.operator)
    assert client.post("/api/v1/auth/revoke", **first).status_code == 204
    assert client.get("/api/v1/cases", **first).status_code == 401
    assert client.get("/api/v1/cases", **second).status_code == 200
    assert ApiToken.objects.filter(revoked_at__isnull=False).count() == 1
    assert client.post("/api/v1/auth/revoke").status_code == 401


# ---- rate limits --------------------------------------------------------------------------

def test_anonymous_requests_are_limited_per_address(db, client, settings):
    settings.SANSHI_RATE_ANON = "3/min"
    assert [client.get("/api/v1/catalogue").status_code for _ in range(4)] == [200, 200, 200, 429]
    assert client.get("/api/v1/catalogue", REMOTE_ADDR="10.0.0.2").status_code == 200


def test_a_limited_client_is_told_when_to_retry_and_served_again_after_the_period(db, client, settings):
    import time_machine

    settings.SANSHI_RATE_ANON = "2/min"
    with time_machine.travel("2026-12-03 10:00:00 +0800", tick=False) as clock:
        assert [client.get("/api/v1/catalogue").status_code for _ in range(2)] == [200, 200]
        clock.shift(20)
        refused = client.get("/api/v1/catalogue")
        assert refused.status_code == 429 and refused["Retry-After"] == "40"
        clock.shift(40)
        assert client.get("/api/v1/catalogue").status_code == 200


def test_signed_in_requests_are_limited_per_user(world, client, settings, token_for):
    operator, secretary = token_for(world.operator), token_for(world.secretary)
    settings.SANSHI_RATE_USER = "3/min"
    assert [client.get("/api/v1/cases", **operator).status_code for _ in range(4)] == [200, 200, 200, 429]
    assert client.get("/api/v1/cases", **secretary).status_code == 200


def test_the_default_limits_are_200_and_100_a_minute():
    from sanshi.settings import base

    assert base.SANSHI_RATE_USER == "200/min" and base.SANSHI_RATE_ANON == "100/min"


# ---- production ---------------------------------------------------------------------------

def test_production_refuses_superusers(db, settings):
    User.objects.create_superuser("root", password=PASSWORD)
    assert no_superusers_in_production(None) == []
    settings.PRODUCTION = True
    assert [e.id for e in run_checks() if e.id == "accounts.E001"] == ["accounts.E001"]
    User.objects.filter(username="root").update(is_active=False)
    assert no_superusers_in_production(None) == []


def test_production_settings_pass_the_deploy_check(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "sanshi.settings.production",
           "SECRET_KEY": secrets.token_urlsafe(60)[:60],
           "SANSHI_FIELD_KEY": urlsafe_b64encode(secrets.token_bytes(32)).decode(),
           "SANSHI_AUDIT_ANCHOR_KEY": secrets.token_urlsafe(32),
           "CACHE_URL": "dbcache://sanshi_cache",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}"}
    env.pop("SANSHI_REQUIRE_OTP", None)
    result = subprocess.run([sys.executable, "-m", "sanshi", "check", "--deploy", "--fail-level", "WARNING"],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    probe = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings as s; "
         "print(s.SANSHI_REQUIRE_OTP, s.SESSION_COOKIE_AGE, s.SESSION_SAVE_EVERY_REQUEST)"],
        env=env, capture_output=True, text=True, timeout=120)
    assert probe.stdout.split() == ["True", "1800", "True"], probe.stderr
