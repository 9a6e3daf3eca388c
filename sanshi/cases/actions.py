"""One entry point that maps an action name and its fields to the service that performs it.
The API's transitions endpoint and the case page's forms both call `case_act`."""

from django.db import transaction
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from sanshi.core.errors import NotFound, ValidationFailed
from sanshi.core.i18n import stored_in_canonical_language

from .models import Case


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


@stored_in_canonical_language
def case_act(*, actor, case: Case, action: str, data: dict) -> Case:
    from sanshi.deliberation.models import Meeting
    from sanshi.deliberation.services import meeting_add_case, meeting_resolve_case
    from sanshi.evaluation.services import evaluation_submit

    from . import services

    get = data.get
    if action == "triage":
        with transaction.atomic():  # an urgent triage may dispatch its team in the same click (突发快响)
            services.case_triage(actor=actor, case=case, kind=get("kind", ""),
                                 catalogue_code=get("catalogue_code", ""), grid_code=get("grid", ""),
                                 reason=get("reason", ""), urgent=_checked(get("urgent")),
                                 department=get("department", "") or "")
            if case.urgent and get("team"):
                _dispatch(actor, case, data)
    elif action == "dispatch":
        _dispatch(actor, case, data)
    elif action in ("deliberate", "resolve"):
        meeting = Meeting.objects.filter(pk=get("meeting") or 0).first()
        if meeting is None:
            raise ValidationFailed(_("请选择议事会议"), errors={"meeting": _("会议不存在")})
        if action == "deliberate":
            meeting_add_case(actor=actor, meeting=meeting, case=case)
        else:
            meeting_resolve_case(actor=actor, meeting=meeting, case=case, resolution=get("resolution", ""),
                                 votes_for=_int_or_none(get("votes_for")),
                                 votes_against=_int_or_none(get("votes_against")))
    elif action == "whistle":
        services.case_whistle(actor=actor, case=case, department_codes=list(get("departments") or []),
                              note=get("note", "") or get("reason", ""))
    elif action == "department_report":
        services.case_department_report(actor=actor, case=case, report=get("report", ""))
    elif action == "publicise":
        services.case_publicise(actor=actor, case=case, result=get("result", ""), notice=get("notice", ""))
    elif action == "request_evaluation":
        services.case_request_evaluation(actor=actor, case=case, result=get("result", ""))
    elif action == "merge":
        into = Case.objects.filter(pk=get("into") or 0).first()
        if into is None:
            raise ValidationFailed(_("请选择要合并到的事项"), errors={"into": _("事项不存在")})
        services.case_merge_duplicate(actor=actor, case=case, into=into)
    elif action == "evaluate":
        evaluation_submit(actor=actor, case=case, rating=get("rating", ""), comment=get("comment", ""))
    else:
        raise ValidationFailed(_("未知的操作"), errors={"action": format_lazy(_("未知的操作：{action}"), action=action)})
    case.refresh_from_db()
    return case


def _dispatch(actor, case: Case, data: dict) -> None:
    from sanshi.rapid.services import case_dispatch, team_choice

    police = data.get("police")
    police = None if police in (None, "") else police not in ("0", "false", False)
    team = team_choice(case=case, value=data.get("team"), police=police)
    case_dispatch(actor=actor, case=case, team=team, police=police)


def get_case_or_404(user, case_id: int) -> Case:
    from .permissions import can_see_case
    from .selectors import case_detail

    try:
        case = case_detail(case_id)
    except Case.DoesNotExist:
        raise NotFound(_("事项不存在")) from None
    if not can_see_case(user, case):
        raise NotFound(_("事项不存在"))  # out of scope looks the same as missing
    return case


def _checked(value) -> bool:
    """A checkbox or JSON flag: true for True, "1", "true", "on", "yes"; false for "0", "false", "" …"""
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "on", "yes"}
    return bool(value)
