import ipaddress
import re
import uuid

from .context import RequestContext, current
from .services import audit_denied, flush_pending

SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def client_ip(request) -> str:
    """REMOTE_ADDR, validated. Behind a reverse proxy this is the proxy's address unless the proxy
    server rewrites it (nginx `real_ip`); X-Forwarded-For is not trusted here."""
    raw = (request.META.get("REMOTE_ADDR") or "").strip()
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        return ""


class AuditContextMiddleware:
    """Give every request an id of the server's own and note the client IP, for the audit trail;
    answer the id as X-Request-ID. A client's X-Request-ID never reaches an audit row (a client could
    make its acts look like another request's); a short safe one is echoed back as
    X-Client-Request-ID so the client can match its log to ours. After the view, write the refusals
    noted during the request (see `services.audit_refusal`)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = uuid.uuid4().hex
        request.request_id = request_id
        context = RequestContext(ip=client_ip(request), request_id=request_id, in_request=True)
        token = current.set(context)
        try:
            response = self.get_response(request)
            self._note_refused_page(request, response)
        finally:
            current.reset(token)
            flush_pending(context)  # raises if the audit trail cannot be written: that must not pass quietly
        response.headers["X-Request-ID"] = request_id
        if SAFE_REQUEST_ID.match(incoming):
            response.headers["X-Client-Request-ID"] = incoming
        return response

    @staticmethod
    def _note_refused_page(request, response) -> None:
        """A staff page that answered 403, or 404 for an object out of scope, is a refused access."""
        user = getattr(request, "user", None)
        if response.status_code in (403, 404) and request.path.startswith("/staff/") and \
                getattr(user, "is_authenticated", False):
            audit_denied(request)
