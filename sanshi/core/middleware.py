import json
import re

from django.conf import settings
from django.core.exceptions import BadRequest, SuspiciousOperation
from django.http import HttpResponseBadRequest, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils import translation


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
