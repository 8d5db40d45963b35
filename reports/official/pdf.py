"""WeasyPrint behind `render_pdf` (DESIGN §1: PDF from HTML templates, CJK fonts from
Debian's fonts-noto-cjk, embedded as subsets)."""

import logging

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

PDF_CONTENT_TYPE = "application/pdf"

# WeasyPrint logs each layout step at INFO: noise in the server log for every download.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


def _offline_fetcher():
    """Only inline (`data:`) resources: a government intranet has no internet, and a
    document must not reach out to any address (or local file) its content might name."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols=("data",))


def render_pdf(template_name, context):
    """The PDF (bytes) of `template_name` rendered with `context`. The template extends
    `reports/official/base.html` and fills its blocks (documented there)."""
    # Imported here: WeasyPrint loads Pango and fonts (most of a second), which only
    # the processes that make documents need.
    from weasyprint import HTML

    html = render_to_string(template_name, context)
    document = HTML(string=html, base_url=str(settings.BASE_DIR), url_fetcher=_offline_fetcher())
    return document.write_pdf()


def official_date(day):
    """A date as 公文 write it (GB/T 9704-2012 7.3.5.3: Arabic numerals, no leading
    zeros): 2026年12月7日."""
    return _("%(y)d年%(m)d月%(d)d日") % {"y": day.year, "m": day.month, "d": day.day}
