"""What the evidence upload controls say about the files they take (from the evidence
file store, `scoring.evidence_files`)."""

from django import template

from scoring.evidence_files import file_store

register = template.Library()


@register.simple_tag
def evidence_accept():
    """The `accept` attribute of a file input: the allowed extensions (the browser's
    file picker only; the server checks the content)."""
    return file_store().ACCEPT


@register.simple_tag
def evidence_limit():
    """The size limit as people read it, e.g. "10 MB"."""
    return file_store().limit_text()
