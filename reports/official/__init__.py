"""Documents in the official-document (公文) style, as PDF: the shared renderer of the
pay-band sheet, the quarterly bulletin and whatever the county issues next.

`render_pdf(template_name, context)` renders a template that extends
`reports/official/base.html` (GB/T 9704 layout: A4, 版心 margins, CJK serif title and
body, 文号, issuing unit and date, page numbers "— 1 —") and returns the PDF's bytes.
"""

from reports.official.pdf import PDF_CONTENT_TYPE, official_date, render_pdf

__all__ = ["PDF_CONTENT_TYPE", "official_date", "render_pdf"]
