"""Reads of requests: the pool (诉求蓄水池) and a tracking code's case."""

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _

from sanshi.cases.models import Case, Status
from sanshi.cases.selectors import case_list
from sanshi.core.errors import NotFound

from .models import Request


def pool(user) -> QuerySet[Case]:
    """The request pool: received cases in the user's sight waiting for triage, oldest first (the
    command centre also sees the requests nobody could place on a grid yet: scope)."""
    return (case_list(user, status=Status.RECEIVED).select_related("grid")
            .prefetch_related(Prefetch("requests", queryset=Request.objects.order_by("received_at")))
            .order_by("created_at"))


def normalise_code(code: str) -> str:
    return (code or "").strip().upper()


def case_for_tracking(code: str) -> Case:
    """The case of a tracking code (the resident's credential); NotFound for an unknown code."""
    request = Request.objects.select_related("case").filter(tracking_code=normalise_code(code)).first()
    if request is None or request.case is None:
        raise NotFound(_("未找到该查询码对应的诉求"))
    return request.case
