"""The demo's notice board (张榜公示). The builder drives its cases through the real services: each
publicised case gets its notice from the case's move (sanshi.notices). The builder asks for evaluation
right after posting (every demo case is made "now" and moved back in time afterwards), so the
notice's period is ended first, as if it had run (`period_over`)."""

from datetime import timedelta

from django.utils import timezone

from sanshi.cases.models import Case
from sanshi.notices.models import Notice


def period_over(case: Case) -> None:
    """The demo only: the case's posted notice as if its objection period had run out."""
    Notice.objects.filter(case_id=case.pk, status="posted").update(
        objection_until=timezone.now() - timedelta(seconds=1))
