"""What the evidence upload controls say about the files they take."""

from django import template

from evidence.attachments import services as evidence

register = template.Library()


@register.simple_tag
def evidence_accept():
    """The `accept` attribute of a file input: the allowed extensions (the browser's
    file picker only; the server checks the content)."""
    return evidence.ACCEPT


@register.simple_tag
def evidence_limit():
    """The size limit as people read it, e.g. "10 MB"."""
    return evidence.limit_text()
