"""A vote's life cycle: opened on a community review meeting's resolution of a SHARED matter with its
roll frozen, ballots entered on paper or by proxy, closed and counted once — each move a VoteEvent,
an audit row and a line on the case's timeline; refused moves change nothing; ballots are kept."""

from decimal import Decimal

import pytest
from django.db.models import ProtectedError

from sanshi.audit.models import AuditEntry
from sanshi.cases.models import CaseEvent
from sanshi.core.errors import NotFound, NotPermitted, TransitionNotAllowed, ValidationFailed
from sanshi.registry.models import Role
from sanshi.votes.models import Ballot, SecretCount, Vote, VoteEvent
from sanshi.votes.selectors import vote_summary, vote_tally
from sanshi.votes.services import ballot_record, unit_update, vote_close, vote_open

from .conftest import png, shared_resolution


@pytest.fixture
def three(compound):
    for n, owner in enumerate(("甲", "乙", "丙"), start=1):
        compound.add(f"1栋10{n}室", "100.00", owner)
    return compound


def test_opening_freezes_the_roll_and_tells_the_case(world, three, resolution):
    vote = three.open(resolution, item=8, title="地面公共车位收费")
    # the move is an event row and an audit row; the case's public timeline says the owners are asked
    assert list(VoteEvent.objects.filter(vote=vote).values_list("action", "from_status", "to_status")) == [
        ("open", "", "open")]
    assert AuditEntry.objects.filter(event="vote.open", obj_id=str(vote.pk), role=Role.COMMUNITY_SECRETARY).exists()
    event = CaseEvent.objects.get(case=resolution.case, action="vote_opened")
    assert "地面公共车位收费" in event.public_note and "四分之三以上" in event.public_note
    # a unit corrected after the vote opened does not change this vote's roll
    unit_update(actor=world.secretary, unit=three.units["1栋101室"], area=Decimal("150.00"), developer_held=False)
    assert vote_tally(vote).total.area == Decimal("300.00")


def test_closing_counts_once_and_writes_the_result_on_the_case(world, three, resolution):
    vote = three.open(resolution, item=4)
    three.paper(vote, "1栋101室", "yes")
    three.paper(vote, "1栋102室", "no")
    three.paper(vote, "1栋103室", "yes")
    assert vote_summary(vote)["passed"] is None  # still open

    vote_close(actor=world.secretary, vote=vote, note="投票期满")
    vote.refresh_from_db()
    assert vote.status == "closed" and vote.passed is True and vote.closed_at is not None
    close = VoteEvent.objects.get(vote=vote, action="close")
    assert close.data["yes_owners"] == 2 and close.data["passed"] is True and close.note == "投票期满"
    assert AuditEntry.objects.filter(event="vote.close", obj_id=str(vote.pk)).count() == 1
    timeline = CaseEvent.objects.get(case=resolution.case, action="vote_closed")
    assert "同意 2 人、200.00㎡" in timeline.public_note and timeline.public_note.endswith("通过")
    assert "甲" not in timeline.public_note  # counts, never names

    # closing again is refused and writes nothing; so is a ballot after closing
    with pytest.raises(TransitionNotAllowed):
        vote_close(actor=world.secretary, vote=vote)
    with pytest.raises(TransitionNotAllowed):
        three.paper(vote, "1栋101室", "no")
    assert VoteEvent.objects.filter(vote=vote).count() == 2
    assert CaseEvent.objects.filter(case=resolution.case, action="vote_closed").count() == 1


def test_one_ballot_per_unit(world, three, resolution):
    vote = three.open(resolution)
    three.paper(vote, "1栋101室", "yes")
    with pytest.raises(TransitionNotAllowed):
        three.paper(vote, "1栋101室", "no")
    assert list(Ballot.objects.filter(vote=vote).values_list("choice", flat=True)) == ["yes"]


def test_a_paper_ballot_keeps_its_scan_and_a_proxy_its_authorisation(world, three, resolution):
    vote = three.open(resolution)
    with pytest.raises(ValidationFailed) as refused:
        ballot_record(actor=world.secretary, vote=vote, unit_id=three.units["1栋101室"].pk, choice="yes",
                      channel="paper")
    assert set(refused.value.errors) == {"scan"}
    with pytest.raises(ValidationFailed) as refused:
        ballot_record(actor=world.secretary, vote=vote, unit_id=three.units["1栋101室"].pk, choice="yes",
                      channel="proxy", scan=png())
    assert set(refused.value.errors) == {"proxy_name", "proxy_document"}
    [ballot] = ballot_record(actor=world.secretary, vote=vote, unit_id=three.units["1栋101室"].pk, choice="yes",
                             channel="proxy", proxy_name="甲之子", proxy_note="授权至表决结束", scan=png(),
                             proxy_document=png("authorisation.png"))
    assert ballot.scan.name.startswith("votes/") and ballot.proxy_document.name.endswith(".png")
    assert ballot.proxy_name == "甲之子" and ballot.recorded_by == world.secretary


def test_a_scan_that_is_not_an_image_or_pdf_is_refused(world, three, resolution):
    from django.core.files.uploadedfile import SimpleUploadedFile

    vote = three.open(resolution)
    with pytest.raises(ValidationFailed) as refused:
        ballot_record(actor=world.secretary, vote=vote, unit_id=three.units["1栋101室"].pk, choice="yes",
                      channel="paper", scan=SimpleUploadedFile("x.png", b"<script>alert(1)</script>"))
    assert set(refused.value.errors) == {"scan"} and not Ballot.objects.exists()
    pdf = SimpleUploadedFile("ballot.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    [ballot] = ballot_record(actor=world.secretary, vote=vote, unit_id=three.units["1栋101室"].pk, choice="yes",
                             channel="paper", scan=pdf)
    assert ballot.scan.name.endswith(".pdf") and "ballot" not in ballot.scan.name  # a random name


def test_a_secret_vote_keeps_who_voted_apart_from_how(world, three, resolution):
    vote = three.open(resolution, secret=True)
    with pytest.raises(ValidationFailed) as refused:  # a scan would tie the choice to the unit
        ballot_record(actor=world.secretary, vote=vote, unit_id=three.units["1栋101室"].pk, choice="yes",
                      channel="paper", scan=png())
    assert set(refused.value.errors) == {"scan"}
    three.paper(vote, "1栋101室", "yes")
    three.paper(vote, "1栋102室", "no")
    three.paper(vote, "1栋103室", "yes")
    # who voted: three ballots, none with a choice; how: counters that name no unit
    assert set(Ballot.objects.filter(vote=vote).values_list("choice", flat=True)) == {""}
    counts = {c.choice: (c.owners, c.area) for c in SecretCount.objects.filter(vote=vote)}
    assert counts == {"yes": (2, Decimal("200.00")), "no": (1, Decimal("100.00")), "abstain": (0, Decimal("0.00"))}
    # while it is open nobody sees the choices move (a known neighbour's vote would show); at the end all do
    open_summary = vote_summary(vote)
    assert open_summary["participating_owners"] == 3 and open_summary["yes_owners"] is None
    vote_close(actor=world.secretary, vote=vote)
    vote.refresh_from_db()
    assert vote_summary(vote)["yes_owners"] == 2 and vote_summary(vote)["passed"] is True


def test_only_the_communitys_secretary_runs_its_votes(world, three, resolution):
    other = world.staff("other-secretary", Role.COMMUNITY_SECRETARY, world.sibling_community)
    with pytest.raises(NotFound):  # the case is out of their sight
        vote_open(actor=other, agenda_item=resolution, electorate=three.electorate, item=4, title="停车收费")
    with pytest.raises(NotPermitted):  # the grid worker sees the case and the electorate, but does not run votes
        vote_open(actor=world.grid_worker, agenda_item=resolution, electorate=three.electorate, item=4, title="停车收费")
    vote = three.open(resolution)
    with pytest.raises(NotPermitted):
        vote_close(actor=world.grid_worker, vote=vote)
    assert Vote.objects.get(pk=vote.pk).status == "open" and not Vote.objects.exclude(pk=vote.pk).exists()


def test_only_a_decided_shared_resolution_of_the_same_community_is_put_to_the_owners(world, three):
    from sanshi.deliberation.models import AgendaItem

    undecided = shared_resolution(world, title="电梯加装")
    AgendaItem.objects.filter(pk=undecided.pk).update(decided_at=None)
    undecided.refresh_from_db()
    with pytest.raises(TransitionNotAllowed):
        vote_open(actor=world.secretary, agenda_item=undecided, electorate=three.electorate, item=7, title="加装电梯")
    decided = shared_resolution(world, title="物业选聘")
    with pytest.raises(ValidationFailed) as refused:
        vote_open(actor=world.secretary, agenda_item=decided, electorate=three.electorate, item=10, title="")
    assert set(refused.value.errors) == {"item", "title"}
    first = vote_open(actor=world.secretary, agenda_item=decided, electorate=three.electorate, item=4, title="选聘物业")
    with pytest.raises(TransitionNotAllowed):  # one open vote per resolution at a time
        vote_open(actor=world.secretary, agenda_item=decided, electorate=three.electorate, item=4, title="选聘物业")
    assert Vote.objects.filter(agenda_item=decided).count() == 1 and first.status == "open"


def test_ballots_are_kept_there_is_no_way_to_delete_them(world, three, resolution):
    vote = three.open(resolution)
    three.paper(vote, "1栋101室", "yes")
    for obj in (vote, three.units["1栋101室"], three.electorate):
        with pytest.raises(ProtectedError):
            obj.delete()
    assert Ballot.objects.filter(vote=vote).count() == 1
