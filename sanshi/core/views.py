"""The staff inbox: the signed-in user's own notifications, newest first; mark read; open the link;
choose how to be told outside the app (e-mail, SMS)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from sanshi.core.channels.sms import get_backend as sms_backend
from sanshi.core.errors import ValidationFailed
from sanshi.core.notify import (
    inbox,
    notification_preference,
    notification_preference_set,
    notifications_mark_read,
)
from sanshi.core.personal import mask_phone

PAGE_SIZE = 100


def _own_id(request, field: str) -> int:
    """A notification id from the form that belongs to the user; 404 for anyone else's."""
    try:
        pk = int(request.POST.get(field) or 0)
    except ValueError:
        raise Http404 from None
    if not inbox(request.user).filter(pk=pk).exists():
        raise Http404
    return pk


@login_required
@require_http_methods(["GET", "POST"])
def notifications_view(request):
    if request.method == "POST":
        if "open" in request.POST:  # mark it read, then go where it points
            pk = _own_id(request, "open")
            notifications_mark_read(actor=request.user, ids=[pk])
            link = inbox(request.user).get(pk=pk).link
            if link and url_has_allowed_host_and_scheme(link, allowed_hosts={request.get_host()}):
                return redirect(link)
        elif "read" in request.POST:
            notifications_mark_read(actor=request.user, ids=[_own_id(request, "read")])
        elif "all" in request.POST:
            n = notifications_mark_read(actor=request.user)
            messages.success(request, _("已将 %(n)d 条通知标为已读。") % {"n": n})
        elif "preferences" in request.POST:
            try:
                notification_preference_set(
                    actor=request.user, email=bool(request.POST.get("email")), sms=bool(request.POST.get("sms")),
                    phone=request.POST.get("phone", ""), clear_phone=bool(request.POST.get("clear_phone")))
            except ValidationFailed as exc:
                return _page(request, errors=exc.errors, status=400)
            messages.success(request, _("提醒方式已保存。"))
        return redirect("notifications")
    return _page(request)


def _page(request, *, errors=None, status=200):
    only_unread = request.GET.get("unread") == "1"
    qs = inbox(request.user)
    unread = qs.filter(read_at__isnull=True).count()
    shown = (qs.filter(read_at__isnull=True) if only_unread else qs)[:PAGE_SIZE]
    pref = notification_preference(request.user)
    return render(request, "core/notifications.html", {
        "notes": shown, "unread": unread, "only_unread": only_unread, "page_size": PAGE_SIZE,
        "pref": pref, "masked_phone": mask_phone(pref.phone), "errors": errors or {},
        "sms_available": sms_backend().enabled}, status=status)
