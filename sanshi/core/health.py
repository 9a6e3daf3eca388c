"""What a request gets while the database is down (issue 19).

While the database cannot serve (unreachable, shutting down, read-only), every request answers 503
with `Retry-After`: the API in its documented JSON, pages a plain Chinese page
(`core.middleware.unavailable_response`). `DatabaseOutageMiddleware` answers before any view when
the connection cannot be opened, and for a page view that fails on the database; the API's
exception handler (sanshi/api/api.py) for its operations; `server_error` (handler500) for what fails
elsewhere, in a middleware after the view, say. The rule and the answer are in `core.middleware`.

docs/operations.md, "Health and outages"."""

import sys

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext
from django.views import defaults

from .middleware import database_unavailable, unavailable_response


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: what failed outside a view's own handling — in a middleware before or after the
    view (the session, the audit refusals written after it). A database that cannot serve answers
    503 as everywhere else; anything else the API's documented JSON 500, or Django's page."""
    exc = sys.exc_info()[1]
    if exc is not None and database_unavailable(exc):
        return unavailable_response(request)
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": gettext("服务器内部错误，请稍后再试；如持续出现请联系管理员"), "errors": {}},
                            status=500, json_dumps_params={"ensure_ascii": False})
    return defaults.server_error(request)
