"""The filters every list shares, read from the query string (a plain GET form): search, period,
kind, status and node — and the page. A list's rows come from the scope module first; these only
narrow them, so a filter never shows what scope hides. The same form drives the list page and its
Excel export, so the export holds exactly the rows the filters select (docs/exports.md).

- `q`: a case's number or title (a part of either), or a tracking code read out on the phone: that
  finds its case (in sight) through the apps' `register_search` (intake), exactly, never by a part,
  and the code is shown nowhere — not in the rows, not in the audit row (`reason()` writes
  "q=[查询码]");
- `from`, `to`: the period, on the date each list names (received, held, put on the ledger, due);
- `kind`, `status`: the list's own choices (its default first);
- `node`: a node of the user's area (and down two levels), cases placed in its subtree."""

from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from sanshi.catalog.models import Kind
from sanshi.core.personal import mask_personal_text
from sanshi.registry.models import Level, OrgNode
from sanshi.registry.selectors import subtrees

from . import scope

PAGE_SIZE = 50
NODE_DEPTH_BELOW = 2  # the node filter offers the user's nodes and two levels below them
SEARCH_MAX = 100
RECEIVED = _("受理日期")

SearchPart = Callable[[str], "QuerySet | None"]  # q → a values("case_id") subquery, or None if q cannot match
_SEARCH: list[SearchPart] = []


def register_search(part: SearchPart) -> SearchPart:
    """An app lets a list's search find cases by something it keeps (intake: a tracking code, exactly)."""
    if part not in _SEARCH:
        _SEARCH.append(part)
    return part


def _code_matches(q: str) -> list[QuerySet]:
    return [ids for ids in (part(q) for part in _SEARCH) if ids is not None]


def search_q(q: str, prefix: str = "") -> Q:
    """Cases whose number or title holds `q`, or whose request has `q` as its tracking code."""
    cond = Q(**{f"{prefix}number__icontains": q}) | Q(**{f"{prefix}title__icontains": q})
    for ids in _code_matches(q):
        cond |= Q(**{f"{prefix}pk__in": ids})
    return cond


def node_choices(user, roles=None) -> list[tuple[str, str]]:
    """The nodes a list's node filter offers: where the user holds a role, and two levels below (not
    the micro-grids), indented under their parents; one query."""
    roles = scope.roles_of(user) if roles is None else roles
    tops = scope.area_nodes(user, roles=roles) or sorted({r.node.pk: r.node for r in roles}.values(),
                                                          key=lambda n: n.depth)
    if not tops:
        return []
    deepest = max(t.depth for t in tops) + NODE_DEPTH_BELOW
    nodes = subtrees(tops).filter(depth__lte=deepest).exclude(level=Level.MICRO_GRID).order_by("path")
    top_depth = min(t.depth for t in tops)
    return [(n.code, f"{'　' * max(0, n.depth - top_depth)}{n.name}") for n in nodes.only("code", "name", "depth")]


EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)  # the dates a list's period may name


class ListFilter(forms.Form):
    """The query string of a list. `statuses`: the list's status choices, its default first (value
    ""); `kinds`: offer the kind filter (`kind_choices`, `kind_label`: the list's own); `period_label`:
    which date the period is on."""

    q = forms.CharField(label=_("搜索"), max_length=SEARCH_MAX, required=False, strip=True,
                        widget=forms.TextInput(attrs={"placeholder": _("编号、标题或居民报的查询码"),
                                                      "autocomplete": "off", "type": "search"}))

    def __init__(self, data, *, user, statuses: Sequence[tuple[str, Any]] = (), kinds: bool = True,
                 kind_choices: Sequence[tuple[str, Any]] | None = None, kind_label=None, period_label=RECEIVED,
                 roles=None):
        super().__init__(data)
        self.fields["from"] = forms.DateField(label=format_lazy(_("{date}从"), date=period_label), required=False,
                                              widget=forms.DateInput(attrs={"type": "date"}))
        self.fields["to"] = forms.DateField(label=format_lazy(_("{date}到"), date=period_label), required=False,
                                            widget=forms.DateInput(attrs={"type": "date"}))
        choices: dict[str, list[tuple[str, Any]]] = {}
        if kind_choices is not None:
            choices["kind"] = [("", _("全部")), *kind_choices]
        elif kinds:
            choices["kind"] = [("", _("全部类别")), *Kind.choices]
        if statuses:
            choices["status"] = list(statuses)
        nodes = node_choices(user, roles)
        if len(nodes) > 1:
            choices["node"] = [("", _("全部区域")), *nodes]
        for name, label in (("kind", kind_label or _("类别")), ("status", _("状态")), ("node", _("区域"))):
            if name in choices:
                self.fields[name] = forms.ChoiceField(label=label, required=False, choices=choices[name])
        self.labels = {name: {key: str(text).strip("　") for key, text in pairs} for name, pairs in choices.items()}
        self.is_valid()  # a bad field is reported and left out; the others still filter

    def clean(self):
        cleaned = super().clean() or {}
        for name in ("from", "to"):  # 9999-12-31 + 1 day would overflow: a list's dates are this century's
            day = cleaned.get(name)
            if day is not None and not (EARLIEST <= day <= LATEST):
                self.add_error(name, format_lazy(_("请填写{a}至{b}之间的日期"), a=EARLIEST.isoformat(),
                                                 b=LATEST.isoformat()))
                cleaned.pop(name, None)
        start, end = cleaned.get("from"), cleaned.get("to")
        if start and end and start > end:
            self.add_error("to", _("结束日期不能早于开始日期"))
            cleaned.pop("from", None)  # neither end of a reversed period filters
        return cleaned

    # ---- what the list does with it -------------------------------------------------------------
    def value(self, name: str):
        """A valid field's value ('' or None when absent or invalid)."""
        return self.cleaned_data.get(name) if hasattr(self, "cleaned_data") else None

    @property
    def filtered(self) -> bool:
        """Whether any filter narrows the list (the empty list then says: widen them)."""
        return any(self.value(name) for name in ("q", "from", "to", "kind", "status", "node"))

    def node_picked(self) -> OrgNode | None:
        code = self.value("node")
        return OrgNode.objects.filter(code=code).first() if code else None

    def period_q(self, field: str) -> Q:
        cond = Q()
        start, end = self.value("from"), self.value("to")
        if start:
            cond &= Q(**{f"{field}__gte": _day_start(start)})
        if end:
            cond &= Q(**{f"{field}__lt": _day_start(end + timedelta(days=1))})
        return cond

    def cases(self, qs: QuerySet, *, prefix: str = "", period: str = "created_at", kind_field: str = "kind") -> QuerySet:
        """`qs` (cases, or objects of a case with prefix "case__") narrowed by search, period, kind
        and node; the status is the list's own."""
        q, kind, node = self.value("q"), self.value("kind"), self.node_picked()
        if q:
            qs = qs.filter(search_q(q, prefix))
        qs = qs.filter(self.period_q(period))
        if kind:
            qs = qs.filter(**{f"{prefix}{kind_field}": kind})
        if node is not None:
            qs = qs.filter(scope.placed_q([node], prefix))
        return qs

    def query(self, **changes) -> str:
        """The query string of these filters (for the pages' and the export's links), without the page."""
        data = self.data.copy() if hasattr(self.data, "copy") else dict(self.data)
        for name in ("page", "csrfmiddlewaretoken"):
            data.pop(name, None)
        for name, value in changes.items():
            data[name] = value
        return data.urlencode() if hasattr(data, "urlencode") else ""

    def reason(self) -> str:
        """The filters as an audit row's reason: what was exported. A search that could be a tracking
        code is written as [查询码] (a resident's credential never enters the audit trail), any phone
        or ID number typed into it masked."""
        parts = []
        for name in ("from", "to", "kind", "status", "node"):
            value = self.value(name)
            if value:
                parts.append(f"{name}={value}")
        q = self.value("q")
        if q:
            parts.append("q=[查询码]" if _code_matches(q) else f"q={mask_personal_text(q)}")
        return " ".join(parts) or "全部"

    def description(self) -> str:
        """The filters in words, for the export's title line."""
        parts = []
        for name in ("q", "from", "to", "kind", "status", "node"):
            value = self.value(name)
            if not value or name not in self.fields:
                continue
            field = self.fields[name]
            if name == "q":
                shown = "[查询码]" if _code_matches(value) else mask_personal_text(value)
            elif name in self.labels:
                shown = self.labels[name].get(value, str(value))
            else:
                shown = str(value)
            parts.append(f"{field.label}：{shown}")
        return "；".join(parts) or str(_("全部"))


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def page_of(request, qs: QuerySet, per_page: int = PAGE_SIZE) -> Page:
    """The requested page of `qs` (ordered): a count and one slice, whatever the page; a page number
    out of range gives the last page."""
    return Paginator(qs, per_page).get_page(request.GET.get("page"))
