"""Input no part of the stack can store or encode — a NUL character (PostgreSQL text refuses it) or a
lone UTF-16 surrogate (JSON's "\\ud800": no UTF-8 encoder takes it) — is refused with a 400 that says
why, before anything reaches a form, a service or the database. The reproductions of the 等保
assessment (issue 18, item 1) are the cases below; each answered 500 before (the paths with a NUL
on PostgreSQL only)."""

import json

import pytest
from django.test import Client

from sanshi.accounts.models import ApiToken
from sanshi.audit.models import AuditEntry
from sanshi.cases.models import Case
from sanshi.intake.models import Request

from ..conftest import PASSWORD
from ..helpers import submit

LONE = "\\ud800"  # as it is written in a JSON body: a lone high surrogate once decoded
REFUSED = "无法处理的字符"


@pytest.fixture
def client():
    return Client(raise_request_exception=False)  # a 500 must show as a 500, not as the test's exception


def post_raw(client, url, raw: str, **headers):
    return client.post(url, raw.encode(), content_type="application/json", **headers)


def assert_refused_as_json(response, field="body"):
    assert response.status_code == 400, (response.status_code, response.content[:200])
    body = response.json()
    assert REFUSED in body["detail"] and REFUSED in body["errors"][field]


@pytest.mark.parametrize("raw", [
    '{"text": "' + LONE + ' 小区路灯坏了一个星期", "grid": "T1C1-G01"}',
    '{"text": "小区路灯坏了一个星期", "grid": "' + LONE + '"}',
    '{"text": "小区路灯坏了一个星期", "address": "鼎城花园' + LONE + '"}',
    '{"text": "小区路灯坏了一个星期", "address": "' + "\\udc80" + '"}',  # a lone low surrogate too
], ids=["text", "grid", "address", "low-surrogate"])
def test_a_lone_surrogate_in_a_request_is_refused_before_anything_is_stored(world, client, raw):
    assert_refused_as_json(post_raw(client, "/api/v1/requests", raw))
    assert Request.objects.count() == 0 and Case.objects.count() == 0


def test_a_surrogate_pair_is_one_character_and_passes(world, client):
    """An emoji written as two escapes, as JSON encoders of other languages do."""
    response = post_raw(client, "/api/v1/requests", '{"text": "小区路灯坏了一个星期 \\ud83d\\ude21", "grid": "T1C1-G01"}')
    assert response.status_code == 201, response.content
    assert Request.objects.get().text.endswith("😡")


@pytest.mark.parametrize("field", ["username", "password"])
def test_a_lone_surrogate_in_the_token_request_is_refused(world, client, field):
    body = {"username": "operator", "password": PASSWORD}
    raw = json.dumps(body).replace(f'"{body[field]}"', f'"x{LONE}"')
    assert_refused_as_json(post_raw(client, "/api/v1/auth/token", raw))
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("field", ["reason", "catalogue_code"])
def test_a_lone_surrogate_in_a_transition_is_refused(world, client, token_for, field):
    code = submit(client, text="小区电梯困人三次", grid="T1C1-G01").json()["tracking_code"]
    case_id = Case.objects.get(requests__tracking_code=code).pk
    headers = token_for(world.operator)
    raw = json.dumps({"action": "triage", "kind": "PUBLIC", "catalogue_code": "P01", "reason": "分拣"},
                     ensure_ascii=False)
    raw = raw.replace(f'"{json.loads(raw)[field]}"', f'"x{LONE}"')
    assert_refused_as_json(post_raw(client, f"/api/v1/cases/{case_id}/transitions", raw, **headers))
    assert Case.objects.get(pk=case_id).status == "received"


def test_a_lone_surrogate_in_a_calendar_day_is_refused(world, client, token_for):
    raw = '{"date": "2026-10-01", "is_workday": false, "name": "国庆' + LONE + '"}'
    assert_refused_as_json(post_raw(client, "/api/v1/calendar", raw, **token_for(world.street_officer)))


@pytest.mark.parametrize("path", ["/track/%00/", "/track/A%00/", "/report/done/%00/"])
def test_a_nul_in_a_page_path_is_refused_with_a_plain_400(world, client, path):
    """PostgreSQL refused the lookup with a 500; SQLite answered 404. Now 400 everywhere."""
    response = client.get(path)
    assert response.status_code == 400 and REFUSED in response.content.decode()


def test_a_nul_in_an_api_path_is_refused_as_json(world, client):
    assert_refused_as_json(client.get("/api/v1/track/A%00B"), field="path")


def test_a_nul_in_the_query_names_the_parameter(world, client):
    assert_refused_as_json(client.get("/api/v1/cases?status=new%00"), field="status")


def test_a_nul_in_a_header_is_refused_before_a_failed_sign_in_stores_it(world, client):
    response = client.post("/accounts/login/", {"username": "operator", "password": "wrong"},
                           HTTP_USER_AGENT="curl\x00")
    assert response.status_code == 400
    assert not AuditEntry.objects.filter(event__startswith="auth").exists()
