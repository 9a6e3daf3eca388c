"""The permission matrix (等保 2.0 访问控制): every role × scope × case action, every staff API
operation and every staff page, against a table declared here — not derived from the code under
test. A URL or API operation missing from the tables fails the suite."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from sanshi.api.api import api
from sanshi.cases.actions import get_case_or_404
from sanshi.cases.models import Case, WhistleCall
from sanshi.cases.permissions import check_case_action
from sanshi.core.errors import NotFound, NotPermitted
from sanshi.deliberation.models import Meeting
from sanshi.intake.services import reporter_phone_reveal
from sanshi.registry.models import Role

from .helpers import submit

R = Role
HANDLERS = {R.OPERATOR, R.STREET_OFFICER, R.COMMUNITY_SECRETARY, R.GRID_LEADER, R.GRID_WORKER, R.GRID_INSTRUCTOR}
ADMINS = {R.SYSTEM_ADMIN, R.SECURITY_ADMIN, R.AUDIT_ADMIN}
CASE_ROLES = set(Role) - ADMINS  # every business role sees the cases in its scope
# Who may do what to a case in their scope (the case here is a SHARED matter, whistled to ZJ).
ALLOWED: dict[str, set[str]] = {
    "triage": {R.OPERATOR, R.STREET_OFFICER},
    "merge": {R.OPERATOR, R.STREET_OFFICER},
    "deliberate": HANDLERS,
    "resolve": HANDLERS,
    "whistle": {R.OPERATOR, R.STREET_OFFICER},
    "department_report": {R.DEPARTMENT_LIAISON},  # and only for a department that was whistled
    "publicise": HANDLERS,
    "request_evaluation": HANDLERS,
    "evaluate": {R.SUPERVISION_COMMITTEE, R.DEMOCRATIC_SUPERVISOR},  # SHARED
    "reveal": CASE_ROLES,  # a reporter's full phone, with a reason (audited)
    "no_such_action": set(),  # unknown actions are denied
    "close": set(), "escalate": set(), "link_duplicate": set(),  # only as a result of other acts
    # 突发快响: the command centre dispatches a team; the team's steps belong to the members of the
    # dispatched team only (rapid.permissions, tests/test_rapid_response.py); breaches are the worker's
    "dispatch": {R.OPERATOR, R.STREET_OFFICER},
    "accept": set(), "arrive": set(), "report_result": set(), "request_reinforcement": set(), "clock_breach": set(),
    "withdraw_dispatch": set(),  # 撤回派单: rapid.permissions (who may dispatch), tests/test_rapid_response.py
    # supervision: done on the ledger / visit pages under supervision.permissions (street leader claims,
    # the claimer sets the deadline and reports, the grid leader records a visit; the worker's ladder) —
    # never through check_case_action; who may do them is tested in tests/test_supervision.py
    "ledger_claim": set(), "ledger_deadline": set(), "ledger_progress": set(), "ledger_remind": set(),
    "ledger_warn": set(), "ledger_notify": set(), "follow_up": set(),
}
SCOPES = ("own", "sibling", "parent")

# Every URL of sanshi.urls. Pages: "public"; "signin" (the sign-in steps); "staff" (any signed-in
# user, lists filtered by scope); "case"/"meeting" (404 outside scope); "audit" (audit admin only).
PAGES = {
    "": "public", "report/": "public", "report/done/<str:code>/": "public", "track/": "public",
    "track/<str:code>/": "public",
    "accounts/login/": "signin", "accounts/logout/": "signin", "accounts/otp/": "signin",
    "accounts/otp/enrol/": "signin",
    "staff/": "staff", "staff/submit/": "staff", "staff/pool/": "staff", "staff/hotspots/": "staff",
    "staff/bodies/<str:body>/": "staff", "staff/meetings/": "staff", "staff/meetings/new/": "staff",
    "staff/cases/<int:case_id>/": "case", "staff/meetings/<int:meeting_id>/": "meeting",
    "staff/audit/": "audit", "staff/notifications/": "staff",
    # "model": the 分拣模型 page, for operators, street officers and the system administrator (403 otherwise)
    "staff/triage/model/": "model",
    # 突发快响 (tests/test_rapid_response.py): a responder's dispatches and the teams list are filtered
    # (staff); a step is POST, members of the dispatched team only (403 in scope, 404 outside); the
    # duty switch is the street's operators and street officers (403)
    "staff/rapid/": "staff", "staff/rapid/teams/": "staff",
    "staff/rapid/dispatches/<int:dispatch_id>/<str:step>/": "team", "staff/rapid/teams/<int:team_id>/duty/": "duty",
    # withdrawing a dispatch (撤回派单) is POST, for who may dispatch on the case: 403 in scope, 404 outside
    "staff/rapid/dispatches/<int:dispatch_id>/withdraw/": "transition",
    # "command": operators and street officers only, 403 for other roles (tests/test_command_board.py)
    "staff/command/": "command", "staff/command/board/": "command", "staff/command/dispatch/": "command",
    "staff/command/duty/": "command", "staff/command/compliance/": "command",
    "staff/command/board/urgent/": "command", "staff/command/board/status/": "command",
    # supervision: lists filtered by scope; "ledger"/"visit" 404 outside scope (tests/test_supervision.py)
    "staff/ledger/": "staff", "staff/ledger/export/": "staff", "staff/visits/": "staff", "staff/calendar/": "staff",
    "staff/ledger/<int:entry_id>/": "ledger", "staff/visits/<int:visit_id>/": "visit",
    "i18n/": "django", "admin/": "django", "api/v1/": "api",  # included URLconfs checked elsewhere
}
# Every operation of the NinjaAPI: "public", "token" (any valid token), "cases" (filtered list),
# "case" (404 outside scope), "transition" (the action matrix), "meeting" (convening: see test).
API = {
    ("POST", "/api/v1/requests"): "public", ("GET", "/api/v1/track/{tracking_code}"): "public",
    ("GET", "/api/v1/catalogue"): "public", ("POST", "/api/v1/auth/token"): "public",
    ("POST", "/api/v1/auth/revoke"): "token", ("GET", "/api/v1/cases"): "cases",
    ("GET", "/api/v1/cases/{case_id}"): "case", ("GET", "/api/v1/cases/{case_id}/similar"): "case",
    ("POST", "/api/v1/cases/{case_id}/transitions"): "transition", ("POST", "/api/v1/meetings"): "meeting",
    # 突发快响 (tests/test_rapid_response.py): "dispatch" as the action matrix's dispatch; "team": members of
    # the dispatched team (403 in scope, 404 outside); lists filtered ("token"); "duty": street command centre
    ("POST", "/api/v1/cases/{case_id}/dispatch"): "transition", ("GET", "/api/v1/cases/{case_id}/dispatch-suggestion"): "case",
    ("GET", "/api/v1/dispatches"): "token", ("POST", "/api/v1/dispatches/{dispatch_id}/accept"): "team",
    ("POST", "/api/v1/dispatches/{dispatch_id}/arrive"): "team", ("POST", "/api/v1/dispatches/{dispatch_id}/result"): "team",
    ("POST", "/api/v1/dispatches/{dispatch_id}/reinforcement"): "team", ("GET", "/api/v1/teams"): "token",
    ("POST", "/api/v1/dispatches/{dispatch_id}/withdraw"): "transition",  # who may dispatch on the case
    ("POST", "/api/v1/teams/{team_id}/duty"): "duty",
    # the triage model's status and retraining: see tests/test_triage_retrain.py
    ("GET", "/api/v1/triage/model"): "model", ("POST", "/api/v1/triage/retrain"): "model",
    ("GET", "/api/v1/command/board"): "command", ("GET", "/api/v1/command/compliance"): "command",
    # supervision (tests/test_supervision.py): lists filtered by scope, items 404 outside scope, claim and
    # ledger edits street leaders only (403), visits grid leaders only, calendar edits street officer/system admin
    ("GET", "/api/v1/ledger"): "supervision", ("GET", "/api/v1/ledger/{entry_id}"): "supervision",
    ("POST", "/api/v1/ledger/{entry_id}/claim"): "supervision",
    ("POST", "/api/v1/ledger/{entry_id}/deadline"): "supervision",
    ("POST", "/api/v1/ledger/{entry_id}/progress"): "supervision",
    ("GET", "/api/v1/visits"): "supervision", ("POST", "/api/v1/visits/{visit_id}"): "supervision",
    ("GET", "/api/v1/calendar"): "supervision", ("POST", "/api/v1/calendar"): "supervision",
    ("DELETE", "/api/v1/calendar/{day}"): "supervision",
    # one's own in-app notifications (tests/test_notifications.py): only one's own, others' ids ignored
    ("GET", "/api/v1/notifications"): "token", ("POST", "/api/v1/notifications/read"): "token",
}


def _routes(resolver, prefix=""):
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if route in ("i18n/", "admin/", "api/v1/"):
                yield route
            else:
                yield from _routes(entry, route)
        elif isinstance(entry, URLPattern):
            yield route


def test_every_page_is_in_the_matrix():
    routes = set(_routes(get_resolver("sanshi.urls")))
    routes = {r for r in routes if not r.startswith("^media")}  # DEBUG-only static files
    assert routes - set(PAGES) == set(), "add the new page to PAGES with its expected access"
    assert set(PAGES) - routes == set(), "PAGES names a URL that no longer exists"


def test_every_api_operation_is_in_the_matrix():
    schema = api.get_openapi_schema(path_prefix="/api/v1")
    operations = {(method.upper(), path) for path, methods in schema["paths"].items() for method in methods}
    assert operations - set(API) == set(), "add the new API operation to API with its expected access"
    assert set(API) - operations == set()


def test_every_case_action_and_every_role_is_in_the_matrix():
    from sanshi.cases.transitions import MOVES

    assert {m.action for m in MOVES} <= set(ALLOWED)
    assert set(Role.values) == {r.value for r in Role}


class Matrix:
    """Every role held by one account at the community T1C1; a case at that node (own), at the
    sibling community T1C2 (sibling) and at the street T1 from a grid outside T1C1 (parent)."""

    def __init__(self, world, client):
        self.world = world
        self.users = {}
        for role in Role:
            department = world.zj if role == R.DEPARTMENT_LIAISON else None
            self.users[role] = world.staff(f"m-{role.value}", role, world.community, department=department)
        places = {"own": ("T1C1-G01", world.community), "sibling": ("T1C2-G01", world.sibling_community),
                  "parent": ("T1C2-G01", world.street)}
        self.cases = {}
        for scope, (grid, org) in places.items():
            code = submit(client, text=f"{scope} 楼道堆放杂物，占用消防通道", grid=grid, reporter_phone="13812345678",
                          title=f"matrix-{scope}").json()["tracking_code"]
            case = Case.objects.get(requests__tracking_code=code)
            Case.objects.filter(pk=case.pk).update(org=org, kind="SHARED")
            WhistleCall.objects.create(case=case, department=world.zj, called_at=case.created_at)
            self.cases[scope] = Case.objects.get(pk=case.pk)
        self.meetings = {scope: Meeting.objects.create(body="community_review_meeting", level=org.level, org=org,
                                                       title=f"m-{scope}", convener=world.secretary,
                                                       scheduled_at=self.cases[scope].created_at)
                         for scope, (_, org) in places.items()}


@pytest.fixture
def matrix(world, client):
    return Matrix(world, client)


def expected(role: str, scope: str, action: str) -> str:
    if scope != "own" or role in ADMINS:
        return "404"  # out of scope looks the same as missing
    return "allowed" if role in ALLOWED[action] else "403"


def outcome(user, case_id: int, action: str) -> str:
    try:
        case = get_case_or_404(user, case_id)  # what the API and the case page do first
        if action == "reveal":
            reporter_phone_reveal(actor=user, case=case, request_id=case.requests.get().pk, reason="回访")
        else:
            check_case_action(user, case, action)
    except NotFound:
        return "404"
    except NotPermitted:
        return "403"
    return "allowed"


def test_the_action_matrix(matrix):
    wrong = []
    for role, user in matrix.users.items():
        for scope, case in matrix.cases.items():
            for action in ALLOWED:
                want, got = expected(role, scope, action), outcome(user, case.pk, action)
                if want != got:
                    wrong.append(f"{role.value} × {scope} × {action}: expected {want}, got {got}")
    assert wrong == []


def test_a_liaison_may_report_only_for_a_department_that_was_whistled(matrix):
    WhistleCall.objects.all().delete()
    assert outcome(matrix.users[R.DEPARTMENT_LIAISON], matrix.cases["own"].pk, "department_report") == "403"


@pytest.mark.parametrize("kind,evaluators", [("HOUSEHOLD", {R.DEMOCRATIC_SUPERVISOR}),
                                             ("SHARED", {R.SUPERVISION_COMMITTEE, R.DEMOCRATIC_SUPERVISOR}),
                                             ("PUBLIC", {R.PEOPLES_CONGRESS, R.DEMOCRATIC_SUPERVISOR})])
def test_who_evaluates_depends_on_the_kind(matrix, kind, evaluators):
    Case.objects.filter(pk=matrix.cases["own"].pk).update(kind=kind)
    for role, user in matrix.users.items():
        want = "404" if role in ADMINS else ("allowed" if role in evaluators else "403")
        assert outcome(user, matrix.cases["own"].pk, "evaluate") == want, role


def _api(client, token_for, user):
    return token_for(user)


def test_the_api_over_http(matrix, client, token_for):
    """Each role through HTTP: case reads, a transition attempt (a triage, rolled back when it
    succeeds), the filtered list and the similar-cases list."""
    from django.db import transaction

    for role, user in matrix.users.items():
        headers = token_for(user)
        listed = {c["id"] for c in client.get("/api/v1/cases", **headers).json()}
        assert listed == (set() if role in ADMINS else {matrix.cases["own"].pk}), role
        for scope, case in matrix.cases.items():
            want = expected(role, scope, "triage")
            code = {"allowed": 200, "403": 403, "404": 404}[want]
            assert client.get(f"/api/v1/cases/{case.pk}", **headers).status_code == (404 if want == "404" else 200)
            assert client.get(f"/api/v1/cases/{case.pk}/similar", **headers).status_code == (
                404 if want == "404" else 200)
            with transaction.atomic():
                events = case.events.count()
                response = client.post(f"/api/v1/cases/{case.pk}/transitions",
                                       {"action": "triage", "kind": "SHARED", "catalogue_code": "S1", "reason": "复核"},
                                       content_type="application/json", **headers)
                assert response.status_code == code, (role, scope, response.content)
                assert case.events.count() == events + (1 if code == 200 else 0)
                transaction.set_rollback(True)
            unknown = client.post(f"/api/v1/cases/{case.pk}/transitions", {"action": "no_such_action"},
                                  content_type="application/json", **headers)
            assert unknown.status_code in (400, 404) and case.events.count() == 1
        assert client.post("/api/v1/auth/revoke", **headers).status_code == 204
        assert client.get("/api/v1/cases", **headers).status_code == 401


CONVENERS = HANDLERS  # on the same branch: own node, above, or the level above after an escalation


@pytest.mark.parametrize("role", list(Role))
def test_only_handlers_convene(matrix, client, token_for, role):
    response = client.post("/api/v1/meetings", {
        "org": "T1C1", "body": "community_review_meeting", "title": "议事会", "form": "meeting",
        "scheduled_at": "2026-11-20T10:00:00+08:00", "participants": [{"role": "mediator", "name": "乙"}],
        "cases": []}, content_type="application/json", **token_for(matrix.users[role]))
    assert response.status_code == (201 if role in CONVENERS else 403), response.content


@pytest.mark.parametrize("scope,status", [("own", 201), ("sibling", 403), ("parent", 201)])
def test_convening_a_meeting_over_http(matrix, client, token_for, scope, status):
    org = {"own": "T1C1", "sibling": "T1C2", "parent": "T1"}[scope]
    body = {"own": "community_review_meeting", "sibling": "community_review_meeting",
            "parent": "street_joint_meeting"}[scope]
    response = client.post("/api/v1/meetings", {
        "org": org, "body": body, "title": "议事会", "form": "meeting", "scheduled_at": "2026-11-20T10:00:00+08:00",
        "participants": [{"role": "democratic_supervisor" if scope == "parent" else "mediator", "name": "乙"}],
        "cases": []},
        content_type="application/json", **token_for(matrix.users[R.COMMUNITY_SECRETARY]))
    assert response.status_code in ((status,) if status != 201 else (201, 400)), response.content
    # a case out of scope named in the meeting is not found
    response = client.post("/api/v1/meetings", {
        "org": "T1C1", "body": "community_review_meeting", "title": "议事会", "form": "meeting",
        "scheduled_at": "2026-11-20T10:00:00+08:00", "participants": [{"role": "mediator", "name": "乙"}],
        "cases": [matrix.cases["sibling"].pk]}, content_type="application/json",
        **token_for(matrix.users[R.COMMUNITY_SECRETARY]))
    assert response.status_code == 404


def test_the_pages(matrix, client):
    for role, user in matrix.users.items():
        client.force_login(user)
        for route, kind in PAGES.items():
            if kind != "staff":
                continue
            url = "/" + route.replace("<str:body>", "community_review_meeting")
            assert client.get(url).status_code == 200, (role, url)
        pool = client.get("/staff/pool/").content.decode()
        assert ("matrix-own" in pool) is (role not in ADMINS), role
        assert "matrix-sibling" not in pool and "matrix-parent" not in pool, role
        for scope, case in matrix.cases.items():
            want = 404 if expected(role, scope, "triage") == "404" else 200
            assert client.get(f"/staff/cases/{case.pk}/").status_code == want, (role, scope)
            meeting = matrix.meetings[scope]
            visible = role not in ADMINS and scope in ("own", "parent")  # a meeting above includes us
            assert client.get(f"/staff/meetings/{meeting.pk}/").status_code == (200 if visible else 404), (role, scope)
        assert client.get("/staff/audit/").status_code == (200 if role == R.AUDIT_ADMIN else 403), role
        model_page = client.get("/staff/triage/model/").status_code
        assert model_page == (200 if role in (R.OPERATOR, R.STREET_OFFICER, R.SYSTEM_ADMIN) else 403), role
        client.logout()
    for route, kind in PAGES.items():
        if kind in ("staff", "case", "meeting", "audit", "command", "model"):
            url = "/" + route.replace("<str:body>", "x").replace("<int:case_id>", "1").replace("<int:meeting_id>", "1")
            response = client.get(url)
            assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_a_triage_on_the_case_page_is_refused_as_the_api_refuses(matrix, client):
    client.force_login(matrix.users[R.GRID_WORKER])
    case = matrix.cases["own"]
    response = client.post(f"/staff/cases/{case.pk}/", {"action": "triage", "kind": "SHARED", "catalogue_code": "S1"})
    assert response.status_code == 400 and case.events.count() == 1
    client.force_login(matrix.users[R.OPERATOR])
    assert client.post(f"/staff/cases/{matrix.cases['sibling'].pk}/", {"action": "triage"}).status_code == 404
