"""Browser forms. They only collect input; the services decide and write.

Choice fields are built from the acting user's scope, never from all rows.
"""

from django import forms
from django.contrib.auth.password_validation import password_validators_help_text_html
from django.utils.translation import gettext_lazy as _

from core.forms import VersionedForm
from org.models import OrgUnit, OrgUnitKind, User
from org.scope import Role


class OrgUnitForm(VersionedForm):
    code = forms.CharField(label=_("编码"), max_length=32)
    name = forms.CharField(label=_("名称"), max_length=100)
    kind = forms.ChoiceField(label=_("类型"), choices=OrgUnitKind.choices)
    parent = forms.ModelChoiceField(
        label=_("上级单位"), queryset=OrgUnit.objects.none(), required=False
    )

    def __init__(self, *args, parent_choices, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = parent_choices.exclude(kind=OrgUnitKind.GRID)
        if editing:
            # Codes are stable identifiers (SPEC §2).
            self.fields["code"].disabled = True
            self.fields["code"].help_text = _("编码是单位的固定标识，创建后不能修改。")
        else:
            self.fields["version"].required = False


class UserCreateForm(forms.Form):
    username = forms.CharField(label=_("用户名"), max_length=150)
    full_name = forms.CharField(label=_("姓名"), max_length=50)
    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    email = forms.EmailField(label=_("电子邮箱"), required=False)
    password1 = forms.CharField(
        label=_("初始密码"),
        widget=forms.PasswordInput(render_value=False),
        help_text=password_validators_help_text_html(),
    )
    password2 = forms.CharField(label=_("确认密码"), widget=forms.PasswordInput)
    role = forms.ChoiceField(label=_("角色"), choices=Role.choices)
    org_unit = forms.ModelChoiceField(label=_("所属单位"), queryset=OrgUnit.objects.none())

    def __init__(self, *args, unit_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = unit_choices.exclude(kind=OrgUnitKind.GRID)

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("两次输入的密码不一致。"))
        return data


class UserEditForm(VersionedForm):
    full_name = forms.CharField(label=_("姓名"), max_length=50)
    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    email = forms.EmailField(label=_("电子邮箱"), required=False)
    is_active = forms.BooleanField(label=_("账号启用"), required=False)


class SetPasswordForm(forms.Form):
    password1 = forms.CharField(
        label=_("新密码"),
        widget=forms.PasswordInput,
        help_text=password_validators_help_text_html(),
    )
    password2 = forms.CharField(label=_("确认新密码"), widget=forms.PasswordInput)

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("两次输入的密码不一致。"))
        return data


class MembershipForm(forms.Form):
    role = forms.ChoiceField(label=_("角色"), choices=Role.choices)
    org_unit = forms.ModelChoiceField(label=_("所属单位"), queryset=OrgUnit.objects.none())

    def __init__(self, *args, unit_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = unit_choices.exclude(kind=OrgUnitKind.GRID)


class AuditFilterForm(forms.Form):
    actor = forms.CharField(
        label=_("操作人"),
        required=False,
        max_length=150,
        widget=forms.TextInput(attrs={"placeholder": _("用户名或姓名")}),
    )
    object_type = forms.ChoiceField(label=_("对象类型"), required=False)
    date_from = forms.DateField(
        label=_("起始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, type_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["object_type"].choices = [("", _("全部"))] + list(type_choices)

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("截止日期不能早于起始日期。"))
        return data


class SecretaryForm(VersionedForm):
    """A secretary's post record (书记任职). Communities and accounts are the editor's
    scope only; the staff number is fixed once the record exists."""

    staff_no = forms.CharField(label=_("工号"), max_length=32)
    name = forms.CharField(label=_("姓名"), max_length=50)
    community = forms.ModelChoiceField(label=_("社区"), queryset=OrgUnit.objects.none())
    tenure_start = forms.DateField(
        label=_("任职开始"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    tenure_end = forms.DateField(
        label=_("任职结束"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("填写后即为离任。继任者请另行新增一条任职记录。"),
    )
    has_social_work_certificate = forms.BooleanField(label=_("持社工证"), required=False)
    certificate_date = forms.DateField(
        label=_("取证日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    user = forms.ModelChoiceField(
        label=_("登录账号"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("只列出本范围内持有“社区书记”角色、且未关联其他任职记录的账号。"),
    )

    def __init__(self, *args, community_choices, account_choices, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = community_choices.filter(kind=OrgUnitKind.COMMUNITY)
        self.fields["user"].queryset = account_choices.order_by("username")
        self.fields["user"].label_from_instance = _account_label
        if editing:
            self.fields["staff_no"].disabled = True
            self.fields["staff_no"].help_text = _("工号是书记的固定标识，创建后不能修改。")
        else:
            self.fields["version"].required = False


def _account_label(user):
    return f"{user.full_name}（{user.username}）" if user.full_name else user.username


class WorkerForm(VersionedForm):
    """One person of a community's 社区工作者 roster."""

    name = forms.CharField(label=_("姓名"), max_length=50)
    post = forms.CharField(label=_("岗位"), max_length=50, required=False)
    started_on = forms.DateField(
        label=_("入职日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    ended_on = forms.DateField(
        label=_("离职日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("离职的人员填写离职日期，不要删除：往年的持证率仍要算上他们。"),
    )
    has_certificate = forms.BooleanField(label=_("持社工证"), required=False)
    certificate_date = forms.DateField(
        label=_("取证日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not editing:
            self.fields["version"].required = False


class WorkerPasteForm(forms.Form):
    text = forms.CharField(
        label=_("从 Excel 粘贴"),
        widget=forms.Textarea(attrs={"rows": 6, "class": "font-monospace"}),
        help_text=_("每行依次为：姓名、岗位、入职日期、持社工证（是/否）、取证日期；可带表头行。"),
    )
