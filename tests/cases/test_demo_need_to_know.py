"""Every demo account on the demo district: what it sees through the API and the pages, against the
need-to-know rules of DOMAIN.md §3b — including the leaks the review found (issue 17). One demo
build for the whole module (rolled back at its end)."""

import re

import pytest
from django.db import transaction

from sanshi.accounts.models import User
from sanshi.cases.models import Case, CaseEvent, WhistleCall
from sanshi.deliberation.models import AgendaItem, Meeting, Participant
from sanshi.intake.models import Request
from sanshi.registry.models import OrgNode

pytestmark = pytest.mark.slow

TRACKING = re.compile(r"(?<![A-Z0-9])[A-HJ-NP-Z2-9]{10}(?![A-Z0-9])")


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    from sanshi.demo.builder import build_demo

    with django_db_blocker.unblock(), transaction.atomic():
        build_demo(out=lambda _line: None)  # the demo `make run` builds
        yield
        transaction.set_rollback(True)


@pytest.fixture
def as_(demo, db, client):
    def sign_in(username: str):
        client.force_login(User.objects.get(username=username))
        return client

    return sign_in


def _api_ids(client, token) -> set[int]:
    ids, offset = set(), 0
    while True:
        page = client.get(f"/api/v1/cases?limit=200&offset={offset}", HTTP_AUTHORIZATION=f"Bearer {token}").json()
        ids |= {c["id"] for c in page}
        if len(page) < 200:
            return ids
        offset += 200


@pytest.fixture
def api_ids(demo, db, client):
    from sanshi.accounts.services import token_issue
    from sanshi.cases.scope import cases

    def listed(username: str) -> set[int]:
        user = User.objects.get(username=username)
        raw, _ = token_issue(username=username, password="sanshi-demo", request=None)
        ids = _api_ids(client, raw)
        assert ids == set(cases(user).values_list("pk", flat=True)), username  # the API lists what scope allows
        return ids

    return listed


def test_a_department_liaison_sees_only_the_cases_whistled_to_its_department(api_ids):
    seen = api_ids("demo-dept-zj")
    whistled = set(WhistleCall.objects.filter(department__code="ZJ").values_list("case_id", flat=True))
    assert seen == whistled and seen  # not 352 of 364: only its own calls
    assert not Case.objects.filter(pk__in=seen).exclude(kind="PUBLIC").exists()


def test_meeting_members_see_only_their_meetings_cases_and_cannot_reveal_phones(api_ids, as_):
    for username in ("demo-property", "demo-resident", "demo-mediator"):
        seen = api_ids(username)
        agenda = set(AgendaItem.objects.filter(meeting__participants__user__username=username)
                     .values_list("case_id", flat=True))
        assert seen == agenda and seen, username
        client = as_(username)
        case = Case.objects.filter(pk__in=seen, requests__isnull=False).first()
        request = case.requests.first()
        page = client.post(f"/staff/cases/{case.pk}/", {"action": "reveal", "request": request.pk, "reason": "随便看看"})
        assert page.status_code == 403 and "只有承办该事项的工作人员可以查看完整号码" in page.content.decode(), username
        assert not request.reporter_phone or request.reporter_phone not in page.content.decode()
        assert not CaseEvent.objects.filter(case=case, action="phone_reveal").exists()


def test_evaluators_see_the_kinds_they_rate_from_the_notice_on(api_ids):
    rated = CaseEvent.objects.filter(action__in=["publicise", "request_evaluation"]).values("case_id")
    # the supervision committee follows a shared matter from its resolution on (B2), then rates it
    followed = CaseEvent.objects.filter(action__in=["resolve", "publicise", "request_evaluation"]).values("case_id")
    committee = api_ids("demo-committee")
    assert committee and not Case.objects.filter(pk__in=committee).exclude(kind="SHARED").exists()
    assert not Case.objects.filter(pk__in=committee).exclude(pk__in=followed).exists()
    assert Case.objects.filter(pk__in=committee).exclude(pk__in=rated).exists()  # one being carried out
    congress = api_ids("demo-congress")
    assert congress and not Case.objects.filter(pk__in=congress).exclude(kind="PUBLIC").exists()
    supervisor = api_ids("demo-supervisor")
    assert not Case.objects.filter(pk__in=supervisor).exclude(pk__in=rated).exists()


def test_area_roles_see_their_subtree_and_the_district_sees_the_district(api_ids):
    district = api_ids("demo-district")
    placed = set(Case.objects.exclude(grid__isnull=True, org__isnull=True).values_list("pk", flat=True))
    assert district == placed
    ds = OrgNode.objects.get(code="DS")
    operator = api_ids("demo-operator")
    assert operator == set(Case.objects.filter(
        grid__path__startswith=ds.path).values_list("pk", flat=True)) | set(
        Case.objects.filter(org__path__startswith=ds.path).values_list("pk", flat=True)) | set(
        Case.objects.filter(grid__isnull=True, org__isnull=True).values_list("pk", flat=True))
    grid = OrgNode.objects.get(code="DS01-G01")
    for username in ("demo-grid", "demo-gridleader", "demo-instructor"):
        seen = api_ids(username)
        submitted = set(Request.objects.filter(submitted_by__username=username).values_list("case_id", flat=True))
        for case in Case.objects.filter(pk__in=seen).select_related("grid", "org"):
            assert (case.grid and case.grid.path.startswith(grid.path)) or (
                case.org and case.org.path.startswith(grid.path)) or case.pk in submitted, (username, case.number)


def test_responders_and_the_hotline_see_their_own_and_administrators_nothing(api_ids):
    from sanshi.rapid.models import Dispatch

    squad = api_ids("demo-squad")
    assert squad == set(Dispatch.objects.filter(team__memberships__user__username="demo-squad")
                        .values_list("case_id", flat=True))
    assert api_ids("demo-hotline") == set(Request.objects.filter(submitted_by__username="demo-hotline")
                                          .values_list("case_id", flat=True))
    for username in ("demo-sysadmin", "demo-secadmin", "demo-auditadmin"):
        assert api_ids(username) == set(), username


def test_a_grid_worker_cannot_post_a_street_urgent_case_nor_convene_above_the_grid(demo, db, client, as_):
    from sanshi.accounts.services import token_issue

    raw, _ = token_issue(username="demo-grid", password="sanshi-demo", request=None)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    urgent = Case.objects.filter(urgent=True, status="handling", kind="PUBLIC").first()
    if urgent is not None:  # visible to the grid worker only when in its grid; refused either way
        response = client.post(f"/api/v1/cases/{urgent.pk}/transitions", {"action": "publicise", "result": "x",
                               "notice": "x"}, content_type="application/json", **auth)
        assert response.status_code in (403, 404)
        assert Case.objects.get(pk=urgent.pk).status == "handling"
    for org, body in (("DS", "street_joint_meeting"), ("DS01", "community_review_meeting")):
        response = client.post("/api/v1/meetings", {
            "org": org, "body": body, "title": "议事会", "scheduled_at": "2026-11-20T10:00:00+08:00",
            "participants": [{"role": "street_officer" if body == "street_joint_meeting" else "grid_worker",
                              "name": "甲"}], "cases": []}, content_type="application/json", **auth)
        assert response.status_code == 403, (org, response.content)
    # allowed_actions are the grid worker's own: never a whistle call
    for case_id in list(Case.objects.filter(grid__code="DS01-G01").values_list("pk", flat=True))[:20]:
        detail = client.get(f"/api/v1/cases/{case_id}", **auth).json()
        assert "whistle" not in detail["allowed_actions"] and "triage" not in detail["allowed_actions"]


def test_a_secretary_cannot_convene_the_street_meeting(demo, db, client):
    from sanshi.accounts.services import token_issue

    raw, _ = token_issue(username="demo-secretary", password="sanshi-demo", request=None)
    response = client.post("/api/v1/meetings", {
        "org": "DS", "body": "street_joint_meeting", "title": "联席会", "scheduled_at": "2026-11-20T10:00:00+08:00",
        "participants": [{"role": "street_officer", "name": "甲"}], "cases": []}, content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 403


def test_staff_pages_never_show_a_tracking_code(demo, db, as_):
    codes = set(Request.objects.values_list("tracking_code", flat=True))
    for username in ("demo-operator", "demo-secretary", "demo-grid", "demo-supervisor"):
        client = as_(username)
        pages = ["/staff/", "/staff/pool/", "/staff/hotspots/"]
        pages += [f"/staff/cases/{pk}/" for pk in
                  Case.objects.order_by("pk").values_list("pk", flat=True)[:200]]
        for url in pages:
            response = client.get(url)
            if response.status_code != 200:
                continue
            assert not set(TRACKING.findall(response.content.decode())) & codes, (username, url)


def test_the_meetings_list_filters_before_it_slices(demo, db, as_):
    from datetime import timedelta

    from django.utils import timezone

    secretary = User.objects.get(username="demo-secretary")
    own = Meeting.objects.create(body="community_review_meeting", level="community",
                                 org=OrgNode.objects.get(code="DS01"), title="东门社区的会", convener=secretary,
                                 scheduled_at=timezone.now() - timedelta(days=400))
    neighbour = OrgNode.objects.get(code="DS02")
    other = User.objects.filter(staff_roles__role="community_secretary", staff_roles__node=neighbour).first()
    Meeting.objects.bulk_create([Meeting(body="community_review_meeting", level="community", org=neighbour,
                                         title=f"邻社区的会{i}", convener=other, scheduled_at=timezone.now())
                                 for i in range(25)])
    page = as_("demo-secretary").get("/staff/meetings/").content.decode()
    assert own.title in page and "邻社区的会" not in page
    Participant.objects.create(meeting=own, role="mediator", name="x")  # a row more, the same page
