"""The worker's work for accounts: expired idempotency keys are deleted hourly, by the slow-jobs
thread (a sweep at most once an hour: no job row to book, nothing for the clocks to wait behind)."""

from sanshi.core.jobs import sweep

from .idempotency import idempotency_keys_purge


@sweep("idempotency-purge", slow=True, every_seconds=3600)
def purge_idempotency_keys() -> int:
    """Delete the idempotency keys older than SANSHI_IDEMPOTENCY_HOURS."""
    return idempotency_keys_purge()
