"""GET /api/v1/kpis: a node's figures for a period (docs/kpis.md) — the same body as the dashboard
(`selectors.kpis`). Mounted by sanshi/api/api.py with the bearer auth."""

from django.utils.translation import gettext_lazy
from ninja import Field, Query, Router, Schema

from sanshi.audit.services import audit_denied
from sanshi.core.errors import NotPermitted, ValidationFailed
from sanshi.core.schemas import router_errors
from sanshi.registry.models import OrgNode

from . import selectors
from .selectors import PeriodError

router = Router(tags=["kpis"])
RATE = "比率：四位小数的字符串（如 \"0.9775\"），分母为零时为 null"


class NodeOut(Schema):
    code: str
    name: str
    level: str = Field(description="district | street | community | grid")


class PeriodOut(Schema):
    from_: str = Field(alias="from", description="开始日期（含）")
    to: str = Field(description="结束日期（含）")


class ByKind(Schema):
    PUBLIC: int
    SHARED: int
    HOUSEHOLD: int
    unsorted: int = Field(description="尚未分拣（还没有类别）")
    total: int


class ByChannel(Schema):
    assigned: int = Field(description="各级交办")
    patrol: int = Field(description="网格摸排")
    resident: int = Field(description="群众反映")


class OwnLevel(Schema):
    PUBLIC: str | None = Field(description="公事不出街道 — " + RATE)
    SHARED: str | None = Field(description="共事不出社区 — " + RATE)
    HOUSEHOLD: str | None = Field(description="家事不出网格 — " + RATE)


class Step(Schema):
    met: int
    missed: int
    rate: str | None = Field(description="met / (met + missed) — " + RATE)


class Steps(Schema):
    dispatch: Step
    arrive: Step
    result: Step
    reinforce: Step


class KindFigures(Schema):
    received: int
    closed: int
    resolution_rate: str | None
    satisfaction_rate: str | None


class Median(Schema):
    all: str | None = Field(description="天，一位小数")
    PUBLIC: str | None
    SHARED: str | None
    HOUSEHOLD: str | None


class Figures(Schema):
    received: ByKind
    closed: ByKind
    received_by_channel: ByChannel
    closed_by_channel: ByChannel
    received_by_sub_channel: dict[str, int]
    resolution_rate: str | None = Field(description="化解率 — " + RATE)
    grassroots_resolution_rate: str | None = Field(description="基层化解率 — " + RATE)
    own_level_rate: OwnLevel
    satisfaction_rate: str | None = Field(description="满意率（评价）— " + RATE)
    visit_satisfaction_rate: str | None = Field(description="回访满意率 — " + RATE)
    response_rate: str | None = Field(description="响应率 — " + RATE)
    timeliness_rate: str | None = Field(description="按期办结率 — " + RATE)
    escalation_rate: str | None = Field(description="提级率 — " + RATE)
    bounce_back_rate: str | None = Field(description="退回重分率 — " + RATE)
    participation_rate: str | None = Field(description="居民参与率 — " + RATE)
    rapid_compliance: Steps
    by_kind: dict[str, KindFigures]
    counts: dict[str, int] = Field(description="各比率的分子与分母")


class PeriodFigures(Figures):
    period: PeriodOut
    median_days_to_close: Median


class ChildFigures(Figures):
    node: NodeOut
    open_now: int
    overdue_now: int


class Month(Schema):
    month: str
    received: int
    closed: int
    resolution_rate: str | None
    grassroots_resolution_rate: str | None
    satisfaction_rate: str | None
    response_rate: str | None
    escalation_rate: str | None


class KpisOut(Figures):
    node: NodeOut
    period: PeriodOut
    median_days_to_close: Median
    open_now: int = Field(description="在办事项（现在）")
    overdue_now: int = Field(description="超期事项（现在）")
    trend: list[Month]
    previous_year: PeriodFigures = Field(description="上年同期")
    previous_period: PeriodFigures = Field(description="上一期（环比）")
    children: list[ChildFigures] = Field(description="下一级各节点（到网格为止），不含中位数与趋势")


CODE_LENGTH = OrgNode._meta.get_field("code").max_length


@router.get("/kpis", response={200: KpisOut, **router_errors(403, 404)}, by_alias=True,
            summary="数据看板：某节点某时段受理事项的各项指标（node 缺省为本人辖区最高一级；from/to：年-月-日，含首尾，缺省为最近12个月）")
def kpis(request, node: str = Query("", max_length=CODE_LENGTH),
         date_from: str = Query("", alias="from", max_length=40), date_to: str = Query("", alias="to", max_length=40)):
    user = request.auth
    if selectors.default_node(user) is None:
        audit_denied(request, "kpis", node)
        raise NotPermitted(gettext_lazy("数据看板只对有辖区的工作人员开放"))
    try:
        period = selectors.period_of(date_from, date_to)
    except PeriodError as exc:
        raise ValidationFailed(gettext_lazy("统计时段有误"), errors=exc.errors) from None
    return selectors.kpis(selectors.node_for(user, node), period.start, period.end)
