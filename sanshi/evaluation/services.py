"""Evaluation by both sides (监督科学化, J0: "multi-dimensional"). Each designated group rates:
HOUSEHOLD — the parties (every side named on the case: the reporters with their tracking codes,
the other parties with rating codes of their own) and the democratic supervisors; SHARED — the
residents' affairs supervision committee and the democratic supervisors; PUBLIC — the street
people's-congress committee and the democratic supervisors.

Requesting evaluation opens a round with a rating period (SANSHI_RATING_PERIOD_DAYS working days).
A rating is recorded and moves nothing. When the period ends the worker decides the round: a
group's rating is bad when more of its members rated bad than good; the matter closes as good when
no group's rating is bad, and escalates one level up when one is — at the district a bad rating
is final (recorded, the case closes). A round nobody rated closes as lapsed (it counts as closed,
not in satisfaction). docs/adr/0007-groups-decide-a-round.md."""

from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from sanshi.cases import scope
from sanshi.cases.models import Case, Status
from sanshi.cases.services import case_close_after_rating, case_escalate_after_rating, record_event
from sanshi.cases.transitions import Action, TimelineEvent
from sanshi.core.crypto import random_code
from sanshi.core.errors import NotFound, NotPermitted, TransitionNotAllowed, ValidationFailed
from sanshi.core.i18n import stored_in_canonical_language
from sanshi.core.jobs import enqueue
from sanshi.deliberation.models import Participant
from sanshi.registry.models import Role
from sanshi.supervision.services import deadline_after

from .models import Evaluation, EvaluationRound, Group, Outcome, PartyCode, Rating

PARTY = "party"
PARTY_CODE_SMS_JOB = "evaluation.party_code_sms"
# the group a staff rater's role rates in
ROLE_GROUP: dict[str, str] = {Role.DEMOCRATIC_SUPERVISOR: Group.DEMOCRATIC_SUPERVISORS,
              Role.SUPERVISION_COMMITTEE: Group.SUPERVISION_COMMITTEE,
              Role.PEOPLES_CONGRESS: Group.PEOPLES_CONGRESS}
GROUPS_OF_KIND = {"HOUSEHOLD": (Group.PARTIES, Group.DEMOCRATIC_SUPERVISORS),
                  "SHARED": (Group.SUPERVISION_COMMITTEE, Group.DEMOCRATIC_SUPERVISORS),
                  "PUBLIC": (Group.PEOPLES_CONGRESS, Group.DEMOCRATIC_SUPERVISORS)}


# ---- rounds -------------------------------------------------------------------------------------

def round_open(*, case: Case, at: datetime) -> EvaluationRound:
    """Open the next round of `case` (called when evaluation is requested): its period ends after
    SANSHI_RATING_PERIOD_DAYS working days. For a household matter each party named among the
    participants of its meetings gets a rating code (by SMS when the register has a phone; the
    handler prints the others on a slip)."""
    number = (EvaluationRound.objects.filter(case=case).order_by("-number").values_list("number", flat=True)
              .first() or 0) + 1
    rnd = EvaluationRound.objects.create(case=case, number=number, opened_at=at,
                                         due_at=deadline_after(at, settings.SANSHI_RATING_PERIOD_DAYS))
    if case.kind == "HOUSEHOLD":
        parties = (Participant.objects.filter(role=PARTY, meeting__items__case=case)
                   .select_related("person").order_by("id"))
        seen: set[tuple[str, int | None]] = set()
        for participant in parties:
            key = (participant.name, participant.person_id)
            if key in seen:
                continue
            seen.add(key)
            party = PartyCode.objects.create(round=rnd, name=participant.name[:50], person=participant.person,
                                             code=random_code(10))
            if participant.person is not None and participant.person.phone:
                enqueue(PARTY_CODE_SMS_JOB, {"party_code": party.pk})
    return rnd


def open_round(case: Case) -> EvaluationRound | None:
    return EvaluationRound.objects.filter(case=case, decided_at__isnull=True).order_by("-number").first()


def _check(case: Case, rating: str, now: datetime) -> EvaluationRound:
    if rating not in Rating.values:
        raise ValidationFailed(_("请选择满意或不满意"), errors={"rating": _("只能是 good 或 bad")})
    rnd = open_round(case) if case.status == Status.EVALUATING else None
    if rnd is None:
        raise TransitionNotAllowed(format_lazy(_("当前状态「{status}」不能评价"), status=Status(case.status).label))
    if now > rnd.due_at:
        raise TransitionNotAllowed(format_lazy(_("评价期已于{day}结束"),
                                               day=f"{timezone.localtime(rnd.due_at):%Y-%m-%d %H:%M}"))
    return rnd


def _record(*, case: Case, rnd: EvaluationRound, group: str, rater: str, rating: str, comment: str, evaluator,
            role_code: str, label: str) -> Evaluation:
    try:
        with transaction.atomic():
            evaluation = Evaluation.objects.create(
                case=case, round=rnd.number, evaluation_round=rnd, group=group, rater=rater, rating=rating,
                comment=(comment or "").strip()[:2000], evaluator=evaluator, evaluator_role=role_code,
                at=timezone.now())
            record_event(case=case, event=TimelineEvent.RATING, actor=evaluator, actor_label=label,
                         note=(comment or "").strip()[:2000], public_note=f"收到{label}的评价",
                         data={"round": rnd.number, "group": group, "rating": rating})
    except IntegrityError:
        raise TransitionNotAllowed(_("您已评价过本轮，每人每轮评价一次")) from None
    return evaluation


@stored_in_canonical_language
def evaluation_submit(*, actor, case: Case, rating: str, comment: str = "") -> Evaluation:
    """A staff rater (democratic supervisor, supervision committee, people's-congress committee) rates
    the round in their group; nobody rates a matter they decided (scope)."""
    rnd = _check(case, rating, timezone.now())
    role = scope.check(actor, Action.EVALUATE, case)
    return _record(case=case, rnd=rnd, group=ROLE_GROUP[role.role], rater=f"user:{actor.pk}", rating=rating,
                   comment=comment, evaluator=actor, role_code=role.role, label=str(role.get_role_display()))


@stored_in_canonical_language
def evaluation_by_party(*, case: Case, rating: str, comment: str = "", request_id: int | None = None) -> Evaluation:
    """A reporter of a household matter rates it from the tracking page (the tracking code is the
    proof of being a party). Shared and public matters are rated by their committees; residents
    object on the notice board instead."""
    if case.kind != "HOUSEHOLD":
        raise NotPermitted(_("该事项由监督委员会或人大工委评价，居民可在公示期间提出意见"))
    rnd = _check(case, rating, timezone.now())
    return _record(case=case, rnd=rnd, group=Group.PARTIES, rater=f"request:{request_id}" if request_id else "",
                   rating=rating, comment=comment, evaluator=None, role_code=PARTY, label="当事人")


def party_code_case(code: str) -> PartyCode:
    party = (PartyCode.objects.select_related("round__case").filter(code=(code or "").strip().upper()).first())
    if party is None:
        raise NotFound(_("未找到该评价码"))
    return party


@stored_in_canonical_language
def evaluation_by_code(*, code: str, rating: str, comment: str = "") -> Evaluation:
    """Another party to a household matter rates with the rating code it was given."""
    party = party_code_case(code)
    case = party.round.case
    rnd = _check(case, rating, timezone.now())
    if rnd.pk != party.round_id:
        raise TransitionNotAllowed(_("该评价码属于已结束的评价轮次"))
    return _record(case=case, rnd=rnd, group=Group.PARTIES, rater=f"code:{party.pk}", rating=rating,
                   comment=comment, evaluator=None, role_code=PARTY, label="当事人")


def party_slips(*, actor, case: Case) -> list[PartyCode]:
    """The rating codes of the open round not yet sent or printed, for the handler to print once
    (each party gets its slip at the meeting or at the door); marked printed."""
    if not scope.is_handler(actor, case):
        raise NotPermitted(_("只有承办该事项的工作人员可以打印评价码"))
    rnd = open_round(case)
    if rnd is None:
        return []
    with transaction.atomic():
        codes = list(rnd.party_codes.select_for_update().filter(printed_at__isnull=True, sent_at__isnull=True))
        PartyCode.objects.filter(pk__in=[c.pk for c in codes]).update(printed_at=timezone.now())
        if codes:
            record_event(case=case, event=TimelineEvent.RATING_CODES_PRINTED, actor=actor,
                         public_note="", data={"round": rnd.number, "codes": len(codes)})
    return codes


# ---- deciding a round ---------------------------------------------------------------------------

def tally(rnd: EvaluationRound) -> dict[str, dict]:
    """Per group: good and bad counts, and whether the group's rating is bad (more bad than good)."""
    groups: dict[str, dict] = {}
    for group, rating in rnd.ratings.values_list("group", "rating"):
        counts = groups.setdefault(group, {"good": 0, "bad": 0})
        counts[rating] = counts.get(rating, 0) + 1
    for counts in groups.values():
        counts["bad_group"] = counts["bad"] > counts["good"]
    return groups


@stored_in_canonical_language
def round_decide(*, rnd: EvaluationRound, now: datetime | None = None) -> str:
    """Decide a round whose period has ended: close as good, escalate (or, at the district, close as
    a final bad rating), or close as lapsed when nobody rated. One transaction."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = EvaluationRound.objects.select_for_update().select_related("case").get(pk=rnd.pk)
        if locked.decided_at is not None:
            return locked.outcome
        case = locked.case
        groups = tally(locked)
        bad = [g for g, counts in groups.items() if counts["bad_group"]]
        summary = "；".join(f"{Group(g).label}：满意{c['good']}，不满意{c['bad']}" for g, c in groups.items())
        if not groups:
            outcome = Outcome.LAPSED
            case_close_after_rating(case=case, actor=None, actor_label="评价期满",
                                    comment="评价期内未收到评价，按期办结", data={"round": locked.number, "lapsed": True})
        elif not bad:
            outcome = Outcome.GOOD
            case_close_after_rating(case=case, actor=None, actor_label="评价结果", comment=summary,
                                    data={"round": locked.number, "groups": groups})
        else:
            case_escalate_after_rating(case=case, actor=None, actor_label="评价结果", comment=summary,
                                       data={"round": locked.number, "groups": groups})
            outcome = Outcome.FINAL_BAD if case.status == Status.CLOSED else Outcome.BAD
        locked.decided_at, locked.outcome, locked.groups = now, outcome, groups
        locked.save(update_fields=["decided_at", "outcome", "groups"])
    return outcome


def rounds_decide(*, now: datetime | None = None, limit: int = 200) -> int:
    """The worker's sweep: decide every round whose period has ended."""
    now = now or timezone.now()
    due = list(EvaluationRound.objects.filter(decided_at__isnull=True, due_at__lte=now)
               .order_by("due_at", "id")[:limit])
    for rnd in due:
        round_decide(rnd=rnd, now=now)
    return len(due)
