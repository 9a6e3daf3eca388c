"""What each figure means, in the words the dashboard shows beside it (the "?") — the same
definitions as docs/kpis.md, which works an example of each."""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Figure:
    key: str
    label: str | Promise
    definition: str | Promise
    is_rate: bool


FIGURES: dict[str, Figure] = {f.key: f for f in [
    Figure("received", _("受理事项"), _(
        "统计时段内受理的事项（按收到第一条诉求的日期），按类别、按来源渠道。合并为重复诉求的随被合并的事项计一件，"
        "不单独计数；尚未分拣的计入“待分拣”。"), False),
    Figure("closed", _("办结事项"), _(
        "上述事项中已经办结的：评价满意办结、评价期满无人评价办结、区级复议后仍不满意（终局）办结。"), False),
    Figure("open_now", _("在办事项"), _("现在尚未办结的事项，不限受理时段。"), False),
    Figure("overdue_now", _("超期事项"), _(
        "现在尚未办结、办理期限或 1-5-10 某一环节时限已过而未完成的事项。"), False),
    Figure("resolution_rate", _("化解率"), _(
        "已化解 ÷ 受理。已化解＝已办结，但不含区级复议后仍不满意的终局办结；评价期满无人评价而办结的计为化解。"), True),
    Figure("grassroots_resolution_rate", _("基层化解率"), _(
        "在街道及以下化解、从未提级到区级联席会议的事项 ÷ 受理。"), True),
    Figure("own_level_HOUSEHOLD", _("家事不出网格"), _(
        "受理的家事中，未经提级、在网格化解的 ÷ 受理的家事。"), True),
    Figure("own_level_SHARED", _("共事不出社区"), _(
        "受理的共事中，未经提级、在社区化解的 ÷ 受理的共事。"), True),
    Figure("own_level_PUBLIC", _("公事不出街道"), _(
        "受理的公事中，未经提级、在街道化解的 ÷ 受理的公事。"), True),
    Figure("satisfaction_rate", _("满意率（评价）"), _(
        "评价人员（当事人、民主监督员、居务监督委员会、街道人大工委）对受理事项给出的满意评价 ÷ 全部评价，每轮都计；"
        "评价期满无人评价的事项计为办结，不计入满意率。"), True),
    Figure("visit_satisfaction_rate", _("回访满意率"), _(
        "家事办结后网格长回访，记为“满意”或“基本满意”的 ÷ 已完成的回访。"), True),
    Figure("response_rate", _("响应率"), _("已分拣（离开诉求池、交给责任主体）的 ÷ 受理。"), True),
    Figure("timeliness_rate", _("按期办结率"), _(
        "在办理期限内办结的 ÷ 有办理期限的已办结事项（紧急事件按 1-5-10 时限另计）。"), True),
    Figure("participation_rate", _("居民参与率"), _(
        "统计时段内至少有一名成员参加了议事会（会议已召开）或参加了业主表决的住户 ÷ 辖区登记在册的住户。"), True),
    Figure("rapid_compliance", _("1-5-10 达标率"), _(
        "受理的紧急事件各环节：在时限内完成的 ÷（在时限内完成的 + 超时的）；尚未到期的不计。"
        "规则与指挥中心“1-5-10 达标统计”相同。"), True),
    Figure("median_days_to_close", _("办结用时中位数"), _(
        "已办结事项从受理到办结所用天数的中位数，精确到 0.1 天，按类别。"), False),
    Figure("escalation_rate", _("提级率"), _("至少提级复议一次的 ÷ 受理。"), True),
    Figure("bounce_back_rate", _("退回重分率"), _(
        "分拣后又重新分拣（改类别、清单事项或网格，须写明理由）的 ÷ 已分拣。"), True),
    Figure("changes", _("同比与环比"), _(
        "同比：与上年同期比；环比：与紧邻的上一期比（整月的时段比之前相同的月数，否则比之前相同的天数）。"
        "件数的变化为增减百分比，比率的变化为增减的百分点。"), False),
]}


def _get(*path: str) -> Callable[[dict[str, Any]], Any]:
    def get(body: dict[str, Any]) -> Any:
        value: Any = body
        for part in path:
            value = value.get(part) if isinstance(value, dict) else None
        return value

    return get


COUNT, RATE, DAYS = "count", "rate", "days"


def row_figures() -> list[tuple[str, Callable[[dict[str, Any]], Any], str]]:
    """(label, getter, unit: COUNT, RATE or DAYS) for each row of the export."""
    kinds = (("PUBLIC", _("公事")), ("SHARED", _("共事")), ("HOUSEHOLD", _("家事")))
    rows: list[tuple[str, Callable[[dict[str, Any]], Any], str]] = [
        (str(_("受理事项")), _get("received", "total"), COUNT),
        *[(f"{_('受理事项')}·{label}", _get("received", kind), COUNT) for kind, label in kinds],
        (str(_("办结事项")), _get("closed", "total"), COUNT),
        *[(f"{_('办结事项')}·{label}", _get("closed", kind), COUNT) for kind, label in kinds],
        (f"{_('受理事项')}·{_('12345热线工单')}", _get("received_by_sub_channel", "hotline"), COUNT),
    ]
    for key in ("resolution_rate", "grassroots_resolution_rate"):
        rows.append((str(FIGURES[key].label), _get(key), RATE))
    for kind, _label in kinds:
        rows.append((str(FIGURES[f"own_level_{kind}"].label), _get("own_level_rate", kind), RATE))
    for key in ("satisfaction_rate", "visit_satisfaction_rate", "response_rate", "timeliness_rate",
                "participation_rate", "escalation_rate", "bounce_back_rate"):
        rows.append((str(FIGURES[key].label), _get(key), RATE))
    for step, label in (("dispatch", _("派单")), ("arrive", _("到场")), ("result", _("处置")),
                        ("reinforce", _("增援到场"))):
        rows.append((f"{FIGURES['rapid_compliance'].label}·{label}", _get("rapid_compliance", step, "rate"), RATE))
    rows.append((str(FIGURES["median_days_to_close"].label), _get("median_days_to_close", "all"), DAYS))
    return rows


# ---- how a figure is written (the page, the wall, the export) --------------------------------------

def percent(value: str | None) -> str:
    """A rate of the API body ("0.9775") as people read it ("97.75%"; "—" when undefined)."""
    return "—" if value is None else f"{Decimal(value) * 100:.2f}%"


def signed_percent(value: str | None) -> str:
    """A count's relative change ("-0.1411" → "-14.11%")."""
    return "—" if value is None else f"{Decimal(value) * 100:+.2f}%"


def points(value: str | None) -> str:
    """A rate's change in percentage points ("0.1250" → "+12.50 个百分点")."""
    return "—" if value is None else gettext("%(n)s 个百分点") % {"n": f"{Decimal(value) * 100:+.2f}"}


def days(value: str | None, *, signed: bool = False) -> str:
    return "—" if value is None else gettext("%(n)s 天") % {"n": f"{Decimal(value):+.1f}" if signed else value}


def moved_words(value: str | None, unit: str) -> str:
    """A change in words, for a spreadsheet (a cell that starts with + or - is neutralised there as
    a formula): "增长 100.00%", "下降 12.50 个百分点", "减少 2.5 天", "持平"."""
    if value is None:
        return "—"
    number = Decimal(value)
    if not number:
        return gettext("持平")
    if unit == DAYS:
        return (gettext("增加 %(n)s 天") if number > 0 else gettext("减少 %(n)s 天")) % {"n": f"{abs(number):.1f}"}
    if unit == RATE:
        return (gettext("上升 %(n)s 个百分点") if number > 0 else gettext("下降 %(n)s 个百分点")) % {
            "n": f"{abs(number) * 100:.2f}"}
    return (gettext("增长 %(n)s%%") if number > 0 else gettext("下降 %(n)s%%")) % {"n": f"{abs(number) * 100:.2f}"}
