"""One entry point that maps an action name and its fields to the service that performs it.
The API's transitions endpoint and the case page's forms both call `case_act`. The core's own
actions are registered here; deliberation, evaluation and rapid register theirs (`hooks`)."""

from django.db import transaction
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from sanshi.core.errors import NotFound, ValidationFailed
from sanshi.core.i18n import stored_in_canonical_language

from . import scope, services
from .hooks import action_handler, handler_for
from .models import Case
from .selectors import case_detail
from .transitions import Action


def checked(value) -> bool:
    """A checkbox or JSON flag: true for True, "1", "true", "on", "yes"; false for "0", "false", "" …"""
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "on", "yes"}
    return bool(value)


@stored_in_canonical_language
def case_act(*, actor, case: Case, action: str, data: dict) -> Case:
    """Perform `action` on `case` with the fields in `data`, in one transaction. A triage of an
    urgent event may name the team to send (`team`): the dispatch goes in the same transaction."""
    handler = handler_for(action)
    if handler is None:
        raise ValidationFailed(_("未知的操作"), errors={"action": format_lazy(_("未知的操作：{action}"), action=action)})
    with transaction.atomic():
        handler(actor=actor, case=case, data=data)
        if action == Action.TRIAGE and case.urgent and data.get("team"):
            dispatch = handler_for(Action.DISPATCH)
            if dispatch is not None:
                dispatch(actor=actor, case=case, data=data)
    case.refresh_from_db()
    return case


@action_handler(Action.TRIAGE)
def _triage(*, actor, case: Case, data: dict) -> None:
    get = data.get
    services.case_triage(actor=actor, case=case, kind=get("kind", "") or "", catalogue_code=get("catalogue_code", "") or "",
                         grid_code=get("grid", "") or "", reason=get("reason", "") or "", urgent=checked(get("urgent")),
                         department=get("department", "") or "")


@action_handler(Action.RETRIAGE)
def _retriage(*, actor, case: Case, data: dict) -> None:
    get = data.get
    services.case_retriage(actor=actor, case=case, kind=get("kind", "") or "", catalogue_code=get("catalogue_code", "") or "",
                           grid_code=get("grid", "") or "", reason=get("reason", "") or "")


@action_handler(Action.SETTLE)
def _settle(*, actor, case: Case, data: dict) -> None:
    services.case_settle(actor=actor, case=case, note=data.get("note", "") or data.get("resolution", "") or "")


@action_handler(Action.WHISTLE)
def _whistle(*, actor, case: Case, data: dict) -> None:
    services.case_whistle(actor=actor, case=case, department_codes=list(data.get("departments") or []),
                          note=data.get("note", "") or data.get("reason", "") or "")


@action_handler(Action.DEPARTMENT_REPORT)
def _department_report(*, actor, case: Case, data: dict) -> None:
    services.case_department_report(actor=actor, case=case, report=data.get("report", "") or "")


@action_handler(Action.PUBLICISE)
def _publicise(*, actor, case: Case, data: dict) -> None:
    services.case_publicise(actor=actor, case=case, result=data.get("result", "") or "",
                            notice=data.get("notice", "") or "")


@action_handler(Action.REQUEST_EVALUATION)
def _request_evaluation(*, actor, case: Case, data: dict) -> None:
    services.case_request_evaluation(actor=actor, case=case, result=data.get("result", "") or "")


@action_handler(Action.MERGE)
def _merge(*, actor, case: Case, data: dict) -> None:
    try:
        into = Case.objects.filter(pk=int(data.get("into") or 0)).first()
    except (TypeError, ValueError):
        into = None
    if into is None:
        raise ValidationFailed(_("请选择要合并到的事项"), errors={"into": _("事项不存在")})
    services.case_merge_duplicate(actor=actor, case=case, into=into)


def get_case_or_404(user, case_id: int) -> Case:
    """The case with its page's relations, if `user` may see it; NotFound otherwise (out of scope
    looks the same as missing)."""
    if not scope.cases(user).filter(pk=case_id).exists():
        raise NotFound(_("事项不存在"))
    try:
        return case_detail(case_id)
    except Case.DoesNotExist:
        raise NotFound(_("事项不存在")) from None
