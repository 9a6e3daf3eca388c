"""How owners' votes are counted and decided — pure functions, no database (docs/votes.md).

Civil Code art. 278, second paragraph: a joint decision needs owners holding at least two thirds of
the exclusive parts' total area AND at least two thirds of all owners to take part; items (6)–(8)
then need the consent of at least three quarters of the participating area AND of the participating
owners, every other item more than half of both. "以上" includes the bound; "过半数" is strictly more
than half. Abstainers took part: they count in the participating totals, not in the consent.

The SPC's interpretation on building-area ownership (法释〔2009〕7号, revised 2020) arts. 8–9: areas
as registered, the total area their sum; one head per exclusive part, except that the developer's
unsold or undelivered parts count as one head together, and one buyer's several parts as one.

Every comparison is exact: areas are Decimals with two places, shares are Fractions — never floats,
so a vote that reaches exactly two thirds or three quarters passes, and exactly one half fails."""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

MAJORITY = "majority"
THREE_QUARTERS = "three_quarters"
THREE_QUARTER_ITEMS = frozenset({6, 7, 8})  # 筹集维修资金, 改建重建, 改变共有部分用途或经营

PARTICIPATION_SHARE = Fraction(2, 3)
THREE_QUARTER_SHARE = Fraction(3, 4)
HALF = Fraction(1, 2)
ZERO_AREA = Decimal("0.00")
DEVELOPER_HEAD = "developer"


def rule_for(item: int) -> str:
    return THREE_QUARTERS if item in THREE_QUARTER_ITEMS else MAJORITY


def head_of(*, unit_id: int, developer_held: bool, owner_ids: Iterable[int]) -> str:
    """The head a unit counts under: the developer's unsold or undelivered units share one; a unit
    with owners counts under its set of owners (the same buyers' several units share one head); a
    unit whose owners are not on record counts on its own."""
    if developer_held:
        return DEVELOPER_HEAD
    owners = sorted(set(owner_ids))
    if not owners:
        return f"unit:{unit_id}"
    key = "p:" + ",".join(str(o) for o in owners)
    if len(key) <= 40:
        return key
    return "h:" + hashlib.sha256(key.encode()).hexdigest()[:38]


@dataclass(frozen=True)
class Count:
    """Owners (heads) and area."""

    owners: int = 0
    area: Decimal = ZERO_AREA

    def __add__(self, other: "Count") -> "Count":
        return Count(self.owners + other.owners, self.area + other.area)


def count(entries: Iterable[tuple[str, Decimal]]) -> Count:
    """Heads and area of (head, area) pairs: each head once, every unit's area."""
    heads: set[str] = set()
    area = ZERO_AREA
    for head, unit_area in entries:
        heads.add(head)
        area += unit_area
    return Count(len(heads), area)


def share(part: int | Decimal, whole: int | Decimal) -> Fraction | None:
    """part / whole exactly (Fraction takes a Decimal without rounding); None when whole is 0."""
    if not whole:
        return None
    return Fraction(part) / Fraction(whole)


def reaches(part: int | Decimal, whole: int | Decimal, bound: Fraction) -> bool:
    """part / whole ≥ bound (以上: the bound itself is enough)."""
    value = share(part, whole)
    return value is not None and value >= bound


def exceeds(part: int | Decimal, whole: int | Decimal, bound: Fraction) -> bool:
    """part / whole > bound (过半数: strictly more)."""
    value = share(part, whole)
    return value is not None and value > bound


@dataclass(frozen=True)
class Outcome:
    participation_met: bool
    approval_met: bool

    @property
    def passed(self) -> bool:
        return self.participation_met and self.approval_met


def decide(*, item: int, total: Count, participating: Count, yes: Count) -> Outcome:
    participation = (reaches(participating.area, total.area, PARTICIPATION_SHARE)
                     and reaches(participating.owners, total.owners, PARTICIPATION_SHARE))
    if rule_for(item) == THREE_QUARTERS:
        approval = (reaches(yes.area, participating.area, THREE_QUARTER_SHARE)
                    and reaches(yes.owners, participating.owners, THREE_QUARTER_SHARE))
    else:
        approval = exceeds(yes.area, participating.area, HALF) and exceeds(yes.owners, participating.owners, HALF)
    return Outcome(participation_met=participation, approval_met=approval)


@dataclass(frozen=True)
class Tally:
    item: int
    total: Count
    participating: Count
    yes: Count
    no: Count
    abstain: Count

    @property
    def rule(self) -> str:
        return rule_for(self.item)

    @property
    def outcome(self) -> Outcome:
        return decide(item=self.item, total=self.total, participating=self.participating, yes=self.yes)


def tally(*, item: int, roll: Iterable[tuple[str, Decimal]], ballots: Iterable[tuple[str, Decimal, str]]) -> Tally:
    """An open vote's tally from its roll (head, area) and its ballots (head, area, choice). A head
    votes all its units at once with one choice (services), so the heads of the three choices
    add up to the participating heads."""
    by_choice: dict[str, list[tuple[str, Decimal]]] = {"yes": [], "no": [], "abstain": []}
    cast: list[tuple[str, Decimal]] = []
    for head, area, choice in ballots:
        cast.append((head, area))
        by_choice.setdefault(choice, []).append((head, area))
    return Tally(item=item, total=count(roll), participating=count(cast), yes=count(by_choice["yes"]),
                 no=count(by_choice["no"]), abstain=count(by_choice["abstain"]))


def area_text(value: Decimal) -> str:
    """An area as the API writes it: m², two places ("1234.50")."""
    return str(value.quantize(Decimal("0.01")))


def percent_text(part: int | Decimal, whole: int | Decimal) -> str:
    """A share for people to read ("66.67%"), rounded for display only — decisions use `decide`."""
    value = share(part, whole)
    if value is None:
        return "—"
    return f"{(Decimal(value.numerator) * 100 / Decimal(value.denominator)).quantize(Decimal('0.01'))}%"
