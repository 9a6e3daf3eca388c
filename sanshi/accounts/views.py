"""Sign-in pages: password (Django's LoginView), then the one-time code; enrolment of an authenticator."""

from base64 import b32encode

import django_otp
import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from sanshi.core.errors import ApplicationError

from . import services
from .forms import ActivationCodeForm, OneTimeCodeForm, SignInForm
from .throttling import limit_per_address


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return target
    return reverse(settings.LOGIN_REDIRECT_URL)


@method_decorator(limit_per_address("sign-in", "SANSHI_RATE_SIGN_IN", method="POST"), name="dispatch")
class SignInView(auth_views.LoginView):
    """Step one. With SANSHI_REQUIRE_OTP the password only opens the one-time-code step."""

    template_name = "accounts/login.html"
    form_class = SignInForm

    def form_invalid(self, form):
        """A wrong password is the page again (200); input the form refuses — a user name longer
        than the field, a missing field — is a 400."""
        response = super().form_invalid(form)
        if any(name != NON_FIELD_ERRORS for name in form.errors):
            response.status_code = 400
        return response

    def form_valid(self, form):
        response = super().form_valid(form)
        if not services.second_factor_required():
            return response
        step = "otp-verify" if services.totp_device(form.get_user()) else "otp-enrol"
        return redirect(f"{reverse(step)}?{urlencode({'next': self.get_success_url()})}")


def locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """django-axes calls this (AXES_LOCKOUT_CALLABLE) when an attempt hits a locked account."""
    message = services.lockout_message()
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": message, "errors": {"username": message}}, status=429,
                            json_dumps_params={"ensure_ascii": False})
    return render(request, "accounts/login.html", {
        "form": SignInForm(request), "locked_message": message,
        "next": request.POST.get("next", ""),
    }, status=429)


@never_cache
@login_required
def otp_verify(request: HttpRequest) -> HttpResponse:
    """Step two: the code from the authenticator."""
    if services.totp_device(request.user) is None:
        return redirect(f"{reverse('otp-enrol')}?{urlencode({'next': _safe_next(request)})}")
    form = OneTimeCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.second_factor_verify(user=request.user, token=form.cleaned_data["otp"])
        except ApplicationError as exc:
            form.add_error("otp", exc.errors.get("otp", exc.message))
        else:
            django_otp.login(request, device)
            return redirect(_safe_next(request))
    return render(request, "accounts/otp_verify.html", {"form": form, "next": _safe_next(request)})


ENROLMENT_ACTIVATION = "sanshi_otp_activation"  # the session's redeemed activation code (its id)


@never_cache
@login_required
def otp_enrol(request: HttpRequest) -> HttpResponse:
    """Bind an authenticator app. First the activation code the security administrator issued
    (without one the page says to ask for it); then the secret (text, otpauth:// URI, QR code) and
    one code from the app to confirm."""
    if services.totp_device(request.user) is not None:
        messages.info(request, _("已绑定动态口令认证器；如需更换请联系管理员。"))
        return redirect(f"{reverse('otp-verify')}?{urlencode({'next': _safe_next(request)})}")
    activation_id = request.session.get(ENROLMENT_ACTIVATION)
    if activation_id is None:
        return _enrolment_activation(request)
    try:
        device = services.totp_enrolment_start(user=request.user, activation_id=activation_id)
    except ApplicationError as exc:
        request.session.pop(ENROLMENT_ACTIVATION, None)
        messages.error(request, exc.message)
        return redirect(f"{reverse('otp-enrol')}?{urlencode({'next': _safe_next(request)})}")
    form = OneTimeCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.totp_enrolment_confirm(user=request.user, token=form.cleaned_data["otp"],
                                                     activation_id=activation_id)
        except ApplicationError as exc:
            form.add_error("otp", exc.errors.get("otp", exc.message))
        else:
            request.session.pop(ENROLMENT_ACTIVATION, None)
            django_otp.login(request, device)
            return redirect(_safe_next(request))
    uri = device.config_url
    qr_svg = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage).to_string(encoding="unicode")
    return render(request, "accounts/otp_enrol.html", {
        "form": form, "next": _safe_next(request), "secret": b32encode(device.bin_key).decode().rstrip("="),
        "otpauth_uri": uri, "qr_svg": mark_safe(qr_svg),  # noqa: S308 — SVG built by qrcode from our own URI
    })


def _enrolment_activation(request: HttpRequest) -> HttpResponse:
    """The step before the secret: the activation code, or — when none waits — whom to ask."""
    form = ActivationCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            activation = services.otp_activation_redeem(user=request.user, code=form.cleaned_data["code"])
        except ApplicationError as exc:
            form.add_error("code", exc.errors.get("code", exc.message))
        else:
            request.session[ENROLMENT_ACTIVATION] = activation.pk
            return redirect(f"{reverse('otp-enrol')}?{urlencode({'next': _safe_next(request)})}")
    return render(request, "accounts/otp_activation.html", {
        "form": form, "next": _safe_next(request), "pending": services.otp_activation_pending(request.user)},
        status=400 if form.errors else 200)
