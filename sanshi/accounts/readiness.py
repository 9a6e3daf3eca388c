"""The audit journal's backlog as one of /readyz's checks (`core.health.readiness`): rows the acts
wrote that the worker has not yet sealed onto the chain (deferred sealing; with inline sealing the
journal stays empty). Registered from this app, which sits above the audit trail, because the
audit app's own configuration is not where this change could be made; it belongs in
`sanshi.audit.apps` beside the sealing sweep."""

from django.conf import settings

from sanshi.audit.models import AuditJournal
from sanshi.core.health import readiness


@readiness("audit")
def audit_backlog() -> dict:
    rows = AuditJournal.objects.count()
    limit = settings.SANSHI_READY_AUDIT_BACKLOG
    return {"ok": rows <= limit, "journal_rows": rows, "limit": limit}
