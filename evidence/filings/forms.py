"""The reform-risk filing form (改革风险备案)."""

from django import forms
from django.utils.translation import gettext_lazy as _


class FilingForm(forms.Form):
    title = forms.CharField(label=_("改革事项"), max_length=200)
    description = forms.CharField(
        label=_("主要举措"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4})
    )
    risks = forms.CharField(
        label=_("可能的风险"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4})
    )
