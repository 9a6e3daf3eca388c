"""Who is asking, per request: the client IP and a request id, set by AuditContextMiddleware and
read by `audit_record` (a contextvar, so threads and async tasks each see their own)."""

from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RequestContext:
    ip: str = ""
    request_id: str = ""
    in_request: bool = False
    # refusals noted during the request, written by the middleware once the view is done (so that a
    # rolled-back transaction cannot take the record of a failed sign-in or a denied access with it)
    pending: list = field(default_factory=list)


current: ContextVar[RequestContext | None] = ContextVar("sanshi_audit_request", default=None)


def request_context() -> RequestContext:
    """The current request's context, or an empty one outside a request (a new one each time)."""
    return current.get() or RequestContext()
