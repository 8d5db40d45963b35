"""Form parts every app's browser forms share."""

from django import forms


class VersionedForm(forms.Form):
    """Carries the version the user read, for optimistic locking."""

    version = forms.IntegerField(widget=forms.HiddenInput)
