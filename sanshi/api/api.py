"""The JSON API (/api/v1): one NinjaAPI that mounts each app's router, with the project's error
answers and rate limits. The apps' routers hold the operations; this module only assembles them."""

import logging

from django.conf import settings
from django.db import DatabaseError, InterfaceError
from django.http import Http404
from django.utils.translation import gettext
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError
from ninja.renderers import JSONRenderer

from sanshi.accounts.api import router as auth_router
from sanshi.accounts.auth import staff
from sanshi.accounts.throttling import AnonymousRate, SignedInRate
from sanshi.audit.services import audit_denied
from sanshi.cases.api import router as cases_router
from sanshi.catalog.api import router as catalogue_router
from sanshi.command.api import router as command_router
from sanshi.core.api import router as notifications_router
from sanshi.core.errors import ApplicationError
from sanshi.core.middleware import database_unavailable, log_unavailable, unavailable_message
from sanshi.deliberation.api import router as meetings_router
from sanshi.intake.api import router as intake_router
from sanshi.kpis.api import router as kpis_router
from sanshi.notices.api import router as notices_router
from sanshi.rapid.api import router as rapid_router
from sanshi.registry.api import router as roles_router
from sanshi.supervision.api import router as supervision_router
from sanshi.triage.api import router as triage_router
from sanshi.triage.api import similar_router
from sanshi.votes.api import router as votes_router


class ChineseJSONRenderer(JSONRenderer):
    json_dumps_params = {"ensure_ascii": False}  # Chinese text as UTF-8, not \u escapes


api = NinjaAPI(title="sanshi API", version="1", urls_namespace="api", renderer=ChineseJSONRenderer(),
               description="三事分流 · 三会议事 — 诉求受理、分拣、议事、办理、评价的接口。",
               throttle=[AnonymousRate(), SignedInRate()])  # 429 beyond SANSHI_RATE_ANON / SANSHI_RATE_USER


@api.exception_handler(ApplicationError)
def application_error(request, exc: ApplicationError):
    # a refusal of a signed-in caller is audited; an anonymous read never writes (a resident's
    # unknown tracking code: Django's one log line, the code hashed by core.middleware.CredentialsInPaths)
    if exc.status_code in (403, 404) and _signed_in(request):
        audit_denied(request)
    # str() here, in the request's language: messages are lazy translations (not JSON-serialisable)
    return api.create_response(request, {"detail": exc.detail(), "errors": exc.field_errors()},
                               status=exc.status_code)


@api.exception_handler(NinjaValidationError)
def validation_error(request, exc: NinjaValidationError):
    errors: dict[str, str] = {}
    for error in exc.errors:
        loc = [str(p) for p in error.get("loc", []) if not isinstance(p, int)]
        field = loc[-1] if loc else "body"
        if field in ("payload", "body", "data"):
            field = "body"
        errors.setdefault(field, error.get("msg", "invalid"))
    return api.create_response(request, {"detail": gettext("请求参数有误"), "errors": errors}, status=400)


@api.exception_handler(AuthenticationError)
def auth_error(request, exc):
    return api.create_response(request, {"detail": gettext("需要登录令牌（Authorization: Bearer <token>）"),
                                         "errors": {}}, status=401)


@api.exception_handler(Http404)
def not_found(request, exc: Http404):
    return api.create_response(request, {"detail": gettext("未找到"), "errors": {}}, status=404)


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    """ninja's own refusals (429 from the rate limits among them) in the documented shape."""
    if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):
        # ninja's "Cannot parse request body": its parser's json.loads failed (a JSONDecodeError or a
        # UnicodeDecodeError, both ValueErrors, raised `from` the HttpError)
        message = gettext("请求内容不是有效的 JSON（UTF-8 编码），请检查引号、逗号和括号后重试")
        return api.create_response(request, {"detail": message, "errors": {"body": message}}, status=400)
    detail = gettext("请求过于频繁，请稍后再试") if isinstance(exc, Throttled) else exc.message
    return api.create_response(request, {"detail": detail, "errors": {}}, status=exc.status_code)


def _signed_in(request) -> bool:
    caller = getattr(request, "auth", None) or getattr(request, "user", None)
    return bool(getattr(caller, "is_authenticated", False))


logger = logging.getLogger("sanshi.api")


@api.exception_handler(DatabaseError)
@api.exception_handler(InterfaceError)
def database_error(request, exc: Exception):
    """The database cannot serve (unreachable, read-only …): 503 with Retry-After, so clients retry
    later (core.middleware.database_unavailable); an error of our own statement stays a 500."""
    if not database_unavailable(exc):
        return unexpected_error(request, exc)
    log_unavailable(request, exc)
    response = api.create_response(request, {"detail": unavailable_message(), "errors": {}}, status=503)
    response["Retry-After"] = str(settings.SANSHI_OUTAGE_RETRY_AFTER_SECONDS)
    return response


@api.exception_handler(Exception)
def unexpected_error(request, exc: Exception):
    """Anything no handler above knows: 500 in the documented shape, not Django's HTML page.
    One log line (the exception's type, message and the line that raised it, and the request id
    to find the rest); the answer says nothing of the cause. A more specific handler registered
    for a subclass (a 503 for an unreachable database, say) is chosen before this one."""
    frame = exc.__traceback__
    while frame is not None and frame.tb_next is not None:
        frame = frame.tb_next
    where = f"{frame.tb_frame.f_code.co_filename}:{frame.tb_lineno}" if frame is not None else "?"
    # one line, and text every log handler can encode (a lone surrogate in the message would not be)
    message = " ".join(str(exc).split())[:300].encode("utf-8", "backslashreplace").decode()
    logger.error("API 500 %s %s request_id=%s %s: %s at %s", request.method, request.path,
                 getattr(request, "request_id", "-"), type(exc).__name__, message, where)
    return api.create_response(request, {"detail": gettext("服务器内部错误，请稍后再试；如持续出现请联系管理员"),
                                         "errors": {}}, status=500)


api.add_router("", intake_router)  # 诉求受理 (public: residents, and hotline systems by token) and 进度查询
api.add_router("", catalogue_router)  # 三事分流责任清单 (public)
api.add_router("/auth", auth_router)  # tokens
api.add_router("", cases_router, auth=staff)  # 事项: the user's list, one case, its transitions
api.add_router("", similar_router, auth=staff)  # 相似诉求
api.add_router("", meetings_router, auth=staff)  # 三会议事
api.add_router("", rapid_router, auth=staff)  # 突发快响: dispatch, responders' steps, teams
api.add_router("/command", command_router, auth=staff)  # 指挥中心: the board and 1-5-10 compliance
api.add_router("", kpis_router, auth=staff)  # 数据看板: a node's figures for a period
api.add_router("", supervision_router, auth=staff)  # 台账 (ledger), 回访 (visits), holiday calendar
api.add_router("", notifications_router, auth=staff)  # one's own in-app notifications
api.add_router("/triage", triage_router, auth=staff)  # 分拣模型: status and retraining
api.add_router("/roles", roles_router, auth=staff)  # 岗位与账号: the security administrator's
api.add_router("", votes_router)  # 业主共同决定: public counts; the community secretary's votes (own auth)
api.add_router("", notices_router)  # 张榜公示: the board, comments and objections (public); moderation (own auth)
