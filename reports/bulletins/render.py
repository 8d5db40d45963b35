"""A bulletin rendered three ways from one snapshot (SPEC §2 Bulletin): the document's
context (its tables and charts), the stand-alone HTML and the PDF in 公文 style (one
template, `reports/bulletins/pdf.html`), and the workbook (`workbook.write_workbook`)."""

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from reports.bulletins import charts
from reports.bulletins.tables import tables
from reports.official import official_date, render_pdf

PDF_TEMPLATE = "reports/bulletins/pdf.html"


def document_context(bulletin, snapshot):
    """What the page, the HTML file and the PDF render (`_document.html`)."""
    towns = snapshot["towns"]
    issued_on = timezone.localdate(bulletin.issued_at) if bulletin.issued_at else None
    return {
        "bulletin": bulletin,
        "doc": snapshot,
        "tables": tables(snapshot),
        "distribution_svg": charts.distribution_chart(towns) if towns["rows"] else "",
        "lean_svg": charts.lean_chart(towns) if towns["rows"] else "",
        "flagged": [row for row in towns["rows"] if (row.get("lean") or {}).get("verdict")],
        "issuer": _("中共%(county)s委组织部") % {"county": snapshot["county"]},
        "issued_on": official_date(issued_on) if issued_on else "",
        "secretary_reading": snapshot.get("reading") == "secretary",
    }


def html_document(bulletin, snapshot):
    """The stand-alone HTML (the PDF's own page, styles inline: an archive copy)."""
    return render_to_string(PDF_TEMPLATE, document_context(bulletin, snapshot))


def pdf_document(bulletin, snapshot):
    return render_pdf(PDF_TEMPLATE, document_context(bulletin, snapshot))


def filename(bulletin, suffix):
    number = bulletin.number or _("草稿")
    return _("%(cycle)s-第%(q)d季度通报-%(number)s.%(suffix)s") % {
        "cycle": bulletin.cycle.name,
        "q": bulletin.quarter,
        "number": number,
        "suffix": suffix,
    }
