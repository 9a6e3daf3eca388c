"""A user name longer than the account field is refused as bad input (400 with a field message) on
the sign-in page, the admin's and the token API, before it is authenticated or counted: it went on
to axes' failure row (255 characters) and answered 500 on PostgreSQL (issue 18, item 1). The case
runs on both databases; on PostgreSQL a missing check shows as the 500."""

from axes.models import AccessAttempt
from django.test import Client

from sanshi.accounts.models import ApiToken
from sanshi.audit.models import AuditEntry

LONG = "a" * 300


def test_the_sign_in_page_refuses_a_name_longer_than_the_field(world):
    client = Client(raise_request_exception=False)
    page = client.post("/accounts/login/", {"username": LONG, "password": "whatever-1"})
    assert page.status_code == 400
    assert "150" in page.content.decode()  # the field's message names the limit
    assert not AccessAttempt.objects.exists() and not AuditEntry.objects.filter(event="auth.login_failed").exists()


def test_a_wrong_password_is_still_the_page_again(world):
    page = Client().post("/accounts/login/", {"username": "operator", "password": "wrong"})
    assert page.status_code == 200 and "用户名或密码不正确" in page.content.decode()


def test_the_admin_sign_in_refuses_it_too(world):
    page = Client(raise_request_exception=False).post("/admin/login/", {"username": LONG, "password": "x"})
    assert page.status_code == 200 and "150" in page.content.decode()
    assert not AccessAttempt.objects.exists()


def test_the_token_api_answers_400_naming_the_field(world):
    response = Client(raise_request_exception=False).post(
        "/api/v1/auth/token", {"username": LONG, "password": "x"}, content_type="application/json")
    assert response.status_code == 400 and "150" in response.json()["errors"]["username"]
    assert not AccessAttempt.objects.exists() and not ApiToken.objects.exists()
