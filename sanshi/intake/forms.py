from django import forms
from django.utils.translation import gettext_lazy as _

from sanshi.core.errors import ValidationFailed
from sanshi.core.personal import normalise_phone

from .channels import PUBLIC_SUB_CHANNELS, SubChannel
from .models import MAX_TEXT


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    widget = MultipleFileInput(attrs={"accept": "image/*"})

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        return [super(PhotosField, self).clean(f, initial) for f in files]


class RequestForm(forms.Form):
    text = forms.CharField(label=_("诉求内容"), max_length=MAX_TEXT, widget=forms.Textarea(attrs={
        "rows": 6, "placeholder": _("请写清楚发生了什么、在哪里、希望怎么解决")}),
        error_messages={"required": _("请填写诉求内容"), "max_length": _("诉求内容不能超过4000字")})
    title = forms.CharField(label=_("标题（可选）"), max_length=120, required=False)
    sub_channel = forms.ChoiceField(label=_("来源"), choices=[(c.value, c.label) for c in PUBLIC_SUB_CHANNELS],
                                    initial=SubChannel.WEB)
    address = forms.CharField(label=_("地点（可选）"), max_length=200, required=False,
                              widget=forms.TextInput(attrs={"placeholder": _("小区、楼栋或路名")}))
    grid = forms.CharField(label=_("网格编码"), required=False, widget=forms.HiddenInput)
    reporter_name = forms.CharField(label=_("您的称呼（可选）"), max_length=50, required=False)
    reporter_phone = forms.CharField(label=_("联系电话（可选，仅办理人员可见）"), max_length=20, required=False)
    photos = PhotosField(label=_("照片（可选，最多6张）"), required=False)
    # the form's one-time token (issued with the page, sanshi/intake/views.py): sent twice — a double
    # click, a page sent again — it makes one case
    once = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_reporter_phone(self):
        try:
            return normalise_phone(self.cleaned_data.get("reporter_phone"))
        except ValidationFailed as exc:
            raise forms.ValidationError(exc.errors["reporter_phone"]) from None


class StaffRequestForm(RequestForm):
    sub_channel = forms.ChoiceField(label=_("来源"), choices=SubChannel.choices, initial=SubChannel.GRID_PATROL)
    grid = forms.ChoiceField(label=_("所在网格"), required=False)
    once = None  # the staff page prints a slip once instead

    def __init__(self, *args, grids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid"].choices = [("", _("— 未知，由指挥中心指定 —"))] + [(g.code, f"{g.parent.name} · {g.name}")
                                                                     for g in grids]
