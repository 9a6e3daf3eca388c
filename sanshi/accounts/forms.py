from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _


class _UsernameWithinTheField:
    """Django's sign-in form sets the user name's max_length on the widget only, so a longer name
    went on to authenticate() and to axes' failure row (a 255-character column: a 500 on
    PostgreSQL). Validated here, the form refuses it with a field message and authenticates nothing."""

    fields: dict

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        field = self.fields["username"]
        field.validators.append(MaxLengthValidator(field.max_length))


class SignInForm(_UsernameWithinTheField, AuthenticationForm):
    pass


class AdminSignInForm(_UsernameWithinTheField, AdminAuthenticationForm):
    pass


class ActivationCodeForm(forms.Form):
    code = forms.CharField(label=_("绑定码"), max_length=32,
                           help_text=_("安全管理员告知的12位字母和数字，如 ABCD-EFGH-JKLM"),
                           widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True,
                                                         "autocapitalize": "characters"}))


class OneTimeCodeForm(forms.Form):
    otp = forms.RegexField(
        label=_("动态口令"), regex=r"^\d{6,8}$", max_length=8,
        error_messages={"invalid": _("请输入认证器上显示的6位数字。")},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "autofocus": True}),
    )
