"""The worker's heartbeat (issue 19): after each round of its sweeper — the clocks, the deadlines,
audit sealing — the worker notes the time in its host's `WorkerHeartbeat` row; /readyz reads the
newest. One UPDATE a round, at most once a second (a backlog runs rounds back to back). Whatever
keeps the write from happening — the database down, most often — nothing is noted and the heartbeat
goes stale, which is what /readyz must see; the sweeper goes on. A sweep that fails on its own is
logged and backs off (the worker); the round still ends."""

import socket
import time
from datetime import datetime

from django.db.models import Max
from django.utils import timezone

from .models import WorkerHeartbeat

MIN_INTERVAL_SECONDS = 1.0
_last_beat = float("-inf")  # time.monotonic() of this process's last write (one sweeper thread writes)


def beat() -> None:
    """Note that the sweeper finished a round now (skipped within a second of the last note)."""
    global _last_beat
    now = time.monotonic()
    if now - _last_beat < MIN_INTERVAL_SECONDS:
        return
    at = timezone.now()
    worker = socket.gethostname()[:100]
    try:
        if not WorkerHeartbeat.objects.filter(worker=worker).update(swept_at=at):
            WorkerHeartbeat.objects.update_or_create(worker=worker, defaults={"swept_at": at})  # the first round
    except Exception:  # noqa: BLE001 — never the sweeper's end: the note is missing, /readyz sees it stale
        return  # (the database does not answer: its sweeps log that themselves)
    _last_beat = now


def last_sweep() -> datetime | None:
    """When any worker's sweeper last finished a round."""
    return WorkerHeartbeat.objects.aggregate(at=Max("swept_at"))["at"]
