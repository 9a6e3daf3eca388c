"""The figures' part in the worker: after each batch of new case events, the sweep derives those
cases' figures again (outside the transaction that wrote the events: intake stays four rows)."""

from django.conf import settings

from sanshi.core.jobs import sweep

from .services import kpis_refresh

sweep("kpis", backlog_at=settings.SANSHI_KPI_BATCH, report="refreshed the figures after {n} case event(s)")(
    lambda: kpis_refresh())
