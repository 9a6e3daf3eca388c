"""Every list page, the case page and the meeting page run a fixed number of queries however many
rows they show (STYLE: a query-count assertion on every list page). Each page is measured with a few
rows and with many; the counts must be equal."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sanshi.cases.models import Case, CaseEvent
from sanshi.deliberation.models import AgendaItem, Meeting, Participant
from sanshi.intake.services import RequestInput, request_submit

from ..conftest import PASSWORD


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(queries)


def _requests(n: int, grid: str = "T1C1-G01") -> list[Case]:
    return [request_submit(actor=None, data=RequestInput(text=f"第{i}件：小区物业费又涨了，服务越来越差",
                                                         grid_code=grid)).case for i in range(n)]


def _triaged(world, n: int) -> list[Case]:
    from sanshi.cases.services import case_triage

    cases = _requests(n)
    for case in cases:
        case_triage(actor=world.operator, case=case, kind="SHARED", catalogue_code="S2", reason="复核")
    return cases


def _same(client, url, grow, *, few=2, many=12):
    grow(few)
    small = _count(client, url)
    grow(many - few)
    large = _count(client, url)
    assert large == small, f"{url}: {small} queries with {few} rows, {large} with {many}"


@pytest.mark.parametrize("username,url", [("operator", "/staff/pool/"), ("operator", "/staff/hotspots/"),
                                          ("operator", "/staff/")])
def test_pool_hotspots_and_home_of_the_command_centre(world, client, username, url):
    client.login(username=username, password=PASSWORD)
    _same(client, url, lambda n: _requests(n))


@pytest.mark.parametrize("url", ["/staff/", "/staff/bodies/community_review_meeting/"])
def test_the_secretarys_home_and_body_list(world, client, url):
    client.login(username="secretary", password=PASSWORD)
    _same(client, url, lambda n: _triaged(world, n))


def test_the_api_case_list(world, client, token_for):
    headers = token_for(world.operator)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/v1/cases?limit=200", **headers).status_code == 200
        return len(queries)

    _requests(2)
    small = count()
    _requests(10)
    assert count() == small


def _meetings(world, n: int) -> None:
    Meeting.objects.bulk_create([Meeting(body="community_review_meeting", level="community", org=world.community,
                                         title=f"会{i}", convener=world.secretary, scheduled_at=timezone.now())
                                 for i in range(n)])


def test_the_meetings_list(world, client):
    client.login(username="secretary", password=PASSWORD)
    _same(client, "/staff/meetings/", lambda n: _meetings(world, n))


def test_the_meeting_page_with_its_agenda_and_participants(world, client):
    meeting = Meeting.objects.create(body="community_review_meeting", level="community", org=world.community,
                                     title="评议会", convener=world.secretary, scheduled_at=timezone.now())
    client.login(username="secretary", password=PASSWORD)

    def grow(n):
        for case in _triaged(world, n):
            AgendaItem.objects.create(meeting=meeting, case=case)
            Participant.objects.create(meeting=meeting, role="mediator", name=f"调解员{case.pk}")

    _same(client, f"/staff/meetings/{meeting.pk}/", grow)


def test_the_case_page_with_many_events_and_requests(world, client):
    case = _triaged(world, 1)[0]
    client.login(username="secretary", password=PASSWORD)

    def grow(n):
        from sanshi.intake.models import Request

        for i in range(n):
            CaseEvent.objects.create(case=case, action="ledger_progress", from_status=case.status,
                                     to_status=case.status, at=timezone.now(), actor=world.operator,
                                     public_note=f"进展{i}")
            extra = _requests(1)[0]
            Request.objects.filter(case=extra).update(case=case)

    _same(client, f"/staff/cases/{case.pk}/", grow)


def _evaluating(world, n: int) -> list[Case]:
    cases = _triaged(world, n)
    for case in cases:
        Case.objects.filter(pk=case.pk).update(status="evaluating")
        CaseEvent.objects.create(case=case, action="publicise", from_status="handling", to_status="publicised",
                                 at=timezone.now())
    return cases


def test_an_evaluators_home_lists_what_waits_for_their_rating(world, client):
    client.login(username="committee", password=PASSWORD)
    _same(client, "/staff/", lambda n: _evaluating(world, n))


def test_a_grid_leaders_home_with_household_matters(world, client):
    from sanshi.cases.services import case_triage

    def grow(n):
        for case in _requests(n):
            case_triage(actor=world.operator, case=case, kind="HOUSEHOLD", catalogue_code="H2", reason="复核")

    client.login(username="gridleader", password=PASSWORD)
    _same(client, "/staff/", grow)


def test_a_liaisons_home_with_whistled_cases(world, client):
    from sanshi.cases.models import WhistleCall

    def grow(n):
        for case in _triaged(world, n):
            Case.objects.filter(pk=case.pk).update(kind="PUBLIC", status="handling", level="street",
                                                   body="street_joint_meeting", org=world.street)
            WhistleCall.objects.create(case=case, department=world.zj, called_at=timezone.now())

    client.login(username="liaison-zj", password=PASSWORD)
    _same(client, "/staff/", grow)


def test_the_notifications_inbox(world, client):
    from sanshi.core.notify import notify

    client.login(username="operator", password=PASSWORD)
    _same(client, "/staff/notifications/",
          lambda n: [notify(recipients=[world.operator], subject=f"通知{i}", body="内容", kind="test") for i in range(n)])


def test_the_response_teams_page(world, client):
    from sanshi.rapid.models import ResponseTeam, TeamMember

    def grow(n):
        for i in range(n):
            team = ResponseTeam.objects.create(street=world.street, name=f"应急队{ResponseTeam.objects.count()}")
            TeamMember.objects.create(team=team, user=world.staff(f"member-{team.pk}-{i}", "responder", world.street))

    client.login(username="operator", password=PASSWORD)
    _same(client, "/staff/rapid/teams/", grow)
