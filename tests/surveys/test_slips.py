"""Printable slips (评议票): A4 PDF, eight a page, each with a QR code of its ballot link
and the typed code (issue 6; SPEC §1 评议人)."""

import io

import pytest
import segno
from pdfminer.high_level import extract_pages, extract_text

from surveys.ballots import slips, tokens
from tests.factories import fresh_cycle, open_seed_cycle
from tests.surveys import BASE_URL, issue

# One world and one cycle for the module; each test runs in a savepoint inside them.
pytestmark = pytest.mark.usefixtures("shared_world")

A4_POINTS = (595.28, 841.89)


@pytest.fixture(scope="module")
def module_cycle(shared_world):
    return open_seed_cycle(shared_world.county_a)


@pytest.fixture
def cycle(module_cycle, db):
    return fresh_cycle(module_cycle)


def test_slips_are_an_a4_pdf_with_eight_slips_a_page_and_every_typed_code(world, cycle):
    _, pdf, codes = issue(cycle, world.community_a1, world.county_assessor_a, size=10)
    pages = list(extract_pages(io.BytesIO(pdf)))
    assert len(pages) == 2  # 8 + 2
    for page in pages:
        assert (round(page.width, 2), round(page.height, 2)) == A4_POINTS
    # WeasyPrint writes text upside down in a flipped matrix; read it without layout.
    text = extract_text(io.BytesIO(pdf), laparams=None)
    for code in codes:
        assert code in text
    assert "城东社区" in text and "居民代表" in text and "民主评议票" in text


def test_each_slip_carries_a_qr_code_of_its_own_ballot_link(world, cycle):
    batch, _, codes = issue(cycle, world.community_a1, world.county_assessor_a, size=2)
    issued = [tokens.decode(code) for code in codes]
    html = slips.slips_html(batch, issued, BASE_URL)
    for token in issued:
        link = f"{BASE_URL}/b/{tokens.encode(token)}/"
        assert slips.ballot_link(BASE_URL, token) == link
        expected = segno.make(link, error="m").svg_inline(omitsize=True, border=2)
        assert expected in html
        assert tokens.typed_code(token) in html
    assert html.count("<svg") == 2
    assert f"{BASE_URL}/b/" in html  # where to type the code
