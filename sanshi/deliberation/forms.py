from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Form


class MeetingForm(forms.Form):
    title = forms.CharField(label=_("会议名称"), max_length=120)
    form = forms.ChoiceField(label=_("议事形式"), choices=Form.choices)
    scheduled_at = forms.DateTimeField(label=_("时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                                       input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    place = forms.CharField(label=_("地点"), max_length=120, required=False)
    participants = forms.CharField(
        label=_("参会人员"), widget=forms.Textarea(attrs={"rows": 5}))
