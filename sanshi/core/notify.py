"""The one way to tell staff something: `notify()`. It writes the in-app notification rows in the
caller's transaction; delivery on other channels (e-mail, webhook, SMS) happens in the worker
after commit and is retried on failure."""

from collections.abc import Iterable

from .models import Notification


def notify(*, recipients: Iterable, subject: str, body: str, kind: str = "", link: str = "") -> list[Notification]:
    """Notify each user in `recipients` (duplicates once). `kind` names the event
    (e.g. "clock_breach", "ledger_warning"); `link` is a path in the app to act on it."""
    seen: set[int] = set()
    rows = []
    for user in recipients:
        if user is None or user.pk in seen:
            continue
        seen.add(user.pk)
        rows.append(Notification.objects.create(recipient=user, subject=subject[:200], body=body))
    return rows
