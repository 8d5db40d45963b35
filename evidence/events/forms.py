"""Browser forms of events and reform-risk filings. Choices come from the user's scope
(`for_user`); the rules themselves are the services' (`evidence.events.services`)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from assessment.models import Participant
from core.collation import pinyin
from core.numbers import plain_number
from evidence.events.services import raised_by_the_system
from evidence.models import FilingStatus, ReformFiling


class EventForm(forms.Form):
    """Report (participant chosen among those in scope) or edit (participant fixed)."""

    participant = forms.ModelChoiceField(label=_("参评书记"), queryset=Participant.objects.none())
    event_type = forms.ModelChoiceField(label=_("事项类型"), queryset=None)
    occurred_on = forms.DateField(
        label=_("发生日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    description = forms.CharField(
        label=_("情况说明"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4})
    )
    filing = forms.ModelChoiceField(
        label=_("关联改革风险备案"),
        queryset=ReformFiling.objects.none(),
        required=False,
        help_text=_("可选：该事项属于已批准备案的改革探索时选择。"),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user, cycle, participant=None, bonus_only=False, **kwargs):
        super().__init__(*args, **kwargs)
        participants = (
            Participant.objects.for_user(user)
            .filter(cycle=cycle)
            .select_related("secretary", "community")
            .order_by("community__path", pinyin("secretary__name"))
        )
        if participant is not None:
            del self.fields["participant"]
        else:
            self.fields["participant"].queryset = participants
        types = cycle.frozen_template.event_types.order_by("points", "code")
        if bonus_only:
            # A secretary's 表彰加分: bonus types, not those the product raises itself.
            types = types.filter(points__gt=0).exclude(pk__in=raised_by_the_system(cycle))
        self.fields["event_type"].queryset = types
        filings = ReformFiling.objects.for_user(user).filter(
            participant__cycle=cycle, status=FilingStatus.APPROVED
        )
        if participant is not None:
            filings = filings.filter(participant=participant)
        self.fields["filing"].queryset = filings.select_related("participant__secretary")
        self.fields["filing"].label_from_instance = lambda f: f"{f.participant}：{f.title}"
        self.fields["event_type"].label_from_instance = _type_label


def _type_label(kind):
    """e.g. 镇级信访案（-3 分）, 越级信访（一票否决）."""
    marks = []
    if kind.points:
        sign = "+" if kind.points > 0 else ""
        marks.append(_("%(points)s 分") % {"points": sign + plain_number(kind.points)})
    if kind.is_veto:
        marks.append(_("一票否决"))
    return f"{kind.name}（{'，'.join(str(m) for m in marks)}）" if marks else kind.name
