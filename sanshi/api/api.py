"""The JSON API (/api/v1). Thin: parse, call the same services as the pages, render."""

from django.contrib.auth.models import AnonymousUser
from django.db.models import prefetch_related_objects
from django.http import HttpRequest
from django.utils.translation import gettext
from ninja import NinjaAPI, Query, Status
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.renderers import JSONRenderer
from ninja.security import HttpBearer

from sanshi.accounts.services import token_issue, token_revoke, token_user
from sanshi.audit.services import audit_denied
from sanshi.cases import scope
from sanshi.cases.actions import case_act, get_case_or_404
from sanshi.cases.models import Case
from sanshi.cases.selectors import case_list, public_timeline
from sanshi.cases.transitions import offered_actions
from sanshi.catalog.selectors import current_items
from sanshi.command.api import router as command_router
from sanshi.core.api import router as notifications_router
from sanshi.core.errors import ApplicationError, ValidationFailed
from sanshi.deliberation.services import ParticipantInput, meeting_schedule
from sanshi.intake.selectors import case_for_tracking
from sanshi.intake.services import RequestInput, is_staff_submission, request_submit
from sanshi.rapid.api import router as rapid_router
from sanshi.registry.api import router as roles_router
from sanshi.registry.models import OrgNode
from sanshi.supervision.api import router as supervision_router
from sanshi.triage.api import router as triage_router
from sanshi.triage.similar import similar_open_cases

from . import schemas
from .throttling import AnonymousRate, SignedInRate


class BearerAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        user = token_user(token)
        if user is not None:
            request.user = user
            request.bearer_token = token  # for /auth/revoke
        return user


class BearerOrResident(BearerAuth):
    """A bearer token when one is sent (a hotline system's intake_client token, or staff), a resident
    without an account otherwise; a token that is sent must be valid (401)."""

    def __call__(self, request: HttpRequest):
        if request.headers.get("Authorization"):
            return super().__call__(request)
        return AnonymousUser()  # truthy for ninja: the caller is a resident


class ChineseJSONRenderer(JSONRenderer):
    json_dumps_params = {"ensure_ascii": False}  # Chinese text as UTF-8, not \u escapes


api = NinjaAPI(title="sanshi API", version="1", urls_namespace="api", renderer=ChineseJSONRenderer(),
               description="三事分流 · 三会议事 — 诉求受理、分拣、议事、办理、评价的接口。",
               throttle=[AnonymousRate(), SignedInRate()])  # 429 beyond SANSHI_RATE_ANON / SANSHI_RATE_USER


@api.exception_handler(ApplicationError)
def application_error(request, exc: ApplicationError):
    if exc.status_code in (403, 404):
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


def _case_out(user, case: Case) -> dict:
    item = case.catalogue_item
    prefetch_related_objects([case], "clocks")
    return {
        "id": case.pk, "number": case.number, "title": case.title, "status": case.status,
        "kind": case.kind or None, "catalogue_code": item.code if item else None,
        "catalogue_version": item.version.number if item else None,
        "level": case.level or None, "body": case.body or None,
        "org": case.org.code if case.org else None, "org_name": case.org.name if case.org else None,
        "grid": case.grid.code if case.grid else None, "urgent": case.urgent, "escalations": case.escalations,
        "resolution": case.resolution, "result": case.result, "notice": case.notice,
        "allowed_actions": scope.actions(user, case, offered_actions(case.status, case.kind)),
        "whistle_calls": [{"department": w.department.code, "department_name": w.department.name,
                           "called_at": w.called_at, "reported_at": w.reported_at, "report": w.report}
                          for w in case.whistle_calls.all()],
        "events": [{"action": e.action, "from": e.from_status, "to": e.to_status,
                    "actor": e.actor.username if e.actor else e.actor_label, "at": e.at, "note": e.note,
                    "public_note": e.public_note} for e in case.events.all()],
        "clocks": [{"name": c.name, "due_at": c.due_at, "done_at": c.done_at, "breached": c.breached}
                   for c in case.clocks.all()],
    }


def errors(*codes: int) -> dict:
    """Documented error answers: every operation may answer 400 (bad input) and 429 (rate limit)."""
    return {code: schemas.ErrorOut for code in sorted({400, 429, *codes})}


@api.post("/requests", response={201: schemas.RequestCreated, **errors(401)}, tags=["public"],
          auth=BearerOrResident(),
          summary="提交诉求（居民无需登录；热线/12345系统用接入令牌提交交办工单）")
def create_request(request, payload: schemas.RequestIn):
    actor = request.auth if getattr(request.auth, "is_authenticated", False) else AnonymousUser()
    created = request_submit(actor=actor, data=RequestInput(
        text=payload.text, title=payload.title, sub_channel=payload.channel, grid_code=payload.grid,
        address=payload.address, reporter_name=payload.reporter_name, reporter_phone=payload.reporter_phone))
    # the tracking code is the resident's credential: to the resident and to the hotline system that
    # passes it on, never to staff (who get it to the resident by SMS or a printed slip)
    code = None if is_staff_submission(actor) else created.tracking_code
    return Status(201, {"id": created.pk, "tracking_code": code, "status": created.case.status,
                        "suggestion": created.suggestion})


@api.get("/track/{tracking_code}", response={200: schemas.TrackOut, **errors(404)}, tags=["public"],
         summary="按查询码查看办理进度")
def track(request, tracking_code: str):
    case = case_for_tracking(tracking_code)
    req = case.requests.filter(tracking_code=tracking_code.strip().upper()).first()
    return {
        "tracking_code": req.tracking_code, "case_number": case.number, "status": case.status,
        "status_label": case.get_status_display(), "kind": case.kind or None, "body": case.body or None,
        "body_label": case.get_body_display() if case.body else None, "timeline": public_timeline(case),
        "feedback": req.feedback, "can_rate": case.kind == "HOUSEHOLD" and case.status == "evaluating",
    }


@api.post("/auth/token", response={200: schemas.TokenOut, **errors(401)},
          tags=["auth"], summary="换取接口令牌（开启动态口令时须带 otp）")
def auth_token(request, payload: schemas.TokenIn):
    raw, token = token_issue(username=payload.username, password=payload.password, otp=payload.otp,
                             request=request)
    return {"token": raw, "expires_at": token.expires_at}


staff = BearerAuth()


@api.post("/auth/revoke", response={204: None, **errors(401)}, auth=staff, tags=["auth"],
          summary="注销当前使用的接口令牌")
def auth_revoke(request):
    token_revoke(raw=request.bearer_token)
    return Status(204, None)


@api.get("/cases", response={200: list[schemas.CaseSummary], **errors(401)}, auth=staff, tags=["cases"], summary="本辖区事项列表")
def list_cases(request, status: str = "", body: str = "", kind: str = "", limit: int = Query(50, ge=1, le=200),
               offset: int = Query(0, ge=0, le=10_000_000)):
    qs = case_list(request.auth, status=status or None, body=body or None, kind=kind or None)
    return [{"id": c.pk, "number": c.number, "title": c.title, "status": c.status, "kind": c.kind or None,
             "body": c.body or None, "org": c.org.code if c.org else None}
            for c in qs.order_by("-created_at")[offset:offset + limit]]


@api.get("/cases/{case_id}", response={200: schemas.CaseOut, **errors(401, 404)}, auth=staff,
         tags=["cases"], summary="事项详情与时间线")
def get_case(request, case_id: int):
    return _case_out(request.auth, get_case_or_404(request.auth, case_id))


@api.post("/cases/{case_id}/transitions",
          response={200: schemas.CaseOut, **errors(401, 403, 404, 409)},
          auth=staff, tags=["cases"], summary="推进事项（分拣、议事、吹哨、公示、评价…）")
def case_transition(request, case_id: int, payload: schemas.TransitionIn):
    case = get_case_or_404(request.auth, case_id)
    case = case_act(actor=request.auth, case=case, action=payload.action, data=payload.dict())
    return _case_out(request.auth, get_case_or_404(request.auth, case.pk))


@api.get("/cases/{case_id}/similar", response={200: list[schemas.SimilarOut], **errors(401, 404)}, auth=staff,
         tags=["cases"], summary="相似的在办事项（可合并为重复诉求）")
def similar_cases(request, case_id: int):
    case = get_case_or_404(request.auth, case_id)
    return [{"id": c.pk, "number": c.number, "title": c.title, "status": c.status, "score": score}
            for c, score in similar_open_cases(request.auth, case)]


@api.post("/meetings", response={201: schemas.MeetingOut, **errors(401, 403, 404, 409)},
          auth=staff, tags=["meetings"], summary="召集议事会（可同时带入多个事项）")
def create_meeting(request, payload: schemas.MeetingIn):
    org = OrgNode.objects.filter(code=payload.org).first()
    if org is None:
        raise ValidationFailed(gettext("组织节点不存在"),
                               errors={"org": gettext("组织节点“%(code)s”不存在") % {"code": payload.org}})
    cases = [get_case_or_404(request.auth, cid) for cid in payload.cases]
    meeting = meeting_schedule(
        actor=request.auth, org=org, body=payload.body, title=payload.title, form=payload.form,
        scheduled_at=payload.scheduled_at, place=payload.place,
        participants=[ParticipantInput(p.role, p.name) for p in payload.participants], cases=cases)
    return Status(201, {"id": meeting.pk, "body": meeting.body, "org": org.code, "title": meeting.title,
                 "form": meeting.form, "scheduled_at": meeting.scheduled_at,
                 "cases": list(meeting.items.values_list("case_id", flat=True))})


api.add_router("", rapid_router, auth=staff)  # 突发快响: dispatch, responders' steps, teams
api.add_router("/command", command_router, auth=staff)  # 指挥中心: the board and 1-5-10 compliance
api.add_router("", supervision_router, auth=staff)  # 台账 (ledger), 回访 (visits), holiday calendar
api.add_router("", notifications_router, auth=staff)  # one's own in-app notifications
api.add_router("/triage", triage_router, auth=staff)  # 分拣模型: status and retraining
api.add_router("/roles", roles_router, auth=staff)  # 岗位与账号: the security administrator's


@api.get("/catalogue", response={200: list[schemas.CatalogueItemOut], **errors()}, tags=["public"], summary="三事分流责任清单（现行版本）")
def catalogue(request):
    return [{"code": i.code, "kind": i.kind, "name": i.name, "description": i.description,
             "examples": i.examples, "keywords": i.keywords, "deadline_days": i.deadline_days,
             "version": i.version.number} for i in current_items().select_related("version")]


