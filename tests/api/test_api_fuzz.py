"""Schemathesis fuzzes every operation of /api/v1/openapi.json, as an anonymous caller and with a
token of each kind of role: never a 5xx, never a response that breaks the schema, and never a
case outside the caller's scope."""

import contextlib

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from sanshi.cases.models import Case
from sanshi.cases.scope import can_see as can_see_case
from sanshi.wsgi import application

from ..helpers import submit

ROLES = [None, "operator", "gridworker", "secretary", "supervisor", "liaison-zj", "other-operator"]


@contextlib.contextmanager
def wsgi_keeps_test_connection():
    """Calling the WSGI app directly would close the test's database connection at the end of
    each request (Django's test client disconnects the same handler while it runs a request)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def seeded(world, client, token_for):
    """A case in Dingshan's grid and one in the other street, and a token per role."""
    mine = submit(client, text="小区物业费上涨，服务差", grid="T1C1-G01").json()
    theirs = submit(client, text="七棵树东街路灯不亮", grid="T2C1-G01").json()
    tokens = {name: token_for(getattr(world, {"operator": "operator", "gridworker": "grid_worker",
                                              "secretary": "secretary", "supervisor": "supervisor",
                                              "liaison-zj": "liaison_zj", "other-operator": "other_operator"}[name]))
              for name in ROLES if name}
    cases = {Case.objects.get(requests__tracking_code=c["tracking_code"]).pk: c for c in (mine, theirs)}
    return world, tokens, cases


def _operations():
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
    operations = [result.ok() for result in schema.get_all_operations()]
    # revoking would end the role tokens the other operations use: fuzz it last
    return sorted(operations, key=lambda op: op.path == "/api/v1/auth/revoke")


def test_api_never_errors_and_keeps_to_scope(seeded):
    # schemathesis' pytest plugin does not run under pytest 9 yet, so drive its strategies with
    # Hypothesis directly: one property per operation
    world, tokens, _ = seeded
    with wsgi_keeps_test_connection():
        operations = _operations()
        assert len(operations) >= 8
        for operation in operations:
            @given(case=operation.as_strategy())
            @settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), database=None)
            def check(case):
                _check_case(case, world, tokens)

            check()


def _check_case(case, world, tokens):
    for role in ROLES:
        headers = dict(case.headers or {})
        if role:
            headers["Authorization"] = tokens[role]["HTTP_AUTHORIZATION"]
        response = case.call(headers=headers)
        assert response.status_code < 500, (case.method, case.path, role, response.status_code, response.text[:300])
        case.validate_response(response, checks=(not_a_server_error, status_code_conformance,
                                                 response_schema_conformance))
        if role and response.status_code == 200 and case.path.startswith("/api/v1/cases"):
            body = response.json()
            items = body if isinstance(body, list) else [body]
            user = {"operator": world.operator, "gridworker": world.grid_worker, "secretary": world.secretary,
                    "supervisor": world.supervisor, "liaison-zj": world.liaison_zj,
                    "other-operator": world.other_operator}[role]
            for item in items:
                if isinstance(item, dict) and "id" in item and "number" in item:
                    assert can_see_case(user, Case.objects.get(pk=item["id"])), (role, case.path, item["id"])
