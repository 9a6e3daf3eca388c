from django.conf import settings
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


class RejectNullCharactersMiddleware:
    """Refuse input holding NUL characters with a clear 400: PostgreSQL cannot store them in text,
    and no real request needs them. Checks the query string and text bodies (form fields of
    multipart uploads, not the files)."""

    message = "输入内容包含不允许的空字符（\\0）"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._has_nul(request):
            from django.http import HttpResponseBadRequest, JsonResponse

            if request.path.startswith("/api/"):
                return JsonResponse({"detail": self.message, "errors": {"body": self.message}}, status=400,
                                    json_dumps_params={"ensure_ascii": False})
            return HttpResponseBadRequest(self.message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)

    @staticmethod
    def _has_nul(request) -> bool:
        query = request.META.get("QUERY_STRING", "")
        if "%00" in query or "\x00" in query:
            return True
        if request.method not in ("POST", "PUT", "PATCH"):
            return False
        content_type = request.META.get("CONTENT_TYPE", "")
        if content_type.startswith("multipart/"):
            return any("\x00" in value for values in request.POST.lists() for value in values[1])
        body = request.body
        return b"\x00" in body or b"\\u0000" in body or b"%00" in body
