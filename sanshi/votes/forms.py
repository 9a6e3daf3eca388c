"""The pages' forms: limits come from the models; what the services check again (areas, owners,
ballots) is checked there, and the forms show their refusals beside each field."""

from django import forms
from django.utils.translation import gettext_lazy as _

from sanshi.registry.models import Person

from .models import Ballot, Channel, Choice, Electorate, Item, Unit, Vote
from .spreadsheet import max_length

AREA = Unit._meta.get_field("area")


class ElectorateForm(forms.Form):
    name = forms.CharField(label=_("名册名称"), max_length=max_length(Electorate, "name"),
                           help_text=_("例如：东门小区全体业主、东门小区1—3栋业主"))
    node = forms.ChoiceField(label=_("所在网格或微网格（小区、楼栋）"))

    def __init__(self, *args, nodes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["node"].choices = [(n.pk, f"{n.name}（{n.code}）") for n in nodes]


class UnitForm(forms.Form):
    address = forms.CharField(label=_("房屋地址"), max_length=max_length(Unit, "address"),
                              help_text=_("完整门牌，例如“东门小区1栋2单元301室”"))
    area = forms.DecimalField(label=_("建筑面积（㎡）"), max_digits=AREA.max_digits, decimal_places=AREA.decimal_places,
                              min_value=0.01, help_text=_("不动产登记簿记载的面积；未登记的按实测或合同面积"))
    developer_held = forms.BooleanField(label=_("开发建设单位未售出或未交付"), required=False)


class UnitEditForm(UnitForm):
    address = None  # the address names the unit; a wrong one is a new unit


class OwnerForm(forms.Form):
    name = forms.CharField(label=_("业主姓名"), max_length=max_length(Person, "name"))
    phone = forms.CharField(label=_("手机号（选填，用于网上投票收验证码）"), max_length=20, required=False)
    id_number = forms.CharField(label=_("身份证号（选填，用于认定同一业主）"), max_length=18, required=False)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("按模板填写的 Excel 文件（.xlsx）"))


class VoteForm(forms.Form):
    agenda_item = forms.ChoiceField(label=_("社区评议会议定事项"))
    electorate = forms.ChoiceField(label=_("业主名册"))
    item = forms.TypedChoiceField(label=_("共同决定事项类别（民法典第二百七十八条）"), choices=Item.choices, coerce=int,
                                  help_text=_("第六至八项须参与表决面积和人数均四分之三以上同意；其他各项均须过半数同意"))
    title = forms.CharField(label=_("表决事项"), max_length=max_length(Vote, "title"),
                            help_text=_("业主看到的表决内容，例如“《东门小区地面公共车位停车收费管理办法》”"))
    secret = forms.BooleanField(label=_("无记名投票"), required=False,
                                help_text=_("只记录哪套房屋投了票，不记录选了什么；纸质票不保存扫描件"))
    ends_on = forms.DateField(label=_("计划截止日期（选填）"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, items=(), electorates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agenda_item"].choices = [
            (i.pk, f"{i.case.number} {i.case.title} —— {i.resolution[:40]}") for i in items]
        self.fields["electorate"].choices = [(e.pk, f"{e.name}（{e.node.name}）") for e in electorates]


class BallotForm(forms.Form):
    unit = forms.ChoiceField(label=_("房屋"), help_text=_("同一业主的其他房屋一并计票（每套房屋一票）"))
    choice = forms.ChoiceField(label=_("表决意见"), choices=Choice.choices, widget=forms.RadioSelect)
    channel = forms.ChoiceField(label=_("投票方式"), choices=[(Channel.PAPER, Channel.PAPER.label),
                                                         (Channel.PROXY, Channel.PROXY.label)],
                                widget=forms.RadioSelect, initial=Channel.PAPER)
    signer = forms.CharField(label=_("签名人"), max_length=max_length(Ballot, "signer"), required=False)
    proxy_name = forms.CharField(label=_("代理人姓名（委托投票）"), max_length=max_length(Ballot, "signer"), required=False)
    proxy_note = forms.CharField(label=_("授权委托说明（委托投票）"), max_length=max_length(Ballot, "proxy_note"),
                                 required=False)
    scan = forms.FileField(label=_("签名表决票的照片或扫描件（PDF）"), required=False)
    proxy_document = forms.FileField(label=_("授权委托书的照片或扫描件（委托投票）"), required=False)

    def __init__(self, *args, entries=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(e.unit_id, f"{e.address}（{e.area}㎡）") for e in entries]


class PhoneForm(forms.Form):
    phone = forms.CharField(label=_("您在社区登记的手机号"), max_length=20,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}))


class CodeForm(forms.Form):
    phone = forms.CharField(max_length=20, widget=forms.HiddenInput)
    code = forms.CharField(label=_("短信验证码（6位数字）"), max_length=12,
                           widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}))


class ChoiceForm(forms.Form):
    choice = forms.ChoiceField(label=_("您的意见"), choices=Choice.choices, widget=forms.RadioSelect)
