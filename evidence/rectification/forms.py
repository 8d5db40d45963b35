"""Browser forms of the rectification lists; the services decide (evidence.rectification
.services). Choice fields start from the user's scope."""

from django import forms
from django.utils.translation import gettext_lazy as _

from evidence.models import RectificationSource
from evidence.rectification.services import CHOSEN_SOURCES
from org.models import OrgUnit, OrgUnitKind
from org.scope import Role
from scoring.models import Appeal

HANDLER_ROLES = (Role.ADMIN, Role.COUNTY_ASSESSOR, Role.TOWN_ASSESSOR)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ItemFieldsForm(forms.Form):
    problem = forms.CharField(label=_("问题描述"), widget=forms.Textarea(attrs={"rows": 3}))
    measures = forms.CharField(
        label=_("整改措施"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    owner = forms.CharField(
        label=_("责任人"),
        max_length=100,
        required=False,
        help_text=_("不填则为该社区现任书记。"),
    )
    deadline = forms.DateField(label=_("整改时限"), widget=DATE)


class ItemCreateForm(ItemFieldsForm):
    community = forms.ModelChoiceField(label=_("社区"), queryset=OrgUnit.objects.none())
    source = forms.ChoiceField(
        label=_("问题来源"),
        choices=[(s.value, s.label) for s in CHOSEN_SOURCES],
        initial=RectificationSource.RESULT,
    )
    appeal = forms.ModelChoiceField(
        label=_("关联申诉"), queryset=Appeal.objects.none(), required=False
    )
    field_order = ["community", "source", "appeal", "problem", "measures", "owner", "deadline"]

    def __init__(self, *args, user, cycle, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = OrgUnit.objects.for_user(
            user, roles=HANDLER_ROLES
        ).filter(path__startswith=cycle.county.path, kind=OrgUnitKind.COMMUNITY)
        self.fields["appeal"].queryset = (
            Appeal.objects.for_user(user)
            .filter(participant__cycle=cycle)
            .select_related("participant__secretary", "participant__community")
        )


class ItemEditForm(ItemFieldsForm):
    version = forms.IntegerField(widget=forms.HiddenInput)
