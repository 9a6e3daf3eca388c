"""鼎山街道's March 2026, worked by hand in docs/kpis.md ("The worked example"): nine requests to
the street — one a duplicate — and one to 城子街道, a year before and the month before, four
registered households and who of them took part. Today is 2026-04-15 10:00."""

import pytest
import time_machine

from sanshi.deliberation.models import AgendaItem, Meeting, Participant
from sanshi.kpis.services import kpis_refresh
from sanshi.registry.models import Household, Person
from sanshi.votes.models import Ballot, Electorate, RollEntry, Unit, Vote

from .factories import Story, at, write

TODAY = at("2026-04-15", 10)


def refresh(now=None) -> None:
    """What the worker's sweep does, until it has read every event."""
    while kpis_refresh(now=now or TODAY):
        pass


@pytest.fixture
def march(world):
    g1, g2 = world.grid, world.sibling_grid  # 东门社区's grid, 艾坪村's grid
    c = {}
    c["h_a"] = write(Story(g1, at("2026-03-02", 9), "hotline", "HOUSEHOLD", triaged=at("2026-03-02", 10),
                           closed=at("2026-03-05", 9), ratings=["good", "good"], visit="satisfied",
                           deadline_due=at("2026-03-10", 17)))
    c["h_b"] = write(Story(g1, at("2026-03-03", 9), "web", "HOUSEHOLD", triaged=at("2026-03-03", 10),
                           escalations=["community"], closed=at("2026-03-13", 9), ratings=["bad", "good", "good"],
                           visit="unsatisfied", deadline_due=at("2026-03-20", 17)))
    c["h_c"] = write(Story(g2, at("2026-03-10", 9), "grid_patrol", "HOUSEHOLD", triaged=at("2026-03-10", 10),
                           closed=at("2026-03-17", 9), close="lapsed", visit="basically",
                           deadline_due=at("2026-03-15", 17)))
    c["s_a"] = write(Story(g1, at("2026-03-04", 9), "web", "SHARED", triaged=at("2026-03-04", 10),
                           retriaged_from="HOUSEHOLD", deadline_due=at("2026-03-25", 17)))
    c["s_b"] = write(Story(g2, at("2026-03-05", 9), "hotline", "SHARED", triaged=at("2026-03-05", 10),
                           escalations=["street", "district"], closed=at("2026-03-20", 9),
                           ratings=["bad", "bad", "good"], deadline_due=at("2026-03-18", 17)))
    c["p_a"] = write(Story(g1, at("2026-03-06", 9), "superior", "PUBLIC", triaged=at("2026-03-06", 10),
                           escalations=["district"], closed=at("2026-03-30", 9), close="final_bad",
                           ratings=["bad", "bad"], deadline_due=at("2026-03-27", 17)))
    c["u_a"] = write(Story(g2, at("2026-03-12", 8), "hotline", "SHARED", triaged=at("2026-03-12", 8, 0, 20),
                           urgent=True, closed=at("2026-03-12", 18), ratings=["good"],
                           steps={"dispatch": (1, 0.5), "arrive": (5, 7), "result": (10, 9)}))
    c["r_a"] = write(Story(g1, at("2026-03-20", 9), "web"))
    c["m_a"] = write(Story(g1, at("2026-03-02", 11), "hotline", merged_into=c["h_a"]))
    c["t2"] = write(Story(world.other_grid, at("2026-03-08", 9), "web", "HOUSEHOLD", triaged=at("2026-03-08", 10),
                          closed=at("2026-03-09", 9)))
    # a year before: four hotline work orders, three closed
    for day in (3, 4, 5):
        write(Story(g1, at(f"2025-03-0{day}", 9), "hotline", "HOUSEHOLD", triaged=at(f"2025-03-0{day}", 10),
                    closed=at("2025-03-10", 9)))
    c["y_open"] = write(Story(g1, at("2025-03-06", 9), "hotline", "HOUSEHOLD", triaged=at("2025-03-06", 10)))
    # the month before
    c["f_a"] = write(Story(g1, at("2026-02-10", 9), "web", "HOUSEHOLD", triaged=at("2026-02-10", 10),
                           closed=at("2026-02-12", 9), ratings=["good"]))
    c["f_b"] = write(Story(g2, at("2026-02-20", 9), "web", "SHARED", triaged=at("2026-02-20", 10),
                           deadline_due=at("2026-05-01", 17)))
    # four households; three of them took part in March (a meeting, a web ballot, a paper ballot)
    homes = [Household.objects.create(node=node, address=f"{i}号") for i, node in enumerate((g1, g1, g1, g2), 1)]
    people = [Person.objects.create(household=h, name=f"居民{i}") for i, h in enumerate(homes, 1)]
    meeting = Meeting.objects.create(body="community_review_meeting", level="community", org=world.community,
                                     title="三月评议会", convener=world.secretary, scheduled_at=at("2026-03-10", 9),
                                     held_at=at("2026-03-10", 11))
    Participant.objects.create(meeting=meeting, role="resident_rep", name="居民1", person=people[0])
    Participant.objects.create(meeting=meeting, role="community_secretary", name="书记", user=world.secretary)
    february = Meeting.objects.create(body="community_review_meeting", level="community", org=world.community,
                                      title="二月评议会", convener=world.secretary, scheduled_at=at("2026-02-20", 9),
                                      held_at=at("2026-02-20", 11))
    Participant.objects.create(meeting=february, role="resident_rep", name="居民3", person=people[2])
    item = AgendaItem.objects.create(meeting=meeting, case=c["s_a"], resolution="增设停车位")
    electorate = Electorate.objects.create(name="鼎城花园", node=g1)
    vote = Vote.objects.create(agenda_item=item, electorate=electorate, item=8, title="增设停车位", status="closed")
    for i, (person, channel, day) in enumerate(((people[1], "web", 12), (people[3], "paper", 13)), 1):
        unit = Unit.objects.create(electorate=electorate, address=f"{i}栋", area=80)
        unit.owners.add(person)
        entry = RollEntry.objects.create(vote=vote, unit=unit, address=unit.address, area=80, head=f"h{i}")
        entry.owners.add(person)
        Ballot.objects.create(vote=vote, entry=entry, choice="yes", channel=channel,
                              person=person if channel == "web" else None, cast_at=at(f"2026-03-{day}", 10))
    with time_machine.travel(TODAY, tick=False):
        refresh()
    world.cases = c
    return world
