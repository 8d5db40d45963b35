"""Browser forms of the records area. They only shape input: the services decide
(`evidence.records.services`). Phone-first: one column, large controls, dates that
default to today."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from evidence.models import DiaryCategory, GridEventStatus, SpotCheckKinds, SpotCheckVerdict
from org.models import OrgUnit, OrgUnitKind

LARGE = {"class": "form-control form-control-lg"}
LARGE_SELECT = {"class": "form-select form-select-lg"}


def date_input():
    return forms.DateInput(attrs={**LARGE, "type": "date"}, format="%Y-%m-%d")


class CommunityChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class GridChoiceField(forms.ModelChoiceField):
    """A grid by its name; with several communities to choose from, "社区 · 网格"."""

    with_community = True

    def label_from_instance(self, obj):
        return f"{obj.parent.name} · {obj.name}" if self.with_community else obj.name


class DiaryEntryForm(forms.Form):
    community = CommunityChoiceField(
        label=_("社区"), queryset=OrgUnit.objects.none(), widget=forms.Select(attrs=LARGE_SELECT)
    )
    recorded_on = forms.DateField(label=_("日期"), widget=date_input())
    category = forms.ChoiceField(
        label=_("类别"), choices=DiaryCategory.choices, widget=forms.Select(attrs=LARGE_SELECT)
    )
    content = forms.CharField(
        label=_("民情内容"), widget=forms.Textarea(attrs={**LARGE, "rows": 4})
    )
    follow_up = forms.CharField(
        label=_("跟进情况"), required=False, widget=forms.Textarea(attrs={**LARGE, "rows": 3})
    )
    resolved = forms.BooleanField(
        label=_("已解决"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input", "role": "switch"}),
    )
    resolved_on = forms.DateField(
        label=_("解决日期"),
        required=False,
        help_text=_("勾选“已解决”时填写，不填为今天。"),
        widget=date_input(),
    )

    def __init__(self, *args, communities, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("recorded_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities
        if len(communities) == 1:
            self.fields["community"].initial = communities[0].pk
            self.fields["community"].widget = forms.HiddenInput()


class GridEventForm(forms.Form):
    community = CommunityChoiceField(
        label=_("社区"), queryset=OrgUnit.objects.none(), widget=forms.Select(attrs=LARGE_SELECT)
    )
    grid = GridChoiceField(
        label=_("网格"),
        queryset=OrgUnit.objects.none(),
        required=False,
        empty_label=_("（不指定网格）"),
        widget=forms.Select(attrs=LARGE_SELECT),
    )
    reported_on = forms.DateField(label=_("上报日期"), widget=date_input())
    category = forms.ChoiceField(
        label=_("类别"), choices=DiaryCategory.choices, widget=forms.Select(attrs=LARGE_SELECT)
    )
    description = forms.CharField(
        label=_("事件描述"), widget=forms.Textarea(attrs={**LARGE, "rows": 4})
    )
    handling_note = forms.CharField(
        label=_("处理情况"), required=False, widget=forms.Textarea(attrs={**LARGE, "rows": 2})
    )

    def __init__(self, *args, communities, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("reported_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        communities = list(communities)
        self.fields["community"].queryset = OrgUnit.objects.filter(
            pk__in=[c.pk for c in communities]
        )
        self.fields["grid"].queryset = OrgUnit.objects.filter(
            parent__in=[c.pk for c in communities], kind=OrgUnitKind.GRID
        ).select_related("parent")
        self.fields["grid"].with_community = len(communities) > 1
        if len(communities) == 1:
            self.fields["community"].initial = communities[0].pk
            self.fields["community"].widget = forms.HiddenInput()


class GridEventMoveForm(forms.Form):
    action = forms.ChoiceField(choices=[("handle", ""), ("resolve", ""), ("reopen", "")])
    version = forms.IntegerField()
    note = forms.CharField(
        label=_("处理情况"), required=False, widget=forms.Textarea(attrs={**LARGE, "rows": 2})
    )
    resolved_on = forms.DateField(label=_("办结日期"), required=False, widget=date_input())


class MetricImportForm(forms.Form):
    text = forms.CharField(
        label=_("从 Excel 复制的数据"),
        help_text=_("三列：社区编码、数据项（代码或名称）、实际值；可带表头。"),
        widget=forms.Textarea(
            attrs={"class": "form-control font-monospace", "rows": 12, "spellcheck": "false"}
        ),
    )


class DiaryFilterForm(forms.Form):
    month = forms.CharField(
        label=_("月份"),
        required=False,
        widget=forms.DateInput(attrs={"class": "form-control", "type": "month"}),
    )
    category = forms.ChoiceField(
        label=_("类别"),
        required=False,
        choices=[("", _("全部类别")), *DiaryCategory.choices],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    resolved = forms.ChoiceField(
        label=_("是否解决"),
        required=False,
        choices=[("", _("全部")), ("yes", _("已解决")), ("no", _("未解决"))],
        widget=forms.Select(attrs={"class": "form-select"}),
    )


class GridEventFilterForm(forms.Form):
    month = DiaryFilterForm.base_fields["month"]
    category = DiaryFilterForm.base_fields["category"]
    status = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[("", _("全部状态")), *GridEventStatus.choices],
        widget=forms.Select(attrs={"class": "form-select"}),
    )


# ------------------------------------------------------------------------ 核查


class EventTypeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name}（{obj.points}）"


class SpotCheckDrawForm(forms.Form):
    """Draw a sample. Numbers are checked by the service, whose messages say why."""

    community = CommunityChoiceField(
        label=_("社区"), queryset=OrgUnit.objects.none(), widget=forms.Select(attrs=LARGE_SELECT)
    )
    period_start = forms.DateField(label=_("核查起始日"), widget=date_input())
    period_end = forms.DateField(label=_("核查截止日"), widget=date_input())
    kinds = forms.ChoiceField(
        label=_("核查记录"),
        choices=SpotCheckKinds.choices,
        widget=forms.Select(attrs=LARGE_SELECT),
    )
    share = forms.IntegerField(
        label=_("抽查比例（%）"), widget=forms.NumberInput(attrs={**LARGE, "inputmode": "numeric"})
    )
    minimum = forms.IntegerField(
        label=_("最少抽查条数"),
        help_text=_("抽查条数 = 记录条数 × 抽查比例（向上取整），不少于最少条数，不多于记录条数。"),
        widget=forms.NumberInput(attrs={**LARGE, "inputmode": "numeric"}),
    )
    deduction_type = EventTypeChoiceField(
        label=_("不实记录计入事项类型"),
        queryset=None,
        required=False,
        empty_label=_("（不设置：不实记录只是不再计数）"),
        help_text=_("核查发现不实时，可据此报告扣分事项（待核实，须由他人核实后才扣分）。"),
        widget=forms.Select(attrs=LARGE_SELECT),
    )

    def __init__(self, *args, communities, event_types, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities
        self.fields["deduction_type"].queryset = event_types


class SpotCheckMarkForm(forms.Form):
    verdict = forms.ChoiceField(
        label=_("核查结果"),
        required=False,
        choices=[
            (v, label) for v, label in SpotCheckVerdict.choices if v != SpotCheckVerdict.PENDING
        ],
    )
    note = forms.CharField(label=_("核查说明"), required=False)
    version = forms.IntegerField(required=False)


class VersionForm(forms.Form):
    version = forms.IntegerField(required=False)
