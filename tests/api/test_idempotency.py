"""Safe retries (issue 19): 51 requests were stored after a crash without the client ever getting its
201, and a hotline system that sent them again made a second case of each. A POST sent again with
the same Idempotency-Key gets the first answer and creates nothing; the key's answer is kept in the
act's own transaction."""

import threading
import uuid
from datetime import timedelta

import pytest
import time_machine
from django.db import connection, transaction
from django.test import Client
from django.test.client import RequestFactory
from django.utils import timezone

from sanshi.accounts.idempotency import KEYED, form_fingerprint, idempotency_keys_purge
from sanshi.accounts.models import IdempotencyKey
from sanshi.api.api import api
from sanshi.cases.models import Case
from sanshi.intake.models import Request
from sanshi.notices.models import Comment

from ..helpers import actions, submit
from ..notices.conftest import publicise

REPORT = {"text": "小区门口的路灯坏了一个星期", "grid": "T1C1-G01"}


def key_header(key: str) -> dict:
    return {"HTTP_IDEMPOTENCY_KEY": key}


def test_a_retried_request_gets_the_first_answer_and_makes_one_case(world, client):
    key = str(uuid.uuid4())
    first = submit(client, key_header(key), **REPORT)
    again = submit(client, key_header(key), **REPORT)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()  # the same id and tracking code
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert Case.objects.count() == 1 and Request.objects.count() == 1
    kept = IdempotencyKey.objects.get()
    assert kept.scope == "addr:127.0.0.1" and kept.status == 201
    with connection.cursor() as cursor:  # the answer holds the tracking code: encrypted at rest
        cursor.execute("SELECT body FROM accounts_idempotencykey")
        (stored,) = cursor.fetchone()
    assert first.json()["tracking_code"] not in stored


def test_without_the_header_each_post_acts(world, client):
    submit(client, **REPORT)
    submit(client, **REPORT)
    assert Case.objects.count() == 2 and not IdempotencyKey.objects.exists()


def test_the_same_key_with_another_body_is_refused_naming_the_header(world, client):
    key = str(uuid.uuid4())
    submit(client, key_header(key), **REPORT)
    other = submit(client, key_header(key), text="另一件事：楼道堆放杂物", grid="T1C1-G01")
    assert other.status_code == 422
    assert "Idempotency-Key" in other.json()["detail"] and "Idempotency-Key" in other.json()["errors"]
    assert Case.objects.count() == 1


def test_keys_are_the_callers_own(world, client, token_for):
    key = str(uuid.uuid4())
    mine = submit(client, key_header(key), **REPORT)
    theirs = client.post("/api/v1/requests", REPORT, content_type="application/json", REMOTE_ADDR="10.0.0.9",
                         **key_header(key))
    assert theirs.status_code == 201 and theirs.json()["id"] != mine.json()["id"]
    # a hotline system's key is its account's, whichever token it signs in with
    hotline = {**REPORT, "channel": "hotline"}
    first = submit(client, {**token_for(world.hotline), **key_header(key)}, **hotline)
    again = submit(client, {**token_for(world.hotline), **key_header(key)}, **hotline)
    assert again.json()["id"] == first.json()["id"] and again["Idempotent-Replayed"] == "true"
    assert Case.objects.count() == 3


def test_a_refused_request_keeps_nothing_and_the_key_can_be_used_again(world, client):
    key = str(uuid.uuid4())
    assert submit(client, key_header(key), text="", grid="T1C1-G01").status_code == 400
    assert submit(client, key_header(key), **REPORT).status_code == 201  # not 422
    assert Case.objects.count() == 1


def test_a_malformed_key_is_a_400_naming_the_header(world, client):
    response = submit(client, key_header("a key with spaces"), **REPORT)
    assert response.status_code == 400 and "Idempotency-Key" in response.json()["errors"]
    assert not Case.objects.exists()


def test_the_answer_is_kept_in_the_acts_transaction(world, monkeypatch):
    """Keeping the answer fails: the case is rolled back with it — no case without its answer."""
    def broken(**kwargs):
        raise RuntimeError("the process died between the act and its answer")

    monkeypatch.setattr("sanshi.accounts.idempotency.remember", broken)
    response = submit(Client(raise_request_exception=False), key_header(str(uuid.uuid4())), **REPORT)
    assert response.status_code == 500 and response["Content-Type"].startswith("application/json")
    assert not Case.objects.exists() and not Request.objects.exists()


def test_a_retried_transition_moves_the_case_once(world, client, token_for):
    case_id = Case.objects.get(requests__pk=submit(client, **REPORT).json()["id"]).pk
    operator, key = token_for(world.operator), key_header(str(uuid.uuid4()))
    body = {"action": "triage", "kind": "HOUSEHOLD", "catalogue_code": "H2", "reason": "核实后确认"}
    first = client.post(f"/api/v1/cases/{case_id}/transitions", body, content_type="application/json",
                        **operator, **key)
    again = client.post(f"/api/v1/cases/{case_id}/transitions", body, content_type="application/json",
                        **operator, **key)
    assert first.status_code == again.status_code == 200, first.content
    assert again.content == first.content
    assert actions(case_id).count("triage") == 1
    # without the key the same move again is refused: the case is triaged already
    assert client.post(f"/api/v1/cases/{case_id}/transitions", body, content_type="application/json",
                       **operator).status_code == 409


def test_an_expired_key_acts_again_and_is_purged(world, client):
    key = str(uuid.uuid4())
    submit(client, key_header(key), **REPORT)
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        assert idempotency_keys_purge() == 1
        assert submit(client, key_header(key), **REPORT).json().get("id")
    assert Case.objects.count() == 2 and IdempotencyKey.objects.count() == 1


def test_a_multipart_body_sent_again_has_the_same_fingerprint():
    factory = RequestFactory()

    def posted(photo: bytes, boundary: str):
        from django.core.files.uploadedfile import SimpleUploadedFile
        from django.test.client import encode_multipart

        body = encode_multipart(boundary, {"result": "已处置", "photo": SimpleUploadedFile("a.jpg", photo)})
        return factory.post("/api/v1/dispatches/1/result", body, content_type=f"multipart/form-data; boundary={boundary}")

    assert form_fingerprint(posted(b"one", "AAAA")) == form_fingerprint(posted(b"one", "BBBB"))
    assert form_fingerprint(posted(b"one", "AAAA")) != form_fingerprint(posted(b"two", "AAAA"))


@pytest.mark.postgres
def test_while_a_request_with_the_key_is_under_way_another_is_a_409(postgres_only, world, client):
    """The key is held by a transaction-scoped advisory lock until the first request commits."""
    from sanshi.accounts.idempotency import claim

    key, held, release = str(uuid.uuid4()), threading.Event(), threading.Event()

    def first_request():
        try:
            with transaction.atomic():
                claim(scope="addr:127.0.0.1", key=key, fingerprint="x")
                held.set()
                release.wait(30)
        finally:
            connection.close()

    thread = threading.Thread(target=first_request)
    thread.start()
    try:
        assert held.wait(30)
        response = submit(client, key_header(key), **REPORT)
        assert response.status_code == 409 and "Idempotency-Key" in response.json()["detail"]
        assert not Case.objects.exists()
    finally:
        release.set()
        thread.join(30)


@pytest.mark.postgres
def test_a_grid_deleted_elsewhere_is_still_unknown_grid_with_a_key(postgres_only, client):
    """In a claimed transaction PostgreSQL checks foreign keys at each statement: intake's own retry
    after a grid deleted by another process still sees the failure (400, not 500)."""
    from sanshi.registry.models import Level
    from sanshi.registry.selectors import grid_id_by_code
    from sanshi.registry.services import node_create

    district = node_create(code="X", name="区", level=Level.DISTRICT)
    street = node_create(code="X1", name="街道", level=Level.STREET, parent=district)
    community = node_create(code="X1C1", name="社区", level=Level.COMMUNITY, parent=street)
    doomed = node_create(code="X1C1-G01", name="网格", level=Level.GRID, parent=community)
    assert grid_id_by_code("X1C1-G01") == doomed.pk  # remembered by this process
    with connection.cursor() as cursor:  # raw SQL: no signal reaches the cache
        cursor.execute("DELETE FROM registry_orgnode WHERE id = %s", [doomed.pk])
    response = submit(client, key_header(str(uuid.uuid4())), text="路灯坏了", grid="X1C1-G01")
    assert response.status_code == 400 and "X1C1-G01" in response.json()["errors"]["grid"]
    assert not Case.objects.exists() and not IdempotencyKey.objects.exists()


# Not keyed (docs/operations.md, "Retries"): tokens are never stored for replay; doing the others twice
# is doing them once.
NOT_KEYED = {"/api/v1/auth/token", "/api/v1/auth/revoke", "/api/v1/notifications/read"}


def test_every_post_that_creates_or_moves_something_takes_an_idempotency_key():
    """A POST added without `@idempotent` (the notice board's comments and their moderation were)
    would make a second one when a client retries it."""
    schema = api.get_openapi_schema(path_prefix="/api/v1")
    keyed = {name.replace(".", "_") for name in KEYED}  # ninja's operationId: the module and the function
    posts = {path: operation["operationId"] for path, methods in schema["paths"].items()
             for method, operation in methods.items() if method == "post"}
    assert {path for path, op_id in posts.items() if op_id not in keyed} == NOT_KEYED


def test_an_objection_sent_again_with_its_key_is_one_objection(world, client, token_for):
    posted = publicise(world, client, token_for)
    objection = {"kind": "objection", "text": "停车费标准偏高，请再议"}
    first, again = (client.post(f"/api/v1/notices/{posted.notice.pk}/comments", objection,
                                content_type="application/json", **key_header("objection-20261205-1"))
                    for _ in range(2))
    assert first.status_code == again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json() and Comment.objects.count() == 1
