"""The shared official-document (公文) PDF renderer (`reports.official`): a template that
extends `reports/official/base.html` comes out as an A4 PDF in the GB/T 9704 manner —
masthead with 文号, title, body, tables whose header rows repeat on every page, issuing
unit and date, page numbers "— 1 —" — with its CJK fonts embedded and nothing fetched
from outside."""

import io
from datetime import date

import pytest
from django.conf import settings as django_settings
from pdfminer.high_level import extract_text
from pdfminer.pdfdocument import PDFDocument
from pdfminer.pdfpage import PDFPage
from pdfminer.pdfparser import PDFParser
from pdfminer.pdftypes import resolve1

from reports.official import official_date, render_pdf
from tests.pdfs import embedded_fonts

A4 = (595.28, 841.89)  # points

DOCUMENT = """{% extends "reports/official/base.html" %}
{% block doc_meta_title %}季度通报{% endblock %}
{% block doc_header %}中共青山县委组织部文件{% endblock %}
{% block doc_number %}青组通〔2026〕3号{% endblock %}
{% block doc_title %}关于第三季度社区书记考核情况的通报{% endblock %}
{% block doc_body %}<p>各乡镇党委、街道党工委：现将第三季度考核情况通报如下。</p>
<table class="grid"><thead><tr><th>序号</th><th>社区</th></tr></thead><tbody>
{% for i in rows %}<tr><td class="num">{{ i }}</td><td>第{{ i }}社区</td></tr>{% endfor %}
</tbody></table>{% endblock %}
{% block doc_issuer %}中共青山县委组织部{% endblock %}
{% block doc_date %}2026年12月7日{% endblock %}
"""

PLAIN = """{% extends "reports/official/base.html" %}
{% block doc_title %}分档定薪说明{% endblock %}
{% block doc_body %}<link rel="stylesheet" href="file://{{ css }}"><p>正文。</p>{% endblock %}
"""


@pytest.fixture
def documents(settings, tmp_path):
    """Test templates beside the product's (a locmem loader first)."""
    (tmp_path / "outside.css").write_text('.doc-body p::after { content: "外部样式生效"; }')
    engine = {
        **django_settings.TEMPLATES[0],
        "APP_DIRS": False,
        "OPTIONS": {
            **django_settings.TEMPLATES[0]["OPTIONS"],
            "loaders": [
                (
                    "django.template.loaders.locmem.Loader",
                    {"test/document.html": DOCUMENT, "test/plain.html": PLAIN},
                ),
                "django.template.loaders.filesystem.Loader",
                "django.template.loaders.app_directories.Loader",
            ],
        },
    }
    settings.TEMPLATES = [engine, *django_settings.TEMPLATES[1:]]
    return tmp_path


def pages_of(data):
    document = PDFDocument(PDFParser(io.BytesIO(data)))
    return document, list(PDFPage.create_pages(document))


def test_a_long_document_keeps_the_official_layout_on_every_page(documents):
    data = render_pdf("test/document.html", {"rows": range(1, 61)})
    document, pages = pages_of(data)
    assert len(pages) >= 2
    assert all(tuple(round(v, 2) for v in page.mediabox[2:]) == A4 for page in pages)
    first = extract_text(io.BytesIO(data), page_numbers=[0])
    # The issuing unit's mark is letter-spaced: compare without spaces.
    for text in (
        "中共青山县委组织部文件",
        "青组通〔2026〕3号",
        "关于第三季度社区书记考核情况的通报",
    ):
        assert text in "".join(first.split())
    assert "— 1 —" in first
    second = extract_text(io.BytesIO(data), page_numbers=[1])
    assert "— 2 —" in second
    assert "序号" in second  # the table's header row repeats
    last = extract_text(io.BytesIO(data), page_numbers=[len(pages) - 1])
    assert "中共青山县委组织部" in last and "2026年12月7日" in last
    assert "第60社区" in extract_text(io.BytesIO(data))
    assert resolve1(document.info[0]["Title"]).decode("utf-16").endswith("季度通报")
    fonts = embedded_fonts(data)
    assert fonts and all(fonts.values()), fonts
    # Subset names such as ABCDEF+Noto-Serif-CJK-SC: the serif body and the sans tables.
    faces = {name.split("+")[-1].replace("-", "") for name in fonts}
    assert {"NotoSerifCJKSC", "NotoSansCJKSC"} <= faces


def test_nothing_outside_the_document_is_loaded(documents):
    """Intranet rule: a document names no outside resource that is then fetched — not
    even a local file."""
    data = render_pdf("test/plain.html", {"css": documents / "outside.css"})
    text = extract_text(io.BytesIO(data))
    assert "分档定薪说明" in text and "正文。" in text
    assert "外部样式生效" not in text
    assert "— 1 —" in text


def test_dates_are_written_as_official_documents_write_them():
    assert official_date(date(2026, 1, 5)) == "2026年1月5日"
    assert official_date(date(2026, 12, 7)) == "2026年12月7日"
