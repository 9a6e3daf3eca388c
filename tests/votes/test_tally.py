"""Counting owners' votes (Civil Code art. 278; SPC interpretation arts. 8–9): the thresholds at
their exact bounds, and how heads are counted — a buyer of several units once, the developer's
unsold or undelivered units once together. Areas are Decimals, shares Fractions: no float decides."""

from decimal import Decimal
from fractions import Fraction

from sanshi.votes.rules import Count, decide, share
from sanshi.votes.selectors import vote_summary, vote_tally
from sanshi.votes.services import vote_close


def _close(world, vote):
    vote_close(actor=world.secretary, vote=vote)
    vote.refresh_from_db()
    return vote_summary(vote)


def test_exactly_two_thirds_of_owners_and_area_taking_part_is_enough(world, compound, resolution):
    # given three owners of 100 m² each
    for n, owner in enumerate(("甲", "乙", "丙"), start=1):
        compound.add(f"1栋10{n}室", "100.00", owner)
    vote = compound.open(resolution, item=4)
    # when two of them vote for
    compound.paper(vote, "1栋101室", "yes")
    compound.paper(vote, "1栋102室", "yes")
    # then exactly 2/3 of the owners and of the area took part: that is "三分之二以上", and it passes
    summary = _close(world, vote)
    assert (summary["participating_owners"], summary["owners_total"]) == (2, 3)
    assert (summary["participating_area"], summary["area_total"]) == ("200.00", "300.00")
    assert summary["participation_met"] is True and summary["passed"] is True


def test_two_thirds_of_the_owners_but_not_of_the_area_is_not_enough(world, compound, resolution):
    # given three owners, the third's unit a hundredth of a square metre larger
    compound.add("1栋101室", "100.00", "甲")
    compound.add("1栋102室", "100.00", "乙")
    compound.add("1栋103室", "100.01", "丙")
    vote = compound.open(resolution, item=4)
    compound.paper(vote, "1栋101室", "yes")
    compound.paper(vote, "1栋102室", "yes")
    # then 2 of 3 owners took part but 200.00 of 300.01 m² is under two thirds: both are needed
    summary = _close(world, vote)
    assert summary["participating_owners"] == 2 and summary["participating_area"] == "200.00"
    assert summary["participation_met"] is False and summary["approval_met"] is True and summary["passed"] is False


def _four(compound, areas=("90.00", "90.00", "90.00", "90.00")):
    for n, (owner, area) in enumerate(zip(("甲", "乙", "丙", "丁"), areas, strict=True), start=1):
        compound.add(f"2栋20{n}室", area, owner)


def test_exactly_three_quarters_passes_a_matter_of_items_six_to_eight(world, compound, resolution):
    # given four owners of equal area and a rebuilding (item 7: three quarters needed)
    _four(compound)
    vote = compound.open(resolution, item=7)
    # when all take part and three of four agree
    for address, choice in (("2栋201室", "yes"), ("2栋202室", "yes"), ("2栋203室", "yes"), ("2栋204室", "no")):
        compound.paper(vote, address, choice)
    # then exactly 3/4 of the participating owners and area agreed: "四分之三以上" — passed
    summary = _close(world, vote)
    assert summary["rule"] == "three_quarters"
    assert (summary["yes_owners"], summary["yes_area"], summary["no_owners"]) == (3, "270.00", 1)
    assert summary["approval_met"] is True and summary["passed"] is True


def test_three_quarters_of_the_owners_with_less_of_the_area_fails_item_eight(world, compound, resolution):
    _four(compound, areas=("90.00", "90.00", "90.00", "90.01"))
    vote = compound.open(resolution, item=8)
    for address, choice in (("2栋201室", "yes"), ("2栋202室", "yes"), ("2栋203室", "yes"), ("2栋204室", "no")):
        compound.paper(vote, address, choice)
    # 3 of 4 owners agreed, but 270.00 of 360.01 m² is just under three quarters
    summary = _close(world, vote)
    assert summary["yes_owners"] == 3 and summary["approval_met"] is False and summary["passed"] is False


def test_exactly_half_is_not_a_majority(world, compound, resolution):
    # given four owners of equal area voting on hiring a property company (item 4: more than half)
    _four(compound)
    vote = compound.open(resolution, item=4)
    # when two agree, one is against and one abstains (abstainers took part)
    for address, choice in (("2栋201室", "yes"), ("2栋202室", "yes"), ("2栋203室", "no"), ("2栋204室", "abstain")):
        compound.paper(vote, address, choice)
    # then 2 of 4 participating owners and half the area is not "过半数": it fails
    summary = _close(world, vote)
    assert summary["rule"] == "majority"
    assert (summary["participating_owners"], summary["yes_owners"], summary["abstain_owners"]) == (4, 2, 1)
    assert summary["yes_area"] == "180.00" and summary["participating_area"] == "360.00"
    assert summary["participation_met"] is True and summary["approval_met"] is False and summary["passed"] is False


def test_one_owner_of_three_units_counts_once_with_the_area_of_all_three(world, compound, resolution):
    # given 王 bought three units (the same name and phone on each row: the same buyer), 李 one
    for address, area in (("3栋301室", "80.00"), ("3栋302室", "85.50"), ("3栋303室", "120.25")):
        compound.add(address, area, "王建国", phone="13800000001")
    compound.add("3栋304室", "100.00", "李秀英", phone="13800000002")
    vote = compound.open(resolution, item=4)
    # then the roll counts two owners, and the whole area
    tally = vote_tally(vote)
    assert (tally.total.owners, tally.total.area) == (2, Decimal("385.75"))
    # when 王 hands in a paper ballot for one of his units
    ballots = compound.paper(vote, "3栋302室", "yes")
    # then it is the ballot of all three (one ballot per unit), one owner taking part with 285.75 m²
    assert sorted(b.entry.address for b in ballots) == ["鼎城花园3栋301室", "鼎城花园3栋302室", "鼎城花园3栋303室"]
    tally = vote_tally(vote)
    assert tally.participating == Count(1, Decimal("285.75")) and tally.yes == Count(1, Decimal("285.75"))


def test_the_developers_unsold_units_count_as_one_owner_together(world, compound, resolution):
    # given two owners and three units the developer has not sold or delivered
    compound.add("5栋501室", "90.00", "赵")
    compound.add("5栋502室", "90.00", "钱")
    for n in (3, 4, 5):
        compound.add(f"5栋50{n}室", "90.00", developer=True)
    vote = compound.open(resolution, item=4)
    # then five units are three owners: 赵, 钱 and the developer
    summary = vote_summary(vote)
    assert (summary["owners_total"], summary["area_total"]) == (3, "450.00")
    # when the developer's representative votes one of its units, all of them are voted
    ballots = compound.paper(vote, "5栋504室", "no")
    assert len(ballots) == 3
    assert vote_summary(vote)["no_owners"] == 1 and vote_summary(vote)["no_area"] == "270.00"


def test_the_rules_compare_exact_fractions():
    total = Count(3, Decimal("99.99"))
    # 66.66 / 99.99 is exactly 2/3
    assert share(Decimal("66.66"), Decimal("99.99")) == Fraction(2, 3)
    assert decide(item=4, total=total, participating=Count(2, Decimal("66.66")), yes=Count(2, Decimal("66.66"))).passed
    assert not decide(item=4, total=total, participating=Count(2, Decimal("66.65")),
                      yes=Count(2, Decimal("66.65"))).participation_met
    # nobody voting, or an empty roll, never passes
    assert not decide(item=4, total=total, participating=Count(), yes=Count()).passed
    assert not decide(item=4, total=Count(), participating=Count(), yes=Count()).passed
