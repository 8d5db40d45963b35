"""The 专项奖励 form of the pay-band page. What a line may be is the service's to say
(`reports.paybands.services.add_reward`): the amount arrives as typed, and the service
reads it as money (positive, at most two decimals)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from reports.models import RewardKind


class ParticipantChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.secretary.name}（{obj.secretary.staff_no}，{obj.community.name}）"


class RewardForm(forms.Form):
    participant = ParticipantChoiceField(
        label=_("社区书记"),
        queryset=None,
        empty_label=_("请选择"),
        error_messages={
            "required": _("请选择获得奖励的社区书记。"),
            "invalid_choice": _("所选书记不在本表名单中，请重新选择。"),
        },
    )
    kind = forms.ChoiceField(label=_("奖励类别"), choices=RewardKind.choices)
    reason = forms.CharField(
        label=_("奖励事由"),
        max_length=2000,
        error_messages={"required": _("请写明奖励事由。")},
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    amount = forms.CharField(
        label=_("奖励金额（元）"),
        max_length=20,
        error_messages={"required": _("请填写奖励金额。")},
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )

    def __init__(self, *args, participants, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["participant"].queryset = participants
