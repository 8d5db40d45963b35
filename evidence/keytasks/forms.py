"""Browser forms of key tasks. They only collect input; the rules are in
`evidence.keytasks.services`."""

from django import forms
from django.utils.translation import gettext_lazy as _

from evidence.keytasks import selectors

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
PERCENT = forms.NumberInput(attrs={"min": 0, "max": 100, "step": 1, "inputmode": "numeric"})
DEFAULT_PLANS = (25, 50, 75, 100)
ALL = "all"
PICKED = "picked"


def _plan_field(number):
    return forms.IntegerField(
        label=_("第 %(n)d 季度末") % {"n": number},
        initial=DEFAULT_PLANS[number - 1],
        widget=PERCENT,
    )


class PlanFields(forms.Form):
    plan_q1 = _plan_field(1)
    plan_q2 = _plan_field(2)
    plan_q3 = _plan_field(3)
    plan_q4 = _plan_field(4)

    def plans(self):
        return tuple(self.cleaned_data[f"plan_q{n}"] for n in (1, 2, 3, 4))


class KeyTaskForm(forms.Form):
    title = forms.CharField(label=_("任务名称"), max_length=200)
    description = forms.CharField(
        label=_("任务要求"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    deadline = forms.DateField(label=_("完成时限"), widget=DATE)
    on_time_type = forms.ModelChoiceField(
        label=_("按期完成计入事项类型"), queryset=None, required=False, empty_label=_("不计入")
    )
    late_type = forms.ModelChoiceField(
        label=_("逾期完成计入事项类型"), queryset=None, required=False, empty_label=_("不计入")
    )

    def __init__(self, *args, cycle, **kwargs):
        super().__init__(*args, **kwargs)
        self.cycle = cycle
        self.fields["on_time_type"].queryset = selectors.event_types(cycle, bonus=True)
        self.fields["late_type"].queryset = selectors.event_types(cycle, bonus=False)

    def task_fields(self):
        return {
            field: self.cleaned_data[field]
            for field in ("title", "description", "deadline", "on_time_type", "late_type")
        }


class KeyTaskCreateForm(KeyTaskForm, PlanFields):
    """A task, the communities it goes to (the whole county, one town, or picked ones)
    and the plan they all start with (each community's plan can be changed later)."""

    target = forms.ChoiceField(label=_("分配给"))
    communities = forms.ModelMultipleChoiceField(
        label=_("选定社区"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, user, cycle, **kwargs):
        super().__init__(*args, cycle=cycle, **kwargs)
        self.towns = list(selectors.towns(user, cycle))
        self.fields["target"].choices = [
            (ALL, _("全县/区所有社区")),
            *((f"town:{t.pk}", _("%(town)s所有社区") % {"town": t.name}) for t in self.towns),
            (PICKED, _("选定的社区")),
        ]
        self.fields["target"].initial = PICKED
        self.fields["communities"].queryset = selectors.communities(user, cycle)
        self.fields["communities"].label_from_instance = lambda c: f"{c.parent.name} · {c.name}"

    def chosen_communities(self):
        target = self.cleaned_data["target"]
        every = self.fields["communities"].queryset
        if target == ALL:
            return list(every)
        if target.startswith("town:"):
            town = next(t for t in self.towns if f"town:{t.pk}" == target)
            return list(every.filter(path__startswith=town.path))
        return list(self.cleaned_data["communities"])


class PlanForm(PlanFields):
    version = forms.IntegerField(widget=forms.HiddenInput)


class ProgressForm(forms.Form):
    progress = forms.IntegerField(label=_("累计进度（%）"), widget=PERCENT)
    reported_on = forms.DateField(label=_("报告日期"), widget=DATE)
    note = forms.CharField(
        label=_("进展情况"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
