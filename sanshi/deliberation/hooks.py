"""The deliberation actions of the case page and the transitions endpoint, and who sees a case
through a meeting (the members sitting in it)."""

from django.utils.translation import gettext_lazy as _

from sanshi.cases import scope
from sanshi.cases.hooks import action_handler
from sanshi.cases.models import Case
from sanshi.cases.transitions import Action
from sanshi.core.errors import ValidationFailed

from .models import Meeting
from .selectors import cases_consulted_with, cases_in_meetings_of
from .services import case_consult_grids, meeting_add_case, meeting_record_opinion, meeting_resolve_case


def _int_or_none(value):
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationFailed(_("请填写整数"), errors={"votes": _("票数必须是整数")}) from None
    if number < 0:
        raise ValidationFailed(_("票数不能为负"), errors={"votes": _("票数不能为负")})
    return number


def _meeting(data: dict) -> Meeting:
    try:
        meeting = Meeting.objects.filter(pk=int(data.get("meeting") or 0)).first()
    except (TypeError, ValueError):
        meeting = None
    if meeting is None:
        raise ValidationFailed(_("请选择议事会议"), errors={"meeting": _("会议不存在")})
    return meeting


@action_handler(Action.DELIBERATE)
def deliberate(*, actor, case: Case, data: dict) -> None:
    meeting_add_case(actor=actor, meeting=_meeting(data), case=case)


@action_handler(Action.RESOLVE)
def resolve(*, actor, case: Case, data: dict) -> None:
    meeting_resolve_case(actor=actor, meeting=_meeting(data), case=case, resolution=data.get("resolution", "") or "",
                         votes_for=_int_or_none(data.get("votes_for")),
                         votes_against=_int_or_none(data.get("votes_against")))


@action_handler(Action.CONSULT)
def consult(*, actor, case: Case, data: dict) -> None:
    grids = data.get("grids") or []
    case_consult_grids(actor=actor, case=case, grid_codes=[grids] if isinstance(grids, str) else list(grids))


@action_handler(Action.GIVE_OPINION)
def give_opinion(*, actor, case: Case, data: dict) -> None:
    meeting_record_opinion(actor=actor, meeting=_meeting(data), case=case,
                           opinion=data.get("opinion", "") or data.get("resolution", "") or "",
                           votes_for=_int_or_none(data.get("votes_for")),
                           votes_against=_int_or_none(data.get("votes_against")))


def register() -> None:
    scope.register_audience(cases_in_meetings_of)
    scope.register_audience(cases_consulted_with)  # grid staff of the grids asked for an opinion
