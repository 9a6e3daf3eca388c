"""The triage model in the API (mounted by sanshi.api.api under /api/v1/triage, bearer token): what
the 分拣模型 page shows, and a request to retrain. The same services as the page: 403 for a role
without the right, 400 with a reason when a run is already queued or there is no training data."""

from datetime import datetime

from django.utils.translation import gettext_lazy as _
from ninja import Field, Router, Schema, Status

from sanshi.accounts.idempotency import idempotent
from sanshi.cases.actions import get_case_or_404
from sanshi.core.errors import NotPermitted
from sanshi.core.schemas import router_errors as errors

from .services import loaded_model
from .similar import similar_open_cases
from .training import may_view, model_overview, triage_retrain_request

router = Router(tags=["triage"])


class ClassF1Out(Schema):
    label: str
    f1: float
    support: int


class RetrainRunOut(Schema):
    id: int
    state: str = Field(description="queued | running | retry | failed | replaced | kept")
    state_label: str
    trigger: str = Field(description="nightly | manual")
    created_at: datetime
    done_at: datetime | None
    replaced: bool | None
    version: str | None
    kind_macro_f1: float | None
    department_macro_f1: float | None
    why: str
    error: str


class TriageModelOut(Schema):
    version: str | None
    trained_at: datetime | None
    kind_macro_f1: float | None
    department_macro_f1: float | None
    kind_f1: list[ClassF1Out]
    department_f1: list[ClassF1Out]
    corrections_not_learnt: int
    corrections_not_learnt_by_kind: dict[str, int]
    rule: str
    retrain_queued: bool
    runs: list[RetrainRunOut]


class RetrainOut(Schema):
    id: int
    state: str


@router.get("/model", response={200: TriageModelOut, **errors(403)},
            summary="分拣模型：现用版本、交叉验证结果、尚未学习的纠正、重新训练记录")
def model_status(request):
    if not may_view(request.auth):
        raise NotPermitted(_("只有指挥中心接线员、街道干部或系统管理员可以查看分拣模型"))
    o = model_overview(loaded_model())
    return {
        "version": o["model"].model_version if o["model"] is not None else None, "trained_at": o["trained_at"],
        "kind_macro_f1": o["kind_f1"], "department_macro_f1": o["department_f1"],
        "kind_f1": [{"label": b["label"], "f1": b["f1"], "support": b["support"]} for b in o["kind_bars"]],
        "department_f1": [{"label": b["label"], "f1": b["f1"], "support": b["support"]} for b in o["department_bars"]],
        "corrections_not_learnt": o["since"], "corrections_not_learnt_by_kind": o["since_by_kind"],
        "rule": o["rule"], "retrain_queued": o["pending"] is not None,
        "runs": [{"id": h["job"].pk, "state": h["code"], "state_label": h["state"],
                  "trigger": h["job"].payload.get("trigger", ""), "created_at": h["job"].created_at,
                  "done_at": h["job"].done_at, "replaced": h["result"].get("replaced"),
                  "version": h["result"].get("version"), "kind_macro_f1": h["result"].get("kind_f1"),
                  "department_macro_f1": h["result"].get("department_f1"), "why": h["result"].get("why", ""),
                  "error": h["error"]} for h in o["history"]],
    }


@router.post("/retrain", response={202: RetrainOut, **errors(403)},
             summary="立即重新训练分拣模型（街道干部、系统管理员；同一时间只排一次）")
@idempotent
def retrain(request):
    job = triage_retrain_request(actor=request.auth)
    return Status(202, {"id": job.pk, "state": "queued"})


similar_router = Router(tags=["cases"])  # mounted at the API's root: /cases/{id}/similar


class SimilarOut(Schema):
    id: int
    number: str | None
    title: str
    status: str
    score: float


@similar_router.get("/cases/{case_id}/similar", response={200: list[SimilarOut], **errors(404)},
                    summary="相似的在办事项（可合并为重复诉求）")
def similar_cases(request, case_id: int):
    case = get_case_or_404(request.auth, case_id)
    return [{"id": c.pk, "number": c.number, "title": c.title, "status": c.status, "score": score}
            for c, score in similar_open_cases(request.auth, case)]
