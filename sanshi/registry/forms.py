"""Forms of the roles pages: they parse and give field messages; the services decide."""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import SetPasswordForm
from django.utils.translation import gettext_lazy as _

from .models import Department, OrgNode, Role
from .services import account_activate

User = get_user_model()
ACTIVE_CHOICES = [("1", _("在岗")), ("0", _("已收回")), ("all", _("全部"))]


class NodeChoiceField(forms.ModelChoiceField):
    """A node of the administrator's subtrees, by code, shown indented under its parent."""

    def label_from_instance(self, obj: OrgNode) -> str:
        return f"{'　' * (obj.depth - 1)}{obj.name}（{obj.code}）"


class RoleFilterForm(forms.Form):
    node = NodeChoiceField(label=_("节点（含下级）"), queryset=OrgNode.objects.none(), to_field_name="code",
                           required=False, empty_label=_("全部节点"))
    role = forms.ChoiceField(label=_("岗位"), required=False, choices=[("", _("全部岗位")), *Role.choices])
    active = forms.ChoiceField(label=_("状态"), required=False, choices=ACTIVE_CHOICES)

    def __init__(self, *args, nodes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["node"].queryset = nodes


class AccountForm(forms.ModelForm):
    """A new account: the username's rules and limits, and its uniqueness, come from the model."""

    class Meta:
        model = User
        fields = ["username", "display_name"]
        labels = {"username": _("账号（用户名）"), "display_name": _("姓名")}
        help_texts = {"username": _("登录用，创建后不能修改：字母、数字或 @ . + - _，例如 zhang.wei")}


class GrantForm(forms.Form):
    user = forms.CharField(label=_("账号（用户名）"), max_length=User._meta.get_field("username").max_length)
    role = forms.ChoiceField(label=_("岗位"), choices=[("", _("— 请选择 —")), *Role.choices])
    node = NodeChoiceField(label=_("组织节点"), queryset=OrgNode.objects.none(), to_field_name="code",
                           empty_label=_("— 请选择 —"))
    department = forms.ModelChoiceField(label=_("所属部门（仅区级部门联络员填写）"), required=False,
                                        queryset=Department.objects.filter(active=True), to_field_name="code",
                                        empty_label=_("— 不适用 —"))

    def __init__(self, *args, nodes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["node"].queryset = nodes
        self.account = None

    def clean_user(self) -> str:
        username = self.cleaned_data["user"].strip()
        self.account = User.objects.filter(username=username, is_active=True).first()
        if self.account is None:
            raise forms.ValidationError(_("账号不存在或已停用。新同事请先“创建账号”。"))
        return username


class ReassignForm(forms.Form):
    kind = forms.CharField(max_length=40)
    item = forms.IntegerField(min_value=1)
    to = forms.CharField(label=_("接手人"), max_length=User._meta.get_field("username").max_length)


class ActivationForm(SetPasswordForm):
    """The owner's first password (Django's password validators); saved by the registry's service."""

    def save(self, commit: bool = True):
        return account_activate(user=self.user, password=self.cleaned_data["new_password1"])
