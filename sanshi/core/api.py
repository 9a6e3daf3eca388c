"""The signed-in staff member's own notifications in the API (mounted by sanshi.api.api under
/api/v1, bearer token): the same inbox as /staff/notifications/ — newest first, only one's own,
mark read by ids or all. A phone app or the command centre's wall client polls the unread count."""

from datetime import datetime
from typing import Annotated

from ninja import Field, Query, Router, Schema

from sanshi.core.schemas import ErrorOut

from .notify import inbox, notifications_mark_read, unread_count

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    kind: str = Field(..., description="e.g. clock_breach, rapid_dispatch, ledger_warning")
    subject: str
    body: str
    link: str = Field(..., description="a path in the app where it is acted on")
    created_at: datetime
    read_at: datetime | None


class InboxOut(Schema):
    unread: int
    items: list[NotificationOut]


class MarkReadIn(Schema):
    ids: list[Annotated[int, Field(ge=1, le=2**63 - 1)]] | None = Field(None, description="the notifications to mark read; omitted or null: all unread",
                                  max_length=500)


class MarkedOut(Schema):
    marked: int
    unread: int


@router.get("/notifications", response={200: InboxOut, 401: ErrorOut, 429: ErrorOut}, summary="我的通知（站内）")
def my_notifications(request, unread: bool = False, limit: int = Query(50, ge=1, le=200)):
    qs = inbox(request.auth)
    if unread:
        qs = qs.filter(read_at__isnull=True)
    return {"unread": unread_count(request.auth), "items": list(qs[:limit])}


@router.post("/notifications/read", response={200: MarkedOut, 400: ErrorOut, 401: ErrorOut, 429: ErrorOut},
             summary="标为已读（指定的或全部未读）")
def mark_read(request, payload: MarkReadIn):
    """Ids of other people's notifications are ignored (not an error: nothing is revealed about them)."""
    marked = notifications_mark_read(actor=request.auth, ids=payload.ids)
    return {"marked": marked, "unread": unread_count(request.auth)}
