"""Evaluation's part in the core: the evaluate action, a round opened when evaluation is requested,
the worker's sweep that decides rounds whose period ended, and the party codes' SMS."""

from django.utils import timezone

from sanshi.cases import scope
from sanshi.cases.hooks import action_handler, after_move
from sanshi.cases.models import Case, CaseEvent
from sanshi.cases.transitions import Action
from sanshi.core.channels.sms import get_backend as sms_backend
from sanshi.core.jobs import job_handler, sweep
from sanshi.core.personal import mask_phone

from .models import Evaluation, PartyCode
from .services import PARTY_CODE_SMS_JOB, evaluation_submit, round_open, rounds_decide


@action_handler(Action.EVALUATE)
def evaluate(*, actor, case: Case, data: dict) -> None:
    evaluation_submit(actor=actor, case=case, rating=data.get("rating", "") or "", comment=data.get("comment", "") or "")


def rated_this_round(user, case_ids: list[int]) -> set[int]:
    """Each rater rates a round once: of `case_ids`, those whose open round `user` has rated."""
    return set(Evaluation.objects.filter(case_id__in=case_ids, evaluation_round__decided_at__isnull=True,
                                         rater=f"user:{user.pk}").values_list("case_id", flat=True))


scope.register_done_check(Action.EVALUATE, rated_this_round)


@after_move(Action.REQUEST_EVALUATION)
def open_a_round(*, case: Case, event: CaseEvent) -> None:
    round_open(case=case, at=event.at)


@job_handler(PARTY_CODE_SMS_JOB, atomic=False)
def send_party_code(payload: dict) -> dict:
    """Text a party its rating code; the number is read from the person register at sending time."""
    party = PartyCode.objects.select_related("person", "round__case").get(pk=payload["party_code"])
    backend = sms_backend()
    phone = party.person.phone if party.person is not None else ""
    if not backend.enabled or not phone:
        return {"sent": False}
    backend.send(phone, f"您好，{party.round.case.number}号事项已办理完毕，请您评价：评价码 {party.code}，"
                        "在“查询进度”页点“当事人评价”输入评价码。")
    PartyCode.objects.filter(pk=party.pk).update(sent_at=timezone.now())
    return {"sent": True, "to": mask_phone(phone)}


sweep("evaluation-rounds", report="decided {n} evaluation round(s)")(lambda: rounds_decide())
