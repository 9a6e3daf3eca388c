"""The board's pages. Public, without an account: `/notices/` (each community's and street's notices,
filtered by node and kind, a page at a time), one notice with its progress, the owners' vote and the
published comments, and the form to comment or object during the period (limited per address);
its A4 PDF. Staff: `/staff/notices/`, the comments waiting for their decision and the notices of
the cases in sight, filtered like every list, with their Excel export (docs/exports.md). Thin: parse, call the
same services as the API, render; out of sight is 404, in sight but not allowed 403."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sanshi.accounts.throttling import limit_per_address
from sanshi.cases import scope
from sanshi.cases.exports import audited_export, export_or_back
from sanshi.cases.filters import ListFilter, page_of, search_q
from sanshi.core.errors import ApplicationError, NotFound, NotPermitted, TransitionNotAllowed
from sanshi.core.forms import apply_errors
from sanshi.core.personal import mask_phone
from sanshi.votes.charts import tally_chart
from sanshi.votes.models import Item, VoteStatus

from .forms import CommentForm
from .pdf import notice_pdf
from .selectors import (
    board,
    board_nodes,
    comment_for_staff,
    moderation_queue,
    node_by_code,
    notice_public,
    notice_summary,
    notices_for,
    published_on_posted,
    waiting_q,
)
from .services import comment_moderate, comment_phone_reveal, comment_submit, local_text
from .transitions import CommentKind, NoticeAction, NoticeStatus

BOARD_PAGE = 20
KINDS = (("PUBLIC", "公事"), ("SHARED", "共事"))


def _or_404(func, *args):
    try:
        return func(*args)
    except NotFound:
        raise Http404 from None


@require_GET
def board_page(request):
    code = request.GET.get("node", "")[:40]
    kind = request.GET.get("kind", "")
    kind = kind if kind in dict(KINDS) else ""
    period = request.GET.get("open", "")
    period = period if period in ("1", "0") else ""
    node = node_by_code(code)
    notices = board(node=node, kind=kind, open_only={"1": True, "0": False}.get(period))
    page = Paginator(notices, BOARD_PAGE).get_page(request.GET.get("page"))
    filters = {k: v for k, v in (("node", node.code if node else ""), ("kind", kind), ("open", period)) if v}
    return render(request, "notices/board.html", {
        "items": [notice_summary(n) for n in page.object_list], "page": page, "nodes": board_nodes(),
        "node": node, "kind": kind, "period": period, "kinds": KINDS, "query": urlencode(filters)})


@require_http_methods(["GET", "POST"])
@limit_per_address("notice-comment", "SANSHI_RATE_NOTICE_COMMENT", method="POST")
def notice_page(request, notice_id: int):
    notice = _or_404(notice_public, notice_id)
    form = CommentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            comment_submit(actor=request.user, notice=notice, **form.cleaned_data)
        except TransitionNotAllowed as exc:
            messages.error(request, exc.detail())
            return redirect(reverse("notice", args=[notice.pk]))
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已收到您的意见。工作人员审核后在本页公开；异议会在审核时认真核实。谢谢您的参与！"))
            return redirect(reverse("notice", args=[notice.pk]) + "#comments")
    summary = notice_summary(notice, with_progress=True)
    return render(request, "notices/notice.html", {
        "n": summary, "form": form, "chart": tally_chart(summary["vote"]) if summary["vote"] else "",
        "until": local_text(notice.objection_until), "published": local_text(notice.published_at)},
        status=400 if form.errors else 200)


@require_GET
def notice_pdf_view(request, notice_id: int):
    notice = _or_404(notice_public, notice_id)
    body = notice_pdf(notice_summary(notice), url=request.build_absolute_uri(reverse("notice", args=[notice.pk])),
                      published=local_text(notice.published_at), until=local_text(notice.objection_until))
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="notice-{notice.pk}.pdf"'
    return response


# ---- staff ---------------------------------------------------------------------------------------

NOTICE_STATUSES = [("", gettext_lazy("全部")), ("open", gettext_lazy("异议期内")),
                   ("ended", gettext_lazy("异议期已满·待提请评价")), (NoticeStatus.CONCLUDED, NoticeStatus.CONCLUDED.label),
                   (NoticeStatus.REOPENED, NoticeStatus.REOPENED.label), ("waiting", gettext_lazy("有意见待审核"))]


def _notices(request):
    """The notices in sight as the query string filters them: the matter's number or title (or a
    tracking code read out), the date posted, kind, where the objection period stands, the area."""
    roles = scope.roles_of(request.user)
    form = ListFilter(request.GET, user=request.user, statuses=NOTICE_STATUSES, kind_choices=KINDS,
                      period_label=gettext_lazy("公示日期"), roles=roles)
    qs = notices_for(request.user, roles).filter(form.period_q("published_at"))
    q, kind, status, node = form.value("q"), form.value("kind"), form.value("status"), form.node_picked()
    if q:
        qs = qs.filter(search_q(q, "case__") | Q(title__icontains=q))
    if kind:
        qs = qs.filter(kind=kind)
    now = timezone.now()
    if status == "open":
        qs = qs.filter(status=NoticeStatus.POSTED, objection_until__gte=now)
    elif status == "ended":
        qs = qs.filter(status=NoticeStatus.POSTED, objection_until__lt=now)
    elif status in (NoticeStatus.CONCLUDED, NoticeStatus.REOPENED):
        qs = qs.filter(status=status)
    elif status == "waiting":
        qs = qs.filter(waiting_q())
    if node is not None:
        qs = qs.filter(scope.placed_q([node], "case__"))
    return form, qs


def _queue_page(request, *, errors=None, failed: int = 0, revealed=None, status: int = 200, ledger: bool = False):
    """The comments waiting for a decision and those published on notices still posted; on the page
    itself (not after a decision's error) also the notices in sight, filtered, with their export."""
    queue = moderation_queue(request.user)
    revealed = revealed or {}
    rows = [{"comment": c, "phone": revealed.get(c.pk) or mask_phone(c.phone), "revealed": c.pk in revealed,
             "objection": c.kind == CommentKind.OBJECTION} for c in queue]
    context = {"rows": rows, "shown": published_on_posted(request.user), "errors": errors or {}, "failed": failed,
               "posted": request.POST, "decisions": NoticeAction, "now": timezone.now()}
    if ledger:
        form, qs = _notices(request)
        context.update(form=form, page=page_of(request, qs), export_url=reverse("notices-export"))
        status = 400 if form.errors else status
    return render(request, "notices/moderation.html", context, status=status)


@login_required
@require_GET
def moderation(request):
    return _queue_page(request, ledger=True)


NOTICE_HEADERS = ["事项编号", "公示事项", "类别", "公示单位", "公示时间", "异议期至", "公示状态", "事项进展", "业主表决",
                  "已公开意见", "异议", "待审核", "异议成立", "议定事项", "办理结果"]
NOTICE_WIDTHS = [18, 36, 8, 14, 17, 17, 16, 10, 30, 10, 6, 8, 8, 40, 40]


def _notice_status(notice, now) -> str:
    if notice.status == NoticeStatus.POSTED:
        return "异议期内" if notice.objection_until >= now else "异议期已满"
    return str(NoticeStatus(notice.status).label)


def _vote_cell(notice) -> str:
    """The owners' vote on the notice: its item of art. 278 and, once closed, whether it passed (an
    open vote's counts stay on the notice's page)."""
    vote = notice.vote
    if vote is None:
        return ""
    if vote.status != VoteStatus.CLOSED:
        outcome = "表决中"
    else:
        outcome = "" if vote.passed is None else ("通过" if vote.passed else "未通过")
    return f"{Item(vote.item).label} · {outcome}" if outcome else str(Item(vote.item).label)


def _notice_row(notice, now) -> list:
    """One notice as the board shows it (its texts were masked when posted: no phone, no ID number,
    names as 张*), with its comments counted, never quoted: their texts and phones stay with the
    moderators."""
    return [notice.case.number, notice.title, notice.get_kind_display(), notice.node.name,
            notice.published_at, notice.objection_until, _notice_status(notice, now),
            notice.case.get_status_display(), _vote_cell(notice), notice.published_comments, notice.objections,
            notice.waiting, notice.upheld, notice.resolution, notice.result]


@login_required
@require_GET
def notices_export(request):
    form, qs = _notices(request)
    back = f"{reverse('notices-moderation')}?{form.query()}"
    if form.errors:
        return redirect(back)
    now = timezone.now()
    return export_or_back(request, back, lambda: audited_export(
        actor=request.user, what="notices", title="张榜公示", filters=form.description(), reason=form.reason(),
        count=qs.count(), filename="张榜公示", headers=NOTICE_HEADERS,
        rows=(_notice_row(n, now) for n in qs.iterator(chunk_size=2000)), widths=NOTICE_WIDTHS))


@login_required
@require_POST
def moderate(request, comment_id: int):
    comment = _or_404(comment_for_staff, request.user, comment_id)
    decision = request.POST.get("decision", "")
    reason = request.POST.get("reason", "")
    try:
        if decision == "reveal":
            phone = comment_phone_reveal(actor=request.user, comment=comment, reason=reason)
            return _queue_page(request, revealed={comment.pk: phone})
        comment_moderate(actor=request.user, comment=comment, decision=decision, reason=reason)
    except NotFound:
        raise Http404 from None
    except NotPermitted as exc:
        raise PermissionDenied(exc.detail()) from None
    except ApplicationError as exc:
        messages.error(request, exc.detail())
        return _queue_page(request, errors=exc.field_errors(), failed=comment.pk,
                           status=exc.status_code)
    done = {NoticeAction.PUBLISH: _("已公开"), NoticeAction.HIDE: _("已设为不予公开"),
            NoticeAction.ACCEPT: _("已认定异议成立，事项退回重新议事")}
    messages.success(request, done.get(decision, _("已完成")))
    return redirect(reverse("notices-moderation"))
