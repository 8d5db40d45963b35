"""Browser forms of the cycle pages (考核周期). They only collect input; the services in
`assessment.services` decide and write. Choice fields are built from the acting user's
scope, never from all rows."""

from django import forms
from django.forms.models import fields_for_model
from django.utils.translation import gettext_lazy as _

from assessment.models import Cycle
from core.forms import VersionedForm
from indicators.models import IndicatorTemplate
from org.models import OrgUnit, Secretary

DATE_WIDGET = {"attrs": {"type": "date"}, "format": "%Y-%m-%d"}

# The settings page, group by group (SPEC §3).
SETTINGS_GROUPS = [
    (_("基本信息"), ["name", "template"]),
    (_("三评权重"), ["weight_self", "weight_target", "weight_org"]),
    (_("加分"), ["bonus_cap"]),
    (
        _("等次"),
        [
            "threshold_excellent",
            "threshold_qualified",
            "threshold_basic",
            "excellent_share",
            "label_excellent",
            "label_qualified",
            "label_basic",
            "label_failed",
        ],
    ),
    (
        _("档次与绩效"),
        [
            "tier_top_share",
            "tier_bottom_share",
            "coefficient_top",
            "coefficient_middle",
            "coefficient_bottom",
            "pay_base",
        ],
    ),
    (_("测评计分"), ["value_satisfied", "value_basic", "value_unsatisfied"]),
    (
        _("其他"),
        [
            "trim_threshold",
            "ranking_group",
            "consecutive_years",
            "target_entry",
            "self_evaluation_due",
        ],
    ),
]
SETTINGS_FIELDS = [name for _label, names in SETTINGS_GROUPS for name in names]
QUARTERS = (1, 2, 3, 4)


def quarter_field_names(number):
    return f"q{number}_starts_on", f"q{number}_ends_on"


class TemplateChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj}（{obj.county.name}）"


class CycleCreateForm(forms.Form):
    county = forms.ModelChoiceField(label=_("县/区"), queryset=OrgUnit.objects.none())
    name = forms.CharField(label=_("名称"), max_length=100)
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    template = TemplateChoiceField(
        label=_("指标体系"),
        queryset=IndicatorTemplate.objects.none(),
        required=False,
        help_text=_("可以稍后在“设置”中选择；开始考核前必须选定。"),
    )

    def __init__(self, *args, county_choices, template_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["county"].queryset = county_choices
        self.fields["template"].queryset = template_choices.select_related("county")


class CycleSettingsForm(VersionedForm):
    """Every setting of a cycle (the model's fields, labels and limits) and the four
    quarters' dates. The template can be changed only while the cycle is a draft."""

    def __init__(self, *args, template_choices, template_locked=False, read_only=False, **kwargs):
        super().__init__(*args, **kwargs)
        fields = fields_for_model(Cycle, fields=SETTINGS_FIELDS)
        fields["template"] = forms.ModelChoiceField(
            label=fields["template"].label, queryset=template_choices, required=False
        )
        fields["self_evaluation_due"].widget = forms.DateInput(**DATE_WIDGET)
        if template_locked:
            fields["template"].disabled = True
            fields["template"].help_text = _("考核开始后不能更换指标体系。")
        for number in QUARTERS:
            starts, ends = quarter_field_names(number)
            fields[starts] = forms.DateField(
                label=_("第 %(n)d 季度开始") % {"n": number},
                widget=forms.DateInput(**DATE_WIDGET),
            )
            fields[ends] = forms.DateField(
                label=_("第 %(n)d 季度结束") % {"n": number},
                widget=forms.DateInput(**DATE_WIDGET),
            )
        if read_only:
            for field in fields.values():
                field.disabled = True
        self.fields.update(fields)

    def groups(self):
        """(title, bound fields) per group, the quarters last, for the template."""
        grouped = [(title, [self[name] for name in names]) for title, names in SETTINGS_GROUPS]
        quarter_fields = [self[name] for n in QUARTERS for name in quarter_field_names(n)]
        return [*grouped, (_("季度"), quarter_fields)]

    def quarters(self):
        """[(number, starts_on, ends_on)] from the cleaned data, as the service takes it."""
        data = self.cleaned_data
        return [(n, *(data[name] for name in quarter_field_names(n))) for n in QUARTERS]

    def changes(self):
        """The settings from the cleaned data (a locked template field is left out)."""
        return {
            name: self.cleaned_data[name]
            for name in SETTINGS_FIELDS
            if not self.fields[name].disabled
        }


class TransitionForm(VersionedForm):
    name = forms.CharField(max_length=32)
    note = forms.CharField(label=_("说明"), max_length=500, required=False)


class SecretaryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name}（{obj.community.name} · {obj.staff_no}）"


# Up to this many secretaries still to enrol are offered in a list; beyond that (a city
# before 登记全县书记) the page asks for the 工号 instead of listing them all (SPEC §6).
LISTED_TO_ENROL = 200


class ParticipantAddForm(forms.Form):
    """One secretary to enrol: picked from the list, or by 工号 when there are too many
    to list (`listed`)."""

    secretary = SecretaryChoiceField(
        label=_("书记"),
        queryset=Secretary.objects.none(),
        required=False,
        empty_label=_("选择要登记的书记"),
        error_messages={"invalid_choice": _("所选书记不能登记到本周期。")},
    )
    staff_no = forms.CharField(label=_("工号"), max_length=50, required=False)

    def __init__(self, *args, secretary_choices, listed=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["secretary"].queryset = secretary_choices
        self.listed = listed

    def clean(self):
        data = super().clean()
        if data.get("secretary") is None and "secretary" not in self.errors:
            staff_no = (data.get("staff_no") or "").strip()
            if not staff_no:
                self.add_error("secretary", _("请选择要登记的书记。"))
            else:
                found = self.fields["secretary"].queryset.filter(staff_no=staff_no).first()
                if found is None:
                    self.add_error("secretary", _("所选书记不能登记到本周期。"))
                data["secretary"] = found
        return data


class GradingForm(VersionedForm):
    is_graded = forms.BooleanField(label=_("参加评定"), required=False)
    reason = forms.CharField(label=_("不参加评定的原因"), max_length=200, required=False)
