"""Evaluation by the designated evaluators (监督科学化, J0):
HOUSEHOLD — the parties and a democratic supervisor; SHARED — the residents' affairs supervision
committee and a democratic supervisor; PUBLIC — the street people's-congress working committee
and a democratic supervisor. The first rating of a round decides: good closes the case, bad
escalates it one level up."""

from django.db import transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from sanshi.cases import scope
from sanshi.cases.models import Case, Status
from sanshi.cases.services import case_close_after_rating, case_escalate_after_rating
from sanshi.cases.transitions import Action
from sanshi.core.errors import NotPermitted, TransitionNotAllowed, ValidationFailed
from sanshi.core.i18n import stored_in_canonical_language

from .models import Evaluation, Rating

PARTY = "party"


def _check_input(case: Case, rating: str) -> None:
    if rating not in Rating.values:
        raise ValidationFailed(_("请选择满意或不满意"), errors={"rating": _("只能是 good 或 bad")})
    if case.status != Status.EVALUATING:
        raise TransitionNotAllowed(format_lazy(_("当前状态「{status}」不能评价"), status=Status(case.status).label))


def _record(case: Case, rating: str, comment: str, evaluator, role_code: str, label: str) -> Evaluation:
    with transaction.atomic():
        evaluation = Evaluation.objects.create(
            case=case, round=case.escalations + 1, rating=rating, comment=(comment or "").strip(),
            evaluator=evaluator, evaluator_role=role_code, at=timezone.now())
        if rating == Rating.GOOD:
            case_close_after_rating(case=case, actor=evaluator, actor_label=label, comment=comment)
        else:
            case_escalate_after_rating(case=case, actor=evaluator, actor_label=label, comment=comment)
    return evaluation


@stored_in_canonical_language
def evaluation_submit(*, actor, case: Case, rating: str, comment: str = "") -> Evaluation:
    """A staff evaluator rates the case."""
    _check_input(case, rating)
    role = scope.check(actor, Action.EVALUATE, case)
    return _record(case, rating, comment, actor, role.role, role.get_role_display())


@stored_in_canonical_language
def evaluation_by_party(*, case: Case, rating: str, comment: str = "") -> Evaluation:
    """A party to a HOUSEHOLD matter rates it from the tracking page (the tracking code is the
    proof of being a party). Other kinds are rated by their committees, not by residents."""
    if case.kind != "HOUSEHOLD":
        raise NotPermitted(_("该事项由监督委员会或人大工委评价，居民可在公示期间提出意见"))
    _check_input(case, rating)
    return _record(case, rating, comment, None, PARTY, "当事人")
