import json
import logging
import re

from django.conf import settings
from django.core.exceptions import BadRequest, SuspiciousOperation
from django.db import (
    DatabaseError,
    DataError,
    IntegrityError,
    InterfaceError,
    InternalError,
    NotSupportedError,
    ProgrammingError,
    connection,
)
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext

from .logging import redact


class ChineseFirstLocaleMiddleware:
    """Chinese unless the user chose another language (the language cookie set by /i18n/setlang/).
    Browser Accept-Language is ignored: street-office PCs often run English-language browsers."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response


class PermissionsPolicyMiddleware:
    """Send settings.PERMISSIONS_POLICY as the Permissions-Policy header: the browser features no
    page uses (camera, microphone, location, payment …) are off for the site and anything it
    embeds. A photo taken for a report goes through the file input (the phone's own camera app),
    which needs no permission."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.header = ", ".join(f"{feature}=({' '.join(allow)})"
                                for feature, allow in settings.PERMISSIONS_POLICY.items())

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", self.header)
        return response


class RejectUnstorableCharactersMiddleware:
    """Refuse input holding NUL characters or lone UTF-16 surrogates with a clear 400, before any
    view, form or query sees it. PostgreSQL cannot store NUL in text, no UTF-8 encoder (the database
    driver, the password hasher, the log) can encode a lone surrogate (JSON's "\\ud800" gives one),
    and no real request needs either. Checked: the path, the query, the headers, form fields and
    file names, and every string (keys too) of a JSON body. A surrogate *pair* (an emoji written
    as two escapes) is one character after decoding and passes."""

    message = "输入内容包含无法处理的字符（空字符 \\0 或不成对的 Unicode 代理字符），请删除后重试"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            field = _unstorable_input(request)
        except (BadRequest, MultiPartParserError, SuspiciousOperation):
            if not request.path_info.startswith("/api/"):
                raise  # Django's 400 page (a body too large, too many fields, a broken upload)
            return _json_400("请求内容无法解析或超出大小限制", "body")
        if field is not None:
            if request.path_info.startswith("/api/"):
                return _json_400(self.message, field)
            return HttpResponseBadRequest(self.message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


def _json_400(message: str, field: str) -> JsonResponse:
    return JsonResponse({"detail": message, "errors": {field: message}}, status=400,
                        json_dumps_params={"ensure_ascii": False})


_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")
_JSON_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")  # \u0000 or the first half of \ud800-\udfff


def _bad(text: str) -> bool:
    return _UNSTORABLE.search(text) is not None


def _unstorable_input(request) -> str | None:
    """The name of the first part of the request holding a NUL or a lone surrogate, else None."""
    if _bad(request.path_info):
        return "path"
    for name, values in request.GET.lists():
        if _bad(name):
            return "query"
        if any(_bad(v) for v in values):
            return name
    if any("\x00" in value for key, value in request.META.items() if key.startswith("HTTP_")
           and isinstance(value, str)):
        return "headers"  # axes stores the user agent of a failed sign-in
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    content_type = request.content_type or ""
    if content_type in ("multipart/form-data", "application/x-www-form-urlencoded") and request.method == "POST":
        for name, values in request.POST.lists():
            if _bad(name) or any(_bad(v) for v in values):
                return "body"
        if any(_bad(f.name or "") for files in request.FILES.lists() for f in files[1]):
            return "body"
        return None
    body = request.body
    if b"\x00" in body:
        return "body"
    if content_type == "application/json" or content_type.endswith("+json"):
        if _JSON_ESCAPE.search(body) is None:
            return None
        try:
            data = json.loads(body)
        except ValueError:
            return None  # not JSON: the view answers its own 400
        return "body" if _json_has_bad_string(data) else None
    if content_type == "application/x-www-form-urlencoded" and b"%00" in body:
        return "body"  # a form body sent with PUT or PATCH: not parsed by Django
    return None


def _json_has_bad_string(data) -> bool:
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _bad(item):
                return True
        elif isinstance(item, dict):
            if any(_bad(key) for key in item):
                return True
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


# ---- every API error in the documented JSON -----------------------------------------------------

class APIErrorsAsJSONMiddleware:
    """Under /api/, a 4xx or 5xx that is not JSON — Django's HTML 404 for a path that names no
    operation, django-ninja's text/html 405 for a method the path does not take — answers the API's
    `{"detail", "errors": {}}` in the request's language, keeping `Allow` and `Retry-After`. The
    API's own handlers (sanshi/api/api.py) answer everything raised inside an operation."""

    kept_headers = ("Allow", "Retry-After")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (response.status_code < 400 or not request.path_info.startswith("/api/")
                or response.streaming or _is_json(response.get("Content-Type", ""))):
            return response
        json_response = JsonResponse({"detail": _api_error_message(response), "errors": {}},
                                     status=response.status_code, json_dumps_params={"ensure_ascii": False})
        for name in self.kept_headers:
            if name in response:
                json_response[name] = response[name]
        return json_response


def _is_json(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


def _api_error_message(response: HttpResponse) -> str:
    status = response.status_code
    if status == 404:
        return gettext("接口不存在，请核对地址和版本号（接口说明见 /api/v1/docs）")
    if status == 405:
        return gettext("该接口不支持此请求方法，可用的方法：%(allowed)s") % {"allowed": response.get("Allow", "-")}
    if status == 503:
        return unavailable_message()
    if status >= 500:
        return gettext("服务器内部错误，请稍后再试；如持续出现请联系管理员")
    return gettext("请求无法处理（HTTP %(status)d），请核对地址、方法和请求内容") % {"status": status}


# ---- while the database is down (issue 19; sanshi/core/health.py) ------------------------------

outage_log = logging.getLogger("sanshi.outage")
READ_ONLY_SQLSTATE = "25006"  # read_only_sql_transaction: a hot standby, default_transaction_read_only


def database_unavailable(exc: BaseException) -> bool:
    """True for a database error that says the database cannot serve now — unreachable, shutting
    down, out of connections, read-only — rather than that our statement was wrong: the request may
    succeed later, so it answers 503 with Retry-After. Integrity, data and programming errors (and
    other internal errors) stay 500s: a retry would fail the same way."""
    if isinstance(exc, IntegrityError | DataError | ProgrammingError | NotSupportedError):
        return False
    if isinstance(exc, InternalError):
        return getattr(exc.__cause__, "sqlstate", None) == READ_ONLY_SQLSTATE
    return isinstance(exc, DatabaseError | InterfaceError)


def unavailable_message() -> str:
    return gettext("服务暂时不可用（数据库无法访问），请稍后重试")


def log_unavailable(request: HttpRequest, exc: BaseException) -> None:
    """One line: the method, the route (never the path: it may hold a tracking code), the request id
    and the error's class and first line, redacted."""
    match = getattr(request, "resolver_match", None)
    first = (str(exc).strip().splitlines() or [""])[0]
    outage_log.warning("503 database unavailable: %s %s request_id=%s (%s: %s)", request.method,
                       match.route if match is not None else "-", getattr(request, "request_id", "-"),
                       type(exc).__name__, redact(first)[:200])


def unavailable_response(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After: `{"detail", "errors"}` for the API, a plain Chinese page for pages (no
    template, no context processor: nothing that could ask the database again)."""
    if request.path_info.startswith("/api/"):
        response: HttpResponse = JsonResponse({"detail": unavailable_message(), "errors": {}}, status=503,
                                              json_dumps_params={"ensure_ascii": False})
    else:
        title = gettext("服务暂时不可用")
        text = gettext("系统暂时无法访问数据库，请稍后再试。如果您刚才提交了表单，请稍后返回上一页重新提交，不会重复登记。")
        response = HttpResponse(f'<!doctype html><html lang="zh-hans"><head><meta charset="utf-8"><title>{title}'
                                f"</title></head><body><h1>{title}</h1><p>{text}</p></body></html>",
                                status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(settings.SANSHI_OUTAGE_RETRY_AFTER_SECONDS)
    return response


class DatabaseOutageMiddleware:
    """503 instead of a 500 while the database cannot serve. Before the session, the user and the
    view ask for it, the connection is checked (what the first query would do anyway: Django's
    health check once a request, a connect when there is none); a page view that fails on the
    database is answered the same way. One log line each. The API's operations have their own
    handler (sanshi/api/api.py); the probes answer for themselves (/readyz reports the database)."""

    exempt = ("/healthz", "/readyz")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info not in self.exempt:
            try:
                connection.close_if_health_check_failed()
                connection.ensure_connection()
            except (DatabaseError, InterfaceError) as exc:
                if not database_unavailable(exc):
                    raise
                log_unavailable(request, exc)
                return unavailable_response(request)
        return self.get_response(request)

    def process_exception(self, request, exception):
        if database_unavailable(exception):
            log_unavailable(request, exception)
            return unavailable_response(request)
        return None


# ---- credentials in URLs stay out of the logs ---------------------------------------------------

CREDENTIAL_PARAMETERS = frozenset({"code", "tracking_code", "token", "uidb64"})


class CredentialsInPaths(logging.Filter):
    """A tracking code in a URL is a resident's credential, a one-time link's token an account's:
    Django logs every 4xx with its path ("Not Found: /api/v1/track/…"), an unknown tracking code
    among them, and a 503 answered before the URL was resolved. In a record that carries its
    request, each such URL parameter (by name) is replaced
    by a keyed hash prefix — the same code gives the same mark, so repeated guesses can be told
    apart, and the mark cannot be turned back into the code without SECRET_KEY."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        if request is None:
            return True
        match = getattr(request, "resolver_match", None)
        if match is None:  # answered before the URL was resolved (a 503 while the database is down)
            try:
                match = resolve(request.path_info)
            except Resolver404:
                return True
        values = [str(v) for k, v in match.kwargs.items() if k in CREDENTIAL_PARAMETERS and v]
        if values:
            message = record.getMessage()
            for value in values:
                message = message.replace(value, f"[已隐去#{salted_hmac('sanshi.logs', value).hexdigest()[:8]}]")
            record.msg, record.args = message, ()
        return True
