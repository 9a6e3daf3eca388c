"""A resident's comment or objection on a notice, its limits from the model. The service validates
the same way (`services.comment_validate`), so the page and the API refuse alike."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Comment
from .transitions import CommentKind

TEXT_MAX = Comment._meta.get_field("text").max_length
NAME_MAX = Comment._meta.get_field("name").max_length


class CommentForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=CommentKind.choices, initial=CommentKind.COMMENT,
                             widget=forms.RadioSelect, error_messages={"required": _("请选择“意见建议”或“异议”"),
                                                                       "invalid_choice": _("请选择“意见建议”或“异议”")})
    text = forms.CharField(label=_("内容"), max_length=TEXT_MAX, widget=forms.Textarea(attrs={
        "rows": 4, "placeholder": _("请写明您的意见，或对公示内容的异议及理由")}),
        error_messages={"required": _("请填写意见内容"),
                        "max_length": _("意见内容最多%(limit_value)d字（现在%(show_value)d字）")})
    name = forms.CharField(label=_("称呼（可选，公开时显示为“张*”）"), max_length=NAME_MAX, required=False,
                           error_messages={"max_length": _("称呼最多%(limit_value)d字")})
    phone = forms.CharField(label=_("联系电话（可选，仅审核人员可见，不公开）"), max_length=20, required=False,
                            error_messages={"max_length": _("电话号码格式不正确")})
