"""Reads of requests: the pool (诉求蓄水池) and a tracking code's case."""

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _

from sanshi.cases.models import Case, Status
from sanshi.cases.selectors import case_list
from sanshi.core.crypto import CODE_ALPHABET
from sanshi.core.errors import NotFound

from .models import Request


def pool(user, roles=None) -> QuerySet[Case]:
    """The request pool: received cases in the user's sight waiting for triage, oldest first (the
    command centre also sees the requests nobody could place on a grid yet: scope)."""
    return (case_list(user, status=Status.RECEIVED, roles=roles).select_related("grid")
            .prefetch_related(Prefetch("requests", queryset=Request.objects.order_by("received_at")))
            .order_by("created_at"))


def normalise_code(code: str) -> str:
    return (code or "").strip().upper()


TRACKING_CODE_LENGTH = 10


def cases_by_tracking_code(q: str) -> QuerySet | None:
    """The case of a tracking code, as a subquery of ids, for a list's search (registered with
    `cases.filters.register_search`): exactly the code, never a part of it; None when `q` cannot be
    a code. The list shows the case, never the code."""
    code = normalise_code(q)
    if len(code) != TRACKING_CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in code):
        return None
    return Request.objects.filter(tracking_code=code, case__isnull=False).values("case_id")


def case_for_tracking(code: str) -> Case:
    """The case of a tracking code (the resident's credential); NotFound for an unknown code."""
    request = Request.objects.select_related("case").filter(tracking_code=normalise_code(code)).first()
    if request is None or request.case is None:
        raise NotFound(_("未找到该查询码对应的诉求"))
    return request.case
