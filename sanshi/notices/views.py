"""The board's pages. Public, without an account: `/notices/` (each community's and street's notices,
filtered by node and kind, a page at a time), one notice with its progress, the owners' vote and the
published comments, and the form to comment or object during the period (limited per address);
its A4 PDF. Staff: `/staff/notices/`, the comments waiting for their decision. Thin: parse, call the
same services as the API, render; out of sight is 404, in sight but not allowed 403."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sanshi.accounts.throttling import limit_per_address
from sanshi.core.errors import ApplicationError, NotFound, NotPermitted, TransitionNotAllowed
from sanshi.core.forms import apply_errors
from sanshi.core.personal import mask_phone
from sanshi.votes.charts import tally_chart

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
    published_on_posted,
)
from .services import comment_moderate, comment_phone_reveal, comment_submit, local_text
from .transitions import CommentKind, NoticeAction

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

def _queue_page(request, *, errors=None, failed: int = 0, revealed=None, status: int = 200):
    queue = moderation_queue(request.user)
    revealed = revealed or {}
    rows = [{"comment": c, "phone": revealed.get(c.pk) or mask_phone(c.phone), "revealed": c.pk in revealed,
             "objection": c.kind == CommentKind.OBJECTION} for c in queue]
    return render(request, "notices/moderation.html", {
        "rows": rows, "shown": published_on_posted(request.user), "errors": errors or {}, "failed": failed,
        "posted": request.POST, "decisions": NoticeAction}, status=status)


@login_required
@require_GET
def moderation(request):
    return _queue_page(request)


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
