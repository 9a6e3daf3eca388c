from django import forms
from django.utils.translation import gettext_lazy as _


class OneTimeCodeForm(forms.Form):
    otp = forms.RegexField(
        label=_("动态口令"), regex=r"^\d{6,8}$", max_length=8,
        error_messages={"invalid": _("请输入认证器上显示的6位数字。")},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "autofocus": True}),
    )
