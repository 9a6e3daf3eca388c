"""Schemathesis fuzzes every operation of /api/v1/openapi.json, as an anonymous caller and with a
token of each kind of role: never a 5xx, never a response that breaks the schema, and never a
case outside the caller's scope. Its strings hold NUL characters but never a lone surrogate (it
cannot encode one), so a second pass puts lone surrogates and NULs into every operation's JSON
strings, NULs into its path and query: a documented 400, never a 5xx. Both run on SQLite and, in
CI's second pass (DATABASE_URL), on PostgreSQL, where a NUL reaching a query was a 500."""

import contextlib
import json
from urllib.parse import quote, urlencode

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
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


# a lone surrogate (JSON writes it as "\\ud800"), a NUL, or both, amid ordinary text
ODD_JSON_TEXT = st.builds(lambda a, odd, b: a + odd + b, st.sampled_from(["", "路灯", "T1C1-G01"]),
                          st.text(st.characters(categories=["Cs"]) | st.just("\x00"), min_size=1, max_size=3),
                          st.sampled_from(["", "坏了", "1"]))
NUL_TEXT = st.builds(lambda a, b: a + "\x00" + b, st.sampled_from(["", "A", "new"]), st.sampled_from(["", "B"]))


def test_surrogates_and_nul_in_any_string_answer_a_documented_400(seeded, client):
    """Sent with Django's test client: schemathesis itself cannot carry a lone surrogate."""
    _, tokens, _ = seeded
    headers = tokens["operator"]
    with wsgi_keeps_test_connection():  # reading the schema calls the WSGI app directly
        operations = _operations()
    for operation in operations:
        @given(case=operation.as_strategy(), data=st.data())
        @settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case, data):
            request = _with_odd_text(case, data)
            if request is None:
                return
            path, body = request
            response = client.generic(case.method, path, body, content_type="application/json", **headers)
            assert response.status_code < 500, (case.method, path, body[:200], response.content[:300])
            if response.status_code == 400:
                assert set(response.json()) == {"detail", "errors"}, response.content[:300]

        check()


def _with_odd_text(case, data) -> tuple[str, str] | None:
    """The case's path and JSON body with one string replaced: in the body by text holding a lone
    surrogate and/or a NUL, else in a path or query parameter by text holding a NUL (a URL cannot
    carry a lone surrogate). None when the operation takes no string at all."""
    path_params, query = dict(case.path_parameters or {}), dict(case.query or {})
    body = case.body if isinstance(case.body, dict) else None
    if body:
        key = data.draw(st.sampled_from(sorted(body)))
        body = {**body, key: data.draw(ODD_JSON_TEXT)}
    elif path_params:
        key = data.draw(st.sampled_from(sorted(path_params)))
        path_params[key] = data.draw(NUL_TEXT)
    elif query:
        key = data.draw(st.sampled_from(sorted(query)))
        query[key] = data.draw(NUL_TEXT)
    else:
        return None
    path = case.path
    for name, value in path_params.items():
        path = path.replace("{" + name + "}", quote(str(value), safe=""))
    if query:
        path += "?" + urlencode(query, doseq=True)
    return path, json.dumps(body) if body is not None else ""  # json.dumps writes "\\ud800" escapes
