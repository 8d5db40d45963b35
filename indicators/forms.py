"""Forms of the template editor. They parse what people type (numbers, the Excel-style
bands text "0:0;60:2;80:4") and leave every rule to the services and validation."""

from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext_lazy as _

from indicators.models import IndicatorNode, IndicatorTemplate, MetricDefinition
from org.models import OrgUnit

POINTS = {"max_digits": 7, "decimal_places": 2}


def parse_bands(text):
    """ "0:0;60:2;80:4" → [["0", "0"], ["60", "2"], ["80", "4"]] (SPEC §4's format)."""
    pairs = []
    for chunk in text.replace("；", ";").replace("：", ":").split(";"):
        chunk = chunk.strip()
        if not chunk:
            continue
        try:
            threshold, value = (Decimal(part.strip()) for part in chunk.split(":"))
        except (ValueError, InvalidOperation) as exc:
            raise forms.ValidationError(
                _(
                    "分档格式应为“门槛:分值”，多档用分号隔开，例如 0:0;60:2;80:4。“%(chunk)s”无法识别。"
                )
                % {"chunk": chunk}
            ) from exc
        pairs.append([format(threshold, "f"), format(value, "f")])
    return pairs


def bands_text(bands):
    return ";".join(f"{t}:{v}" for t, v in bands)


class NodeForm(forms.Form):
    """One row of the tree table. Which fields apply depends on the node: a parent has
    no method; only a dimension has a range."""

    name = forms.CharField(label=_("名称"), max_length=100)
    points = forms.DecimalField(label=_("分值"), **POINTS, min_value=0)
    method = forms.ChoiceField(
        label=_("方法"), choices=[("", "—")] + IndicatorNode.Methods.choices, required=False
    )
    metric_key = forms.ChoiceField(label=_("数据项"), required=False)
    target_value = forms.DecimalField(
        label=_("目标值"), max_digits=14, decimal_places=4, required=False
    )
    bands = forms.CharField(label=_("分档"), required=False, max_length=500)
    range_min = forms.DecimalField(label=_("分值下限"), **POINTS, required=False)
    range_max = forms.DecimalField(label=_("分值上限"), **POINTS, required=False)
    description = forms.CharField(label=_("评分标准"), required=False, widget=forms.Textarea)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, template, **kwargs):
        super().__init__(*args, **kwargs)
        keys = MetricDefinition.objects.filter(template=template).values_list("key", "name")
        self.fields["metric_key"].choices = [("", "—")] + [(k, f"{n}（{k}）") for k, n in keys]

    def clean_bands(self):
        return parse_bands(self.cleaned_data["bands"])

    def changes(self):
        """Only the submitted fields: a row posts its cells, the detail panel its own."""
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name in self.data and name != "version"
        }


class NewNodeForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100, initial=_("新指标"))
    points = forms.DecimalField(label=_("分值"), **POINTS, min_value=0, initial=Decimal(0))
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)


class BarsForm(forms.Form):
    """Behaviour anchors as parallel lists from the detail panel's rows."""

    def __init__(self, data, **kwargs):
        super().__init__(data, **kwargs)
        self.levels = []

    def clean(self):
        labels = self.data.getlist("bars_label")
        descriptions = self.data.getlist("bars_description")
        values = self.data.getlist("bars_value")
        for index, (label, description, value) in enumerate(
            zip(labels, descriptions, values, strict=False), start=1
        ):
            if not (label.strip() or description.strip() or value.strip()):
                continue
            try:
                number = Decimal(value.strip())
            except InvalidOperation:
                self.add_error(None, _("第 %(n)d 个等级的分值不是数字。") % {"n": index})
                continue
            self.levels.append((label.strip(), description.strip(), number))
        return super().clean()


class TemplateCreateForm(forms.Form):
    START_BLANK = "blank"

    county = forms.ModelChoiceField(label=_("所属县/区"), queryset=OrgUnit.objects.none())
    name = forms.CharField(label=_("名称"), max_length=100)
    start = forms.ChoiceField(label=_("起点"))

    def __init__(self, *args, counties, starters, sources, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["county"].queryset = counties
        self.fields["start"].choices = (
            [(self.START_BLANK, _("空白指标体系"))]
            + [
                (f"starter:{i}", _("内置模板：%(name)s") % {"name": s["name"]})
                for i, s in enumerate(starters)
            ]
            + [(f"copy:{t.pk}", _("复制：%(name)s") % {"name": t}) for t in sources]
        )


class EventTypeForm(forms.Form):
    code = forms.CharField(label=_("编码"), max_length=32)
    name = forms.CharField(label=_("名称"), max_length=100)
    points = forms.DecimalField(label=_("分值"), **POINTS)
    leaf = forms.ModelChoiceField(
        label=_("计入指标"), queryset=IndicatorNode.objects.none(), required=False
    )
    cap = forms.DecimalField(label=_("每周期上限"), **POINTS, required=False)
    is_veto = forms.BooleanField(label=_("一票否决"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, template, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["leaf"].queryset = template.nodes.filter(method=IndicatorNode.Methods.DEDUCTION)


class MetricForm(forms.Form):
    key = forms.RegexField(
        label=_("数据项"),
        max_length=50,
        regex=r"^[a-z][a-z0-9_]*$",
        error_messages={"invalid": _("数据项代码用小写字母、数字和下划线，以字母开头。")},
    )
    name = forms.CharField(label=_("名称"), max_length=100)
    unit = forms.CharField(label=_("单位"), max_length=20, required=False)
    source = forms.ChoiceField(label=_("取得方式"), choices=MetricDefinition.Source.choices)


class CategoryForm(forms.Form):
    name = forms.CharField(label=_("类别"), max_length=50)
    weight = forms.DecimalField(label=_("权重"), **POINTS, min_value=0)


def template_sources(user):
    """Templates a user may start a new one from (not the frozen copies)."""
    return IndicatorTemplate.objects.for_user(user).filter(is_frozen=False)


class NodeDetailForm(forms.Form):
    description = forms.CharField(label=_("评分标准"), required=False, widget=forms.Textarea)
    version = forms.IntegerField(widget=forms.HiddenInput)
