"""Reads of owners' votes: the electorates and votes a user may see (permissions.py, from the scope
module, applied in the database before any slice), a vote's tally and its public summary.

The tally is summed in Python from the roll's rows (two queries however many units): the areas
come back as exact Decimals row by row, whereas a database SUM over SQLite's stored reals would be
a float."""

from typing import Any

from django.db.models import Count as DbCount
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from sanshi.cases import scope
from sanshi.cases.models import Status
from sanshi.cases.routing import Body
from sanshi.core.errors import NotFound
from sanshi.core.personal import mask_personal_text
from sanshi.deliberation.models import AgendaItem
from sanshi.registry.models import Level, OrgNode, Person

from . import permissions
from .models import Ballot, Choice, Electorate, Item, RollEntry, Unit, Vote, VoteStatus
from .rules import Count, Tally, area_text, count, head_of, rule_for, tally

# ---- electorates --------------------------------------------------------------------------------


def electorates_for(user) -> QuerySet[Electorate]:
    if not getattr(user, "is_authenticated", False):
        return Electorate.objects.none()
    return Electorate.objects.filter(permissions.electorate_q(user))


def electorate_list(user) -> QuerySet[Electorate]:
    """The electorates list: with node and the number of units (a fixed number of queries)."""
    return (electorates_for(user).select_related("node").annotate(n_units=DbCount("units"))
            .order_by("node__path", "name", "id"))


def electorate_for(user, electorate_id: int) -> Electorate:
    """One electorate in the user's sight; NotFound otherwise (out of scope looks missing)."""
    electorate = electorates_for(user).select_related("node").filter(pk=electorate_id).first()
    if electorate is None:
        raise NotFound(_("业主名册不存在"))
    return electorate


def keeps(user, electorate: Electorate) -> bool:
    return permissions.keeper_role(user, electorate.node) is not None


def keepable_nodes(user) -> QuerySet[OrgNode]:
    """The grids and micro-grids where the user may set up an electorate."""
    if not getattr(user, "is_authenticated", False):
        return OrgNode.objects.none()
    return (OrgNode.objects.filter(permissions.kept_q(user, ""), level__in=[Level.GRID, Level.MICRO_GRID])
            .order_by("path"))


def kept_electorates(user) -> QuerySet[Electorate]:
    """The electorates the user keeps (their community's, as its secretary)."""
    if not getattr(user, "is_authenticated", False):
        return Electorate.objects.none()
    return Electorate.objects.filter(permissions.kept_q(user))


def electorate_stats(electorate: Electorate) -> dict[str, Any]:
    """Units, owners (heads, counted as a vote would count them now), area, the developer's units."""
    owners: dict[int, list[int]] = {}
    for unit_id, person_id in Unit.owners.through.objects.filter(unit__electorate=electorate).values_list(
            "unit_id", "person_id"):
        owners.setdefault(unit_id, []).append(person_id)
    units = list(electorate.units.values_list("pk", "area", "developer_held"))
    total = count((head_of(unit_id=pk, developer_held=dev, owner_ids=owners.get(pk, [])), area)
                  for pk, area, dev in units)
    return {"units": len(units), "owners": total.owners, "area": area_text(total.area),
            "developer_units": sum(1 for _pk, _area, dev in units if dev),
            "without_owner": sum(1 for pk, _area, dev in units if not dev and pk not in owners)}


def owner_names(person_ids: list[int]) -> list[str]:
    return list(Person.objects.filter(pk__in=person_ids).order_by("pk").values_list("name", flat=True))


def units_of(electorate: Electorate, search: str = "") -> QuerySet[Unit]:
    qs = electorate.units.prefetch_related("owners").order_by("id")
    return qs.filter(address__contains=search.strip()) if search.strip() else qs


# ---- votes --------------------------------------------------------------------------------------

def votes_for(user) -> QuerySet[Vote]:
    if not getattr(user, "is_authenticated", False):
        return Vote.objects.none()
    return Vote.objects.filter(permissions.vote_q(user)).exclude(status="")


def vote_list(user) -> QuerySet[Vote]:
    return (votes_for(user).select_related("electorate", "agenda_item__case", "agenda_item__meeting")
            .order_by("-opened_at", "-id"))


def vote_for(user, vote_id: int) -> Vote:
    vote = (votes_for(user).select_related("electorate__node", "agenda_item__case", "agenda_item__meeting")
            .filter(pk=vote_id).first())
    if vote is None:
        raise NotFound(_("表决不存在"))
    return vote


def public_vote(vote_id: int) -> Vote:
    """Any vote that has opened, for anyone (its counts, never names)."""
    vote = Vote.objects.exclude(status="").select_related("agenda_item__case").filter(pk=vote_id).first()
    if vote is None:
        raise NotFound(_("表决不存在"))
    return vote


def resolutions_to_put(user) -> QuerySet[AgendaItem]:
    """Resolutions the user may put to the owners: decided by a community review meeting of a
    community they keep, on a SHARED matter in their sight that is not closed."""
    if not getattr(user, "is_authenticated", False):
        return AgendaItem.objects.none()
    return (AgendaItem.objects.filter(permissions.kept_q(user, "meeting__org"), scope.case_q(user, "case__"),
                                      decided_at__isnull=False, meeting__body=Body.COMMUNITY_REVIEW_MEETING,
                                      case__kind="SHARED")
            .exclude(case__status=Status.CLOSED).select_related("case", "meeting").order_by("-decided_at", "-id"))


def ballots_of(vote: Vote) -> QuerySet[Ballot]:
    """The ballots of a vote with their units (in a secret vote: who voted, never how)."""
    return vote.ballots.select_related("entry", "person", "recorded_by").order_by("entry_id")


def roll_of(vote: Vote) -> QuerySet[RollEntry]:
    return vote.roll.select_related("ballot").order_by("id")


# ---- the tally and the summary ----------------------------------------------------------------

def vote_tally(vote: Vote) -> Tally:
    """Heads and areas of the roll, the participants and each choice (exact: rules.py)."""
    roll = list(RollEntry.objects.filter(vote=vote).values_list("head", "area"))
    if not vote.secret:
        ballots = Ballot.objects.filter(vote=vote).values_list("entry__head", "entry__area", "choice")
        return tally(item=vote.item, roll=roll, ballots=ballots)
    cast = RollEntry.objects.filter(vote=vote, ballot__isnull=False).values_list("head", "area")
    counts = {c.choice: Count(c.owners, c.area) for c in vote.secret_counts.all()}
    return Tally(item=vote.item, total=count(roll), participating=count(cast), yes=counts.get(Choice.YES, Count()),
                 no=counts.get(Choice.NO, Count()), abstain=counts.get(Choice.ABSTAIN, Count()))


def tally_numbers(t: Tally, *, outcome: bool, choices: bool = True) -> dict[str, Any]:
    """The counts as the API writes them (areas as decimal strings, m², two places); the outcome
    only when `outcome` (a closed vote), each choice only when `choices`."""
    def part(c: Count) -> tuple[int | None, str | None]:
        return (c.owners, area_text(c.area)) if choices else (None, None)

    yes, no, abstain = part(t.yes), part(t.no), part(t.abstain)
    result = t.outcome
    return {
        "owners_total": t.total.owners, "area_total": area_text(t.total.area),
        "participating_owners": t.participating.owners, "participating_area": area_text(t.participating.area),
        "yes_owners": yes[0], "yes_area": yes[1], "no_owners": no[0], "no_area": no[1],
        "abstain_owners": abstain[0], "abstain_area": abstain[1],
        "participation_met": result.participation_met if outcome else None,
        "approval_met": result.approval_met if outcome else None,
        "passed": result.passed if outcome else None,
    }


def vote_summary(vote: Vote) -> dict[str, Any]:
    """What anyone may know of a vote — counts, never names: the item (1–9) and its rule, its status,
    owners and area in total, taking part, and for each choice; `passed` null while open. A closed
    vote's numbers are those kept when it closed. In a secret vote the choices stay hidden (null)
    until it closes: counts that move as a known neighbour votes would tell how they voted. (The
    notice board shows this on a notice.)"""
    if vote.status == VoteStatus.CLOSED and vote.result:
        numbers = dict(vote.result)
    else:
        numbers = tally_numbers(vote_tally(vote), outcome=False, choices=not vote.secret)
    return {"id": vote.pk, "title": mask_personal_text(vote.title), "item": vote.item,
            "item_label": str(Item(vote.item).label), "rule": rule_for(vote.item), "status": vote.status,
            "secret": vote.secret, **numbers}
