"""Printable ballot slips (评议票): A4 PDF, eight slips a page, each with a QR code of its
ballot link and the same token as a typed code (SPEC §1 评议人: no account, a single-use
link / QR code). Made by WeasyPrint from `templates/surveys/slips.html` in the slips job
(`surveys.ballots.services.make_slips`); the QR codes are inline SVG from segno, so
nothing is fetched and no image is written to disk."""

from dataclasses import dataclass

import segno
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe

from surveys.ballots import tokens

SLIPS_PER_PAGE = 8
# Slips laid out at a time: whole pages, about a second's work.
SLIPS_PER_CHUNK = 5 * SLIPS_PER_PAGE


@dataclass(frozen=True)
class Slip:
    code: str
    link: str
    qr_svg: str


def qr_svg(link):
    """The link as an SVG QR code sized by the stylesheet (error correction M survives a
    crease or a smudge on paper)."""
    # segno writes the markup itself from the link's modules: safe to embed as is.
    return mark_safe(segno.make(link, error="m").svg_inline(omitsize=True, border=2))


def ballot_link(base_url, token):
    """The absolute ballot URL a slip's QR code holds: `<base_url>/b/<token>/`."""
    return base_url.rstrip("/") + reverse("ballot", args=[tokens.encode(token)])


def slips_html(batch, issued, base_url):
    slips = []
    for token in issued:
        link = ballot_link(base_url, token)
        slips.append(Slip(tokens.typed_code(token), link, qr_svg(link)))
    pages = [slips[i : i + SLIPS_PER_PAGE] for i in range(0, len(slips), SLIPS_PER_PAGE)]
    code_page = base_url.rstrip("/") + reverse("ballot-code")
    return render_to_string(
        "surveys/slips.html", {"batch": batch, "pages": pages, "code_page": code_page}
    )


def slips_pdf(batch, issued, base_url, progress=None):
    """The slips of a batch as PDF bytes, rendered in memory. Laid out a few pages at a
    time (one layout of hundreds of slips takes many seconds) so that `progress`, if
    given, hears how many slips are laid out; the pages are then written as one PDF."""
    # Imported here: WeasyPrint loads Pango and fonts, which only the slips job needs.
    from weasyprint import HTML

    documents = []
    for start in range(0, len(issued), SLIPS_PER_CHUNK):
        part = issued[start : start + SLIPS_PER_CHUNK]
        documents.append(HTML(string=slips_html(batch, part, base_url)).render())
        if progress is not None:
            progress(start + len(part))
    pages = [page for document in documents for page in document.pages]
    return documents[0].copy(pages).write_pdf()
