"""The permission matrix (等保 2.0 访问控制): every role × scope × case action, every staff API
operation and every staff page, against a table declared here — not derived from the code under
test. A URL or API operation missing from the tables fails the suite."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from sanshi.api.api import api
from sanshi.cases.actions import get_case_or_404
from sanshi.cases.models import Case, CaseEvent, WhistleCall
from sanshi.cases.scope import check
from sanshi.core.errors import NotFound, NotPermitted
from sanshi.deliberation.models import AgendaItem, Meeting
from sanshi.intake.services import reporter_phone_reveal
from sanshi.registry.models import Role

from ..helpers import submit

R = Role
ADMINS = {R.SYSTEM_ADMIN, R.SECURITY_ADMIN, R.AUDIT_ADMIN}
GRID_STAFF = {R.GRID_LEADER, R.GRID_WORKER, R.GRID_INSTRUCTOR}
MEMBERS = {R.MEDIATOR, R.PROPERTY_REP, R.RESIDENT_REP}  # sit in the meeting that has every "own" case

# ---- the oracle: DOMAIN.md §3b, written out by hand (never derived from the code under test) ----
# Each role is held at its natural node: the district officer, liaisons (ZJ), the hotline system and
# the administrators at the district T; the command centre, street officers, democratic supervisors,
# people's-congress committee and responders at the street T1; the secretary, supervision committee
# and meeting members at the community T1C1; grid staff at its grid T1C1-G01.
# The cases, each with its notice posted (raters see a case from then on):
#   household: T1C1-G01's grid neighbour meeting;  shared: T1C1's community review meeting;
#   public: T1's street joint meeting;  sibling: a shared matter of T1C2;  other: one of street T2.
# The three "own" cases are whistled to ZJ, on the agenda of a meeting the members sit in, dispatched
# to the responder's team and submitted by the hotline system.
OWN = {"household", "shared", "public"}
SEES: dict[str, set[str]] = {
    R.DISTRICT_OFFICER: OWN | {"sibling", "other"},
    R.OPERATOR: OWN | {"sibling"}, R.STREET_OFFICER: OWN | {"sibling"},
    R.DEMOCRATIC_SUPERVISOR: OWN | {"sibling"},  # rates every kind, in the street
    R.PEOPLES_CONGRESS: {"public"},  # rates public matters
    R.SUPERVISION_COMMITTEE: {"shared"},  # rates shared matters of its community
    R.COMMUNITY_SECRETARY: OWN,  # the public matter's grid lies in the community
    **{r: OWN for r in GRID_STAFF},  # likewise in the grid
    R.DEPARTMENT_LIAISON: OWN,  # whistled to ZJ
    **{r: OWN for r in MEMBERS},  # on the agenda of the meeting they sit in
    R.RESPONDER: OWN,  # dispatched to the team
    R.INTAKE_CLIENT: OWN,  # the requests it submitted
    **{r: set() for r in ADMINS},
}
# who may take each action, on each case they see (a role not listed: 403 if it sees the case, 404 if not)
DOES: dict[str, dict[str, set[str]]] = {
    "triage": {c: {R.OPERATOR, R.STREET_OFFICER} for c in OWN | {"sibling"}},
    "retriage": {c: {R.OPERATOR, R.STREET_OFFICER} for c in OWN | {"sibling"}},  # who triages re-routes
    "merge": {c: {R.OPERATOR, R.STREET_OFFICER} for c in OWN | {"sibling"}},
    "dispatch": {c: {R.OPERATOR, R.STREET_OFFICER} for c in OWN | {"sibling"}},
    "whistle": {"public": {R.OPERATOR, R.STREET_OFFICER}},  # a street-level public matter
    # convene and decide: the body's own convener at the body's node, nobody above or below
    "deliberate": {"household": {R.GRID_LEADER}, "shared": {R.COMMUNITY_SECRETARY}, "public": {R.STREET_OFFICER}},
    "resolve": {"household": {R.GRID_LEADER}, "shared": {R.COMMUNITY_SECRETARY}, "public": {R.STREET_OFFICER}},
    # carry the decision on: the convener, and at the grid its grid worker (the command centre: urgent events)
    "publicise": {"household": {R.GRID_LEADER, R.GRID_WORKER}, "shared": {R.COMMUNITY_SECRETARY},
                  "public": {R.STREET_OFFICER}},
    "request_evaluation": {"household": {R.GRID_LEADER, R.GRID_WORKER}, "shared": {R.COMMUNITY_SECRETARY},
                           "public": {R.STREET_OFFICER}},
    "department_report": {c: {R.DEPARTMENT_LIAISON} for c in OWN},  # only for a department that was whistled
    "evaluate": {"household": {R.DEMOCRATIC_SUPERVISOR}, "shared": {R.DEMOCRATIC_SUPERVISOR, R.SUPERVISION_COMMITTEE},
                 "public": {R.DEMOCRATIC_SUPERVISOR, R.PEOPLES_CONGRESS}, "sibling": {R.DEMOCRATIC_SUPERVISOR}},
    # a reporter's full phone, with a reason: the handler only (convener, who carries it on, the grid's
    # staff who work it, the team dispatched to it)
    "reveal": {"household": {R.GRID_LEADER, R.GRID_WORKER, R.RESPONDER},
               "shared": {R.COMMUNITY_SECRETARY, R.GRID_LEADER, R.GRID_WORKER, R.RESPONDER},
               "public": {R.STREET_OFFICER, R.GRID_LEADER, R.GRID_WORKER, R.RESPONDER}},
    # 家事网格自办: the grid leader settles a household matter without a meeting (DOMAIN.md §3 step 2)
    "settle": {"household": {R.GRID_LEADER}},
    # a shared matter: the community review meeting's convener asks its grids for opinions (J3); the grid
    # meeting's convener records one on the meeting (tests/deliberation/test_consultation.py), not a case rule
    "consult": {"shared": {R.COMMUNITY_SECRETARY}},
    "give_opinion": {},
    # the supervision committee follows a shared resolution to done (B2); the status is the service's check
    "record_progress": {"shared": {R.SUPERVISION_COMMITTEE}},
    "no_such_action": {},
    "close": {}, "escalate": {},  # only as the result of a rating
    "send_down": {},  # only as the result of the level above deciding an escalated matter
    # 张榜公示: who publicises the case moderates residents' comments on its notice; an upheld objection
    # sends it back to deliberation (reopen: only as the result of that decision)
    "moderate": {"household": {R.GRID_LEADER, R.GRID_WORKER}, "shared": {R.COMMUNITY_SECRETARY},
                 "public": {R.STREET_OFFICER}},
    "reopen": {},
}
CASE_NAMES = ("household", "shared", "public", "sibling", "other")

SCOPES = ("own", "sibling", "parent")

# Every URL of sanshi.urls. Pages: "public"; "signin" (the sign-in steps); "staff" (any signed-in
# user, lists filtered by scope); "case"/"meeting" (404 outside scope); "audit" (audit admin only).
PAGES = {
    "": "public", "report/": "public", "report/done/<str:code>/": "public", "track/": "public",
    "track/<str:code>/": "public",
    "accounts/login/": "signin", "accounts/logout/": "signin", "accounts/otp/": "signin",
    "accounts/otp/enrol/": "signin",
    "staff/": "staff", "staff/submit/": "staff", "staff/pool/": "staff", "staff/hotspots/": "staff",
    # the tracking slip: once, to who registered the request (404 to anyone else); the search by a
    # tracking code a resident reads out opens a case in sight, never shows the code (tests/intake)
    "staff/submit/<int:request_id>/slip/": "slip", "staff/find/": "find",
    # the parties' rating page: the rating code is the credential (tests/evaluation); the slip of codes is
    # printed once by the case's handler (a message for others in scope, 404 outside)
    "rate/": "public", "rate/<str:code>/": "public", "staff/cases/<int:case_id>/rating-slips/": "slip",
    "staff/bodies/<str:body>/": "staff", "staff/meetings/": "staff", "staff/meetings/new/": "staff",
    # the lists' Excel exports (tests/exports/): the list's own rows, filtered by scope, audited
    "staff/bodies/<str:body>/export/": "staff", "staff/meetings/export/": "staff", "staff/pool/export/": "staff",
    "staff/visits/export/": "staff",
    "staff/cases/<int:case_id>/": "case", "staff/meetings/<int:meeting_id>/": "meeting",
    # "photo": a request's or a team's photo, a ballot's scan: signed in, 404 unless its case (its vote's roll)
    # is in sight, role by role as SEES (tests/security/test_photos.py); nothing serves /media/
    "staff/photos/<int:photo_id>/": "photo", "staff/photos/dispatches/<int:dispatch_id>/": "photo",
    "staff/votes/ballots/<int:ballot_id>/<str:document>/": "photo",
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
    # 数据看板 (tests/kpis/test_dashboard.py): area staff, nodes of their area only (404 outside), 403 without an
    # area; wall screens issued and revoked by the street's command centre (403 otherwise), shown to the browser
    # holding a live screen's cookie (403 without one)
    "staff/dashboard/": "kpis", "staff/dashboard/export/": "kpis", "staff/dashboard/screens/": "screens",
    "staff/dashboard/screens/<int:screen_id>/revoke/": "screens", "screen/": "screen",
    "staff/command/board/urgent/": "command", "staff/command/board/status/": "command",
    # supervision: lists filtered by scope; "ledger"/"visit" 404 outside scope (tests/test_supervision.py)
    "staff/ledger/": "staff", "staff/ledger/export/": "staff", "staff/visits/": "staff", "staff/calendar/": "staff",
    "staff/ledger/<int:entry_id>/": "ledger", "staff/visits/<int:visit_id>/": "visit",
    # 岗位与账号 (tests/registry/): active security administrators only, 403 for every other role; a role
    # or node outside the administrator's subtree 404; activation-link renewal is POST
    "staff/roles/": "roles", "staff/roles/grant/": "roles", "staff/roles/<int:role_id>/revoke/": "roles",
    "staff/roles/accounts/new/": "roles", "staff/roles/accounts/<int:user_id>/activation/": "roles",
    "staff/roles/accounts/<int:user_id>/otp-activation/": "roles",
    # Excel 导入 (tests/imports/): the page of what one may import opens for everyone signed in; a sheet's page
    # and template are the community's staff's (households, residents) and the security administrator's
    # (accounts), 403 for every other role
    "staff/imports/": "staff", "staff/imports/<str:kind>/": "imports",
    "staff/imports/<str:kind>/template.xlsx": "imports",
    # a new account's owner sets the first password from the one-time link: no sign-in, the link is the credential
    "staff/roles/activate/<uidb64>/<token>/": "signin",
    # 业主共同决定 (tests/votes/): lists filtered by scope (the new-vote form offers only the community
    # secretary's resolutions and electorates); "electorate"/"vote" 404 outside the area, 403 to write for
    # anyone but the community's secretary; the owners' ballot page is public (a code by SMS)
    "staff/votes/": "staff", "staff/votes/new/": "staff", "staff/votes/electorates/": "staff",
    "staff/votes/electorates/template.xlsx": "staff", "staff/votes/<int:vote_id>/": "vote",
    "staff/votes/electorates/<int:electorate_id>/": "electorate",
    "staff/votes/electorates/<int:electorate_id>/import/": "electorate", "staff/votes/units/<int:unit_id>/": "electorate",
    "staff/votes/export/": "staff",  # the votes list's Excel export (tests/exports/): its own rows, audited
    "votes/<int:vote_id>/ballot/": "public",
    # the probes (docs/operations.md): public, figures and times only, no personal data (tests/core/test_health.py)
    "healthz": "public", "readyz": "public",
    # 张榜公示 (tests/notices/): the board, a notice (its comment form limited per address), its PDF and the feed
    # are public; the moderation list is filtered by scope; a decision is POST, for who may publicise the
    # case (403 in sight, 404 outside)
    "notices/": "public", "notices/feed/": "public", "notices/<int:notice_id>/": "public",
    "notices/<int:notice_id>.pdf": "public", "staff/notices/": "staff",
    "staff/notices/comments/<int:comment_id>/": "moderate",
    "staff/notices/export/": "staff",  # the notices in sight, filtered, to Excel (tests/exports/): audited
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
    # a team's site photo, for who sees its case, role by role (tests/security/test_photos.py)
    ("GET", "/api/v1/dispatches/{dispatch_id}/photo"): "case",
    ("POST", "/api/v1/teams/{team_id}/duty"): "duty",
    # the triage model's status and retraining: see tests/test_triage_retrain.py
    ("GET", "/api/v1/triage/model"): "model", ("POST", "/api/v1/triage/retrain"): "model",
    ("GET", "/api/v1/command/board"): "command", ("GET", "/api/v1/command/compliance"): "command",
    # 数据看板 (tests/kpis/test_api.py): area staff, nodes of their area only (404 outside it), 403 without an area
    ("GET", "/api/v1/kpis"): "kpis",
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
    # roles (tests/registry/test_roles_api.py): security administrators only (403), 404 outside their subtree,
    # 409 for a second 三员 role on one account, 403 for one's own account
    ("GET", "/api/v1/roles"): "roles", ("POST", "/api/v1/roles"): "roles",
    ("DELETE", "/api/v1/roles/{role_id}"): "roles", ("GET", "/api/v1/roles/{role_id}/handover"): "roles",
    # 业主共同决定 (tests/votes/test_votes_api.py): a vote's counts are public (no names); opening, paper and
    # proxy ballots and closing are the community secretary's (403 in sight, 404 outside)
    ("GET", "/api/v1/votes/{vote_id}"): "public", ("POST", "/api/v1/votes"): "votes",
    ("POST", "/api/v1/votes/{vote_id}/ballots"): "votes", ("POST", "/api/v1/votes/{vote_id}/close"): "votes",
    # 张榜公示 (tests/notices/): notices and comments on them are public (no personal data, a limit per address);
    # the pending list is filtered by the moderate rule, a decision is who may publicise (403 in sight, 404 outside)
    ("GET", "/api/v1/notices"): "public", ("GET", "/api/v1/notices/{notice_id}"): "public",
    ("POST", "/api/v1/notices/{notice_id}/comments"): "public", ("GET", "/api/v1/notice-comments"): "token",
    ("POST", "/api/v1/notice-comments/{comment_id}/moderation"): "moderate",
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
    assert routes - set(PAGES) == set(), "add the new page to PAGES with its expected access"
    assert set(PAGES) - routes == set(), "PAGES names a URL that no longer exists"


def test_every_api_operation_is_in_the_matrix():
    schema = api.get_openapi_schema(path_prefix="/api/v1")
    operations = {(method.upper(), path) for path, methods in schema["paths"].items() for method in methods}
    assert operations - set(API) == set(), "add the new API operation to API with its expected access"
    assert set(API) - operations == set()


def test_every_case_action_and_every_role_is_in_the_matrix():
    from sanshi.cases.transitions import MOVES

    assert {m.action for m in MOVES} - {"dispatch"} <= set(DOES)
    assert set(SEES) == set(Role.values)


class Matrix:
    """Every role at its natural node, and the five cases of the oracle."""

    def __init__(self, world, client):
        from sanshi.deliberation.models import Participant
        from sanshi.intake.models import Request
        from sanshi.rapid.models import Dispatch, ResponseTeam, TeamMember

        self.world = world
        nodes = {R.DISTRICT_OFFICER: world.district, R.DEPARTMENT_LIAISON: world.district,
                 R.INTAKE_CLIENT: world.district, **{r: world.district for r in ADMINS},
                 R.OPERATOR: world.street, R.STREET_OFFICER: world.street, R.DEMOCRATIC_SUPERVISOR: world.street,
                 R.PEOPLES_CONGRESS: world.street, R.RESPONDER: world.street,
                 R.COMMUNITY_SECRETARY: world.community, R.SUPERVISION_COMMITTEE: world.community,
                 **{r: world.community for r in MEMBERS}, **{r: world.grid for r in GRID_STAFF}}
        self.users = {role: world.staff(f"m-{role.value}", role, node,
                                        department=world.zj if role == R.DEPARTMENT_LIAISON else None)
                      for role, node in nodes.items()}
        places = {"household": ("T1C1-G01", world.grid, "HOUSEHOLD", "grid", "grid_neighbour_meeting"),
                  "shared": ("T1C1-G01", world.community, "SHARED", "community", "community_review_meeting"),
                  "public": ("T1C1-G01", world.street, "PUBLIC", "street", "street_joint_meeting"),
                  "sibling": ("T1C2-G01", world.sibling_community, "SHARED", "community", "community_review_meeting"),
                  "other": ("T2C1-G01", world.other_grid_community, "SHARED", "community",
                            "community_review_meeting")}
        meeting = Meeting.objects.create(body="community_review_meeting", level="community", org=world.community,
                                         title="m", convener=world.secretary, scheduled_at=_now())
        for role in MEMBERS:
            Participant.objects.create(meeting=meeting, role=role, name=role, user=self.users[role])
        team = ResponseTeam.objects.create(street=world.street, name="应急队")
        TeamMember.objects.create(team=team, user=self.users[R.RESPONDER])
        self.cases = {}
        for name, (grid, org, kind, level, body) in places.items():
            code = submit(client, text=f"{name} 楼道堆放杂物，占用消防通道", grid=grid, reporter_phone="13812345678",
                          title=f"matrix-{name}").json()["tracking_code"]
            case = Case.objects.get(requests__tracking_code=code)
            Case.objects.filter(pk=case.pk).update(org=org, kind=kind, level=level, body=body, status="evaluating")
            CaseEvent.objects.create(case=case, action="publicise", from_status="handling", to_status="publicised",
                                     at=case.created_at)
            if name in OWN:
                WhistleCall.objects.create(case=case, department=world.zj, called_at=case.created_at)
                AgendaItem.objects.create(meeting=meeting, case=case)
                Dispatch.objects.create(case=case, team=team, dispatched_at=case.created_at)
                Request.objects.filter(case=case).update(submitted_by=self.users[R.INTAKE_CLIENT])
            self.cases[name] = Case.objects.get(pk=case.pk)
        self.meeting = meeting


def _now():
    from django.utils import timezone

    return timezone.now()


@pytest.fixture
def matrix(world, client):
    return Matrix(world, client)


def expected(role: str, case: str, action: str) -> str:
    if case not in SEES[role]:
        return "404"  # out of sight looks the same as missing
    return "allowed" if role in DOES[action].get(case, set()) else "403"


def outcome(user, case_id: int, action: str) -> str:
    try:
        case = get_case_or_404(user, case_id)  # what the API and the case page do first
        if action == "reveal":
            reporter_phone_reveal(actor=user, case=case, request_id=case.requests.get().pk, reason="回访")
        else:
            check(user, action, case)
    except NotFound:
        return "404"
    except NotPermitted:
        return "403"
    return "allowed"


def test_each_role_sees_exactly_the_cases_the_oracle_names(matrix):
    from sanshi.cases.scope import cases

    wrong = {}
    for role, user in matrix.users.items():
        seen = {name for name, case in matrix.cases.items() if cases(user).filter(pk=case.pk).exists()}
        if seen != SEES[role]:
            wrong[role.value] = (sorted(seen), sorted(SEES[role]))
    assert wrong == {}


def test_the_action_matrix(matrix):
    wrong = []
    for role, user in matrix.users.items():
        for name, case in matrix.cases.items():
            for action in DOES:
                want, got = expected(role, name, action), outcome(user, case.pk, action)
                if want != got:
                    wrong.append(f"{role.value} × {name} × {action}: expected {want}, got {got}")
    assert wrong == []


def test_a_liaison_may_report_only_for_a_department_that_was_whistled(matrix):
    WhistleCall.objects.filter(case=matrix.cases["shared"]).delete()
    assert outcome(matrix.users[R.DEPARTMENT_LIAISON], matrix.cases["shared"].pk, "department_report") == "404"
    WhistleCall.objects.create(case=matrix.cases["shared"], department=matrix.world.cg,
                               called_at=matrix.cases["shared"].created_at)
    assert outcome(matrix.users[R.DEPARTMENT_LIAISON], matrix.cases["shared"].pk, "department_report") == "404"


def test_the_api_over_http(matrix, client, token_for):
    """Each role through HTTP: the filtered list, case reads, the similar-cases list, a triage attempt
    (rolled back when it succeeds) and allowed_actions offering only what the user may take."""
    from django.db import transaction

    for role, user in matrix.users.items():
        if role == R.INTAKE_CLIENT:
            continue  # a system's token: it submits requests (tests/test_intake_client.py)
        headers = token_for(user)
        listed = {c["id"] for c in client.get("/api/v1/cases?limit=200", **headers).json()}
        assert listed == {matrix.cases[n].pk for n in SEES[role]}, role
        for name, case in matrix.cases.items():
            want = expected(role, name, "triage")
            code = {"allowed": 200, "403": 403, "404": 404}[want]
            read = client.get(f"/api/v1/cases/{case.pk}", **headers)
            assert read.status_code == (404 if want == "404" else 200), (role, name)
            if read.status_code == 200:
                offered = set(read.json()["allowed_actions"])
                assert offered == {a for a in ("evaluate",) if expected(role, name, a) == "allowed"}, (role, name)
            assert client.get(f"/api/v1/cases/{case.pk}/similar", **headers).status_code == (
                404 if want == "404" else 200)
            with transaction.atomic():
                Case.objects.filter(pk=case.pk).update(status="received")
                events = case.events.count()
                response = client.post(f"/api/v1/cases/{case.pk}/transitions",
                                       {"action": "triage", "kind": "SHARED", "catalogue_code": "S1", "reason": "复核"},
                                       content_type="application/json", **headers)
                assert response.status_code == code, (role, name, response.content)
                assert case.events.count() == events + (1 if code == 200 else 0)
                transaction.set_rollback(True)
        assert client.post("/api/v1/auth/revoke", **headers).status_code == 204
        assert client.get("/api/v1/cases", **headers).status_code == 401


CONVENERS = {"grid_neighbour_meeting": ("T1C1-G01", {R.GRID_LEADER}),
             "community_review_meeting": ("T1C1", {R.COMMUNITY_SECRETARY}),
             "street_joint_meeting": ("T1", {R.STREET_OFFICER}),
             "district_joint_meeting": ("T", {R.DISTRICT_OFFICER})}


@pytest.mark.parametrize("body", list(CONVENERS))
def test_only_the_bodys_own_convener_convenes(matrix, client, token_for, body):
    org, conveners = CONVENERS[body]
    from sanshi.cases.routing import BODY_ROLES

    participant = sorted(BODY_ROLES[body])[0]
    for role, user in matrix.users.items():
        if role == R.INTAKE_CLIENT:
            continue
        response = client.post("/api/v1/meetings", {
            "org": org, "body": body, "title": "议事会", "form": "meeting",
            "scheduled_at": "2026-11-20T10:00:00+08:00", "participants": [{"role": participant, "name": "乙"}],
            "cases": []}, content_type="application/json", **token_for(user))
        assert response.status_code == (201 if role in conveners else 403), (role, body, response.content)


def test_a_case_out_of_sight_named_in_a_meeting_is_not_found(matrix, client, token_for):
    response = client.post("/api/v1/meetings", {
        "org": "T1C1", "body": "community_review_meeting", "title": "议事会", "form": "meeting",
        "scheduled_at": "2026-11-20T10:00:00+08:00", "participants": [{"role": "mediator", "name": "乙"}],
        "cases": [matrix.cases["sibling"].pk]}, content_type="application/json",
        **token_for(matrix.users[R.COMMUNITY_SECRETARY]))
    assert response.status_code == 404


def test_the_pages(matrix, client):
    """Every staff page opens for every role; lists show only what the oracle lets the role see; a case
    page is 404 out of sight; the meeting is seen by its community's area roles and the members in it."""
    meeting_seen_by = {R.DISTRICT_OFFICER, R.OPERATOR, R.STREET_OFFICER, R.COMMUNITY_SECRETARY} | MEMBERS
    for role, user in matrix.users.items():
        client.force_login(user)
        for route, kind in PAGES.items():
            if kind != "staff":
                continue
            url = "/" + route.replace("<str:body>", "community_review_meeting")
            assert client.get(url).status_code == 200, (role, url)
        for name, case in matrix.cases.items():
            want = 404 if name not in SEES[role] else 200
            assert client.get(f"/staff/cases/{case.pk}/").status_code == want, (role, name)
        listed = client.get("/staff/bodies/community_review_meeting/").content.decode()
        for name in ("shared", "sibling", "other"):
            assert (f"matrix-{name}" in listed) is (name in SEES[role]), (role, name)
        meeting_page = client.get(f"/staff/meetings/{matrix.meeting.pk}/").status_code
        assert meeting_page == (200 if role in meeting_seen_by else 404), role
        assert client.get("/staff/audit/").status_code == (200 if role == R.AUDIT_ADMIN else 403), role
        model_page = client.get("/staff/triage/model/").status_code
        assert model_page == (200 if role in (R.OPERATOR, R.STREET_OFFICER, R.SYSTEM_ADMIN) else 403), role
        assert client.get("/staff/roles/").status_code == (200 if role == R.SECURITY_ADMIN else 403), role
        client.logout()
    for route, kind in PAGES.items():
        if kind in ("staff", "case", "meeting", "audit", "command", "model", "roles", "imports", "kpis", "screens",
                    "photo"):
            url = "/" + (route.replace("<str:body>", "x").replace("<int:case_id>", "1").replace("<int:meeting_id>", "1")
                         .replace("<str:kind>", "households").replace("<int:screen_id>", "1")
                         .replace("<int:role_id>", "1").replace("<int:user_id>", "1").replace("<int:photo_id>", "1")
                         .replace("<int:dispatch_id>", "1").replace("<int:ballot_id>", "1").replace("<str:document>", "scan"))
            response = client.get(url)
            assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
        elif kind == "screen":  # a wall screen's cookie is its credential: without one, the sign-in notice
            assert client.get("/" + route).status_code == 403, route


# 数据看板: who opens it (an area role: DOMAIN.md §3b), who issues and revokes the street's wall screens
DASHBOARD = {R.DISTRICT_OFFICER, R.OPERATOR, R.STREET_OFFICER, R.COMMUNITY_SECRETARY} | GRID_STAFF
SCREENS = {R.OPERATOR, R.STREET_OFFICER}


def test_the_dashboard_its_api_and_the_wall_screens(matrix, client, token_for):
    """Pages "kpis" and "screens", API "kpis": each role gets 200 within its area, 404 for a node outside
    it (another street), 403 without an area."""
    for role, user in matrix.users.items():
        client.force_login(user)
        assert client.get("/staff/dashboard/").status_code == (200 if role in DASHBOARD else 403), role
        assert client.get("/staff/dashboard/export/").status_code == (200 if role in DASHBOARD else 403), role
        other_street = client.get("/staff/dashboard/?node=T2").status_code
        assert other_street == (200 if role == R.DISTRICT_OFFICER else 404 if role in DASHBOARD else 403), role
        assert client.get("/staff/dashboard/screens/").status_code == (200 if role in SCREENS else 403), role
        revoke = client.post("/staff/dashboard/screens/999999/revoke/").status_code
        assert revoke == (404 if role in SCREENS else 403), role
        client.logout()
        headers = token_for(user)
        assert client.get("/api/v1/kpis", **headers).status_code == (200 if role in DASHBOARD else 403), role
        other_street = client.get("/api/v1/kpis?node=T2", **headers).status_code
        assert other_street == (200 if role == R.DISTRICT_OFFICER else 404 if role in DASHBOARD else 403), role
    assert client.get("/api/v1/kpis").status_code == 401


def test_a_triage_on_the_case_page_is_refused_as_the_api_refuses(matrix, client):
    client.force_login(matrix.users[R.GRID_WORKER])
    case = matrix.cases["shared"]
    Case.objects.filter(pk=case.pk).update(status="received")
    events = case.events.count()
    response = client.post(f"/staff/cases/{case.pk}/", {"action": "triage", "kind": "SHARED", "catalogue_code": "S1"})
    assert response.status_code == 403 and case.events.count() == events  # as the API: 403, audited
    client.force_login(matrix.users[R.OPERATOR])
    assert client.post(f"/staff/cases/{matrix.cases['other'].pk}/", {"action": "triage"}).status_code == 404
