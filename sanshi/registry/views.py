"""Pages of roles and accounts (/staff/roles/), the security administrator's: the roles they manage,
a new account, granting a role, revoking one with its handing over. Thin: parse the form, call the
same services as the API (sanshi/registry/api.py), render. Anyone else gets 403 (the audit
middleware records the refusal). The activation page is the new account's owner's: no sign-in,
the one-time link is the credential."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import PasswordResetConfirmView
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import urlencode
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from sanshi.core.errors import ApplicationError, NotFound

from . import handover
from .forms import AccountForm, ActivationForm, GrantForm, ReassignForm, RoleFilterForm
from .models import Level, StaffRole
from .selectors import manageable_nodes, manageable_role, manageable_roles, security_admin_roles
from .services import (
    account_activation_renew,
    account_create,
    activation_link_parts,
    activation_tokens,
    otp_enrolment_activation_issue,
    staff_role_grant,
    staff_role_revoke,
)

PAGE_SIZE = 50


def _security_admin(request) -> list[StaffRole]:
    held = security_admin_roles(request.user)
    if not held:
        raise PermissionDenied
    return held


def _apply_errors(form, exc: ApplicationError) -> None:
    for field, message in exc.errors.items():
        form.add_error(field if field in form.fields else None, message)
    if not exc.errors:
        form.add_error(None, exc.message)


def _pickable_nodes(held: list[StaffRole]):
    """The nodes a form offers: the administrator's subtrees down to the grids (roles are not held
    at micro-grids; the API takes any node code)."""
    return manageable_nodes(None, held).exclude(level=Level.MICRO_GRID).order_by("path")


def _valid_days() -> int:
    return max(1, settings.PASSWORD_RESET_TIMEOUT // 86400)


def _activation_url(request, user) -> str:
    uidb64, token = activation_link_parts(user)
    return request.build_absolute_uri(reverse("account-activate", args=[uidb64, token]))


@login_required
def role_list(request):
    held = _security_admin(request)
    form = RoleFilterForm(request.GET or {"active": "1"}, nodes=_pickable_nodes(held))
    filters = form.cleaned_data if form.is_valid() else {"node": None, "role": "", "active": "1"}
    active = {"1": True, "0": False}.get(filters.get("active") or "all")
    qs = manageable_roles(request.user, node=filters.get("node"), role=filters.get("role") or "", active=active,
                          roles=held)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "registry/roles.html", {
        "form": form, "page": page, "query": query.urlencode(), "held": held})


@login_required
@require_http_methods(["GET", "POST"])
def account_new(request):
    held = _security_admin(request)
    form = AccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = account_create(actor=request.user, username=form.cleaned_data["username"],
                                  display_name=form.cleaned_data["display_name"])
        except ApplicationError as exc:
            _apply_errors(form, exc)
        else:
            return render(request, "registry/account_created.html", {
                "account": user, "link": _activation_url(request, user), "held": held, "valid_days": _valid_days(),
                "grant_url": f"{reverse('role-grant')}?{urlencode({'user': user.username})}"})
    return render(request, "registry/account_new.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@require_POST
def account_activation(request, user_id: int):
    """A new activation link for an account that has not set its password yet."""
    held = _security_admin(request)
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        raise Http404
    try:
        account_activation_renew(actor=request.user, user=user)
    except NotFound:
        raise Http404 from None
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("roles")
    return render(request, "registry/account_created.html", {
        "account": user, "link": _activation_url(request, user), "held": held, "valid_days": _valid_days(), "renewed": True,
        "grant_url": f"{reverse('role-grant')}?{urlencode({'user': user.username})}"})


@login_required
@require_POST
def account_otp_activation(request, user_id: int):
    """A one-time code the account's owner needs to bind an authenticator app (shown once)."""
    _security_admin(request)
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        raise Http404
    try:
        code = otp_enrolment_activation_issue(actor=request.user, user=user)
    except NotFound:
        raise Http404 from None
    except ApplicationError as exc:
        if exc.status_code == 403:
            raise PermissionDenied(exc.message) from None
        messages.error(request, exc.message)
        return redirect("roles")
    return render(request, "registry/otp_activation.html", {
        "account": user, "code": code, "hours": settings.SANSHI_OTP_ACTIVATION_HOURS})


@login_required
@require_http_methods(["GET", "POST"])
def role_grant(request):
    held = _security_admin(request)
    form = GrantForm(request.POST or None, nodes=_pickable_nodes(held),
                     initial={"user": request.GET.get("user", ""), "node": request.GET.get("node", "")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            granted = staff_role_grant(actor=request.user, user=form.account, node=data["node"], role=data["role"],
                                       department=data["department"])
        except ApplicationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, format_lazy(
                _("已为 {user} 分配岗位：{role} @ {node}，即时生效。下一步：告知本人；新账号请把激活链接交给本人。"),
                user=granted.user, role=granted.get_role_display(), node=granted.node.name))
            return redirect(f"{reverse('roles')}?{urlencode({'node': granted.node.code, 'active': '1'})}")
    return render(request, "registry/role_grant.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def role_revoke(request, role_id: int):
    """The confirmation: the role, what it leaves open (with a reassignment where it is one field),
    then the revocation. After it the page still lists what is left to hand over."""
    _security_admin(request)
    try:
        staff_role = manageable_role(request.user, role_id)
    except NotFound:
        raise Http404 from None
    own = staff_role.user_id == request.user.pk
    error, status = "", 200
    if request.method == "POST":
        op = request.POST.get("op")
        try:
            if op == "revoke":
                staff_role_revoke(actor=request.user, staff_role=staff_role)
                messages.success(request, format_lazy(
                    _("已收回 {user} 的岗位：{role} @ {node}（记录保留为已收回）。"), user=staff_role.user,
                    role=staff_role.get_role_display(), node=staff_role.node.name))
            elif op == "reassign":
                reassign_form = ReassignForm(request.POST)
                if not reassign_form.is_valid():
                    raise ApplicationError(_("请选择接手人"))
                data = reassign_form.cleaned_data
                item = handover.reassign(actor=request.user, staff_role=staff_role, kind=data["kind"],
                                         item_id=data["item"], to_username=data["to"])
                messages.success(request, format_lazy(_("已移交：{item}"), item=item.label))
            else:
                raise ApplicationError(_("未知的操作"))
        except NotFound:
            raise Http404 from None
        except ApplicationError as exc:
            error, status = " ".join(str(m) for m in exc.errors.values()) or exc.detail(), exc.status_code
            if status == 403:
                raise PermissionDenied(error) from None
        else:
            return redirect("role-revoke", role_id=staff_role.pk)
    return render(request, "registry/role_revoke.html", {
        "role": staff_role, "items": handover.open_items(staff_role), "own": own, "error": error}, status=status)


class ActivateView(PasswordResetConfirmView):
    """The new account's owner sets their first password from the one-time link (Django's password
    reset confirmation: the token moves from the URL into the session, out of the Referer)."""

    form_class = ActivationForm
    template_name = "registry/activate.html"
    token_generator = activation_tokens
    success_url = reverse_lazy("login")
    title = _("设置密码，激活账号")

    def get_user(self, uidb64):
        user = super().get_user(uidb64)
        return user if user is not None and user.is_active and not user.has_usable_password() else None

    def form_valid(self, form):
        try:
            response = super().form_valid(form)
        except ApplicationError as exc:
            _apply_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("密码已设置，账号已激活。请用账号和新密码登录。"))
        return response
