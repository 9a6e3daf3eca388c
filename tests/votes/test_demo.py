"""The demo district holds 东门社区's compound with its units and owners, and two owners' votes on
resolutions of SHARED cases its review meeting decided: one passed, one failed for want of owners."""

from sanshi.cases.models import CaseEvent
from sanshi.registry.models import Person
from sanshi.votes.models import Ballot, Electorate, Vote
from sanshi.votes.selectors import electorate_stats


def test_the_demo_has_a_compound_and_a_vote_that_passed_and_one_that_did_not(db):
    from django.utils import timezone

    from sanshi.demo.builder import build_demo

    build_demo(requests=24, out=lambda line: None)
    electorate = Electorate.objects.get(node__code="DS01-G01")
    stats = electorate_stats(electorate)
    # 48 units; the developer's two unsold units count once, and so do the investor's three
    assert stats["units"] == 48 and stats["developer_units"] == 2 and stats["owners"] == 48 - 1 - 2
    assert Person.objects.filter(owned_units__electorate=electorate).distinct().count() >= 45
    passed, failed = Vote.objects.get(passed=True), Vote.objects.get(passed=False)
    assert passed.item == 8 and passed.result["participation_met"] and passed.result["approval_met"]
    assert failed.item == 4 and failed.secret and not failed.result["participation_met"]
    for vote in (passed, failed):
        case = vote.agenda_item.case
        assert case.kind == "SHARED" and case.org.code == "DS01"
        assert vote.agenda_item.meeting.body == "community_review_meeting" and vote.agenda_item.decided_at
        assert CaseEvent.objects.filter(case=case, action="vote_closed", at__lt=timezone.now()).exists()
        assert vote.opened_at < vote.closed_at < timezone.now()
        assert {b.channel for b in Ballot.objects.filter(vote=vote)} >= {"web", "paper"}
