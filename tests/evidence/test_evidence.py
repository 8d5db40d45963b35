"""Evidence files (佐证材料; SPEC §2 "Attachments are checked (type and size) and stored
outside the web root", §7; DESIGN §4 "Uploads"): the type read from the content, a size
limit, nothing stored on refusal, downloads only through the scoped view, and who may add
or remove a file when — on a leaf of the self-evaluation and on an appeal."""

import io
import re
import zipfile

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.urls import reverse

from assessment import services as cycles
from evidence.attachments import services as evidence
from evidence.models import Attachment
from scoring.appeals import services as appeals
from scoring.models import Appeal, SelfEvaluation
from scoring.selfeval import submit_self_evaluation
from tests.evidence import stored_files
from tests.factories import complete_scoring
from tests.office_files import (
    compound_file,
    excel_workbook,
    powerpoint_presentation,
    word_document,
)

# One world and one cycle for the module; each test runs in a savepoint inside them.
pytestmark = pytest.mark.usefixtures("shared_world")

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(17)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(20) + b"\xff\xd9"
GIF = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"
WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8 " + bytes(14)
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(48)


def zipped(*names):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return buffer.getvalue()


DOCX = zipped("[Content_Types].xml", "_rels/.rels", "word/document.xml")
XLSX = zipped("[Content_Types].xml", "_rels/.rels", "xl/workbook.xml")
PPTX = zipped("[Content_Types].xml", "_rels/.rels", "ppt/presentation.xml")


def upload(name, content, browser_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=browser_type)


def add(world, me, leaf, name="会议记录.pdf", content=PDF):
    return evidence.attach(
        actor=world.secretary_a1, participant=me, upload=upload(name, content), leaf=leaf
    )


# ------------------------------------------------------------------ type and size


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("会议记录.pdf", PDF, "application/pdf"),
        ("现场.png", PNG, "image/png"),
        ("现场.JPG", JPEG, "image/jpeg"),
        ("现场.jpeg", JPEG, "image/jpeg"),
        ("动图.gif", GIF, "image/gif"),
        ("照片.webp", WEBP, "image/webp"),
        (
            "台账.docx",
            DOCX,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("统计.xlsx", XLSX, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (
            "汇报.pptx",
            PPTX,
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ),
        ("旧台账.doc", word_document(), "application/msword"),
        ("旧统计.xls", excel_workbook(), "application/vnd.ms-excel"),
        ("旧汇报.ppt", powerpoint_presentation(), "application/vnd.ms-powerpoint"),
    ],
)
def test_each_allowed_kind_is_recognised_from_its_content_not_the_browser(
    name, content, content_type
):
    checked = evidence.check_upload(upload(name, content, browser_type="text/html"))
    assert checked.kind.content_type == content_type
    assert checked.name == name


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("扫描件.pdf", EXE, "“扫描件.pdf”不是允许的文件类型：只能上传 PDF、图片"),
        ("扫描件.exe", EXE, "“扫描件.exe”不是允许的文件类型"),
        ("台账.docx", zipped("readme.txt", "word/document.xml"), "“台账.docx”不是允许的文件类型"),
        ("资料.zip", zipped("[Content_Types].xml", "other/x.xml"), "“资料.zip”不是允许的文件类型"),
        (
            "宏.docx",
            zipped("[Content_Types].xml", "word/document.xml", "word/vbaProject.bin"),
            "“宏.docx”含有宏，为安全起见不能上传",
        ),
        ("坏的.docx", b"PK\x03\x04" + bytes(30), "“坏的.docx”不是允许的文件类型"),
        ("空白.pdf", b"", "“空白.pdf”是空文件"),
        ("照片.pdf", PNG, "“照片.pdf”的内容是 PNG 图片，与扩展名“.pdf”不符"),
        ("台账.xlsx", DOCX, "“台账.xlsx”的内容是 Word 文档，与扩展名“.xlsx”不符"),
        ("旧文件.pdf", word_document(), "“旧文件.pdf”的内容是 Word 97-2003 文档"),
        (
            "两用.pdf",
            compound_file({"WordDocument": b"\xec\xa5", "Workbook": b"\x0a\x00\x00\x00"}),
            "“两用.pdf”的内容是 Office 97-2003 文档",
        ),
        ("扫描件", PDF, "“扫描件”没有扩展名；它的内容是 PDF 文档，请加上扩展名（.pdf）"),
    ],
)
def test_a_bad_file_is_refused_by_name_and_nothing_is_stored(
    world, me, leaf, media, name, content, message
):
    with pytest.raises(ValidationError) as refused:
        add(world, me, leaf, name, content)
    assert message in " ".join(refused.value.messages)
    assert not Attachment.objects.exists()
    assert stored_files(media) == []


def test_an_exe_sent_as_a_pdf_by_the_browser_is_still_refused(world, me, leaf, media):
    with pytest.raises(ValidationError, match="不是允许的文件类型"):
        evidence.attach(
            actor=world.secretary_a1,
            participant=me,
            upload=upload("扫描件.pdf", EXE, browser_type="application/pdf"),
            leaf=leaf,
        )
    assert not Attachment.objects.exists() and stored_files(media) == []


def test_a_file_over_the_limit_is_refused_saying_its_size_and_the_limit(world, me, leaf, media):
    big = PDF + bytes(int(12.5 * 1024 * 1024) - len(PDF))
    with pytest.raises(ValidationError) as refused:
        add(world, me, leaf, "会议记录.pdf", big)
    assert refused.value.messages == ["“会议记录.pdf”有 12.5 MB，超过 10 MB 的上限。"]
    assert not Attachment.objects.exists() and stored_files(media) == []


def test_the_limit_comes_from_the_setting(world, me, leaf, settings, media):
    settings.EVIDENCE_MAX_BYTES = 1024
    with pytest.raises(ValidationError, match="“大.pdf”有 1.5 KB，超过 1 KB 的上限"):
        add(world, me, leaf, "大.pdf", PDF + bytes(1536 - len(PDF)))
    assert add(world, me, leaf, "小.pdf", PDF + bytes(1024 - len(PDF))).size == 1024
    assert len(stored_files(media)) == 1


def test_one_bad_file_refuses_them_all_and_every_bad_one_is_named(world, me, leaf, media):
    with pytest.raises(ValidationError) as refused:
        evidence.attach_files(
            actor=world.secretary_a1,
            participant=me,
            uploads=[upload("好.pdf", PDF), upload("坏.pdf", EXE), upload("空.png", b"")],
            leaf=leaf,
        )
    assert len(refused.value.messages) == 2
    assert "“坏.pdf”" in refused.value.messages[0] and "“空.png”" in refused.value.messages[1]
    assert not Attachment.objects.exists() and stored_files(media) == []


# ----------------------------------------------------------------------- storing


def test_a_file_is_stored_outside_the_web_root_under_a_name_that_says_nothing(
    world, me, leaf, media
):
    attachment = add(world, me, leaf, "会议记录（2026）.pdf", PDF)
    assert re.fullmatch(r"evidence/\d{4}/[0-9a-f]{32}", attachment.file.name)
    assert stored_files(media) == [media / attachment.file.name]
    assert (media / attachment.file.name).read_bytes() == PDF
    assert attachment.original_name == "会议记录（2026）.pdf"
    assert attachment.content_type == "application/pdf" and attachment.size == len(PDF)
    assert len(attachment.sha256) == 64 and attachment.uploaded_by == world.secretary_a1
    record = attachment.history.get()
    assert record.history_user == world.secretary_a1
    assert record.scope_path == world.community_a1.path


def test_a_file_written_is_deleted_again_when_recording_it_fails(
    world, me, leaf, media, monkeypatch
):
    def failing_save(self, *args, **kwargs):
        raise IntegrityError("simulated")

    monkeypatch.setattr(Attachment, "save", failing_save)
    with pytest.raises(IntegrityError):
        add(world, me, leaf)
    assert stored_files(media) == []


def test_folders_and_control_characters_leave_the_name(world, me, leaf):
    attachment = add(world, me, leaf, "..\\..\\etc/台账\x00\n.pdf", PDF)
    assert attachment.original_name == "台账.pdf"


# -------------------------------------------------------------------- who and when


def test_only_the_participants_own_secretary_adds_self_evaluation_evidence(world, cycle, me, leaf):
    for actor in (world.secretaries["a2"].user, world.county_assessor_a, world.town_assessor_a):
        with pytest.raises(PermissionDenied):
            evidence.attach(actor=actor, participant=me, upload=upload("a.pdf", PDF), leaf=leaf)
    assert not Attachment.objects.exists()


def test_evidence_goes_on_a_leaf_of_the_cycles_own_template(world, cycle, me):
    dimension = cycle.frozen_template.nodes.get(code="1")
    with pytest.raises(ValidationError, match="末级指标"):
        add(world, me, dimension)
    elsewhere = cycle.template.nodes.get(name="违建管控")  # the template, not the frozen copy
    with pytest.raises(ValidationError, match="末级指标"):
        add(world, me, elsewhere)


def test_a_submitted_self_evaluation_takes_no_evidence_and_keeps_its_files(
    world, cycle, me, leaf, media
):
    kept = add(world, me, leaf)
    submit_self_evaluation(actor=world.secretary_a1, participant=me, version=None)
    with pytest.raises(ValidationError, match="提交并锁定"):
        add(world, me, leaf, "补充.pdf")
    with pytest.raises(ValidationError, match="提交并锁定"):
        evidence.remove(actor=world.secretary_a1, attachment=kept)
    assert list(Attachment.objects.all()) == [kept] and len(stored_files(media)) == 1


def test_self_evaluation_evidence_only_while_the_cycle_is_open(world, cycle, me, leaf):
    cycles.transition(actor=None, cycle=cycle, name="start_scoring", version=cycle.version)
    with pytest.raises(ValidationError, match="只能在“进行中”"):
        add(world, me, leaf)


def test_the_uploader_removes_a_file_and_it_leaves_the_disk_once_committed(
    world, me, leaf, media, django_capture_on_commit_callbacks
):
    attachment = add(world, me, leaf)
    path = media / attachment.file.name
    with django_capture_on_commit_callbacks(execute=True):
        evidence.remove(actor=world.secretary_a1, attachment=attachment)
    assert not Attachment.objects.exists() and not path.exists()
    removal = Attachment.history.filter(history_type="-").get()
    assert removal.history_user == world.secretary_a1 and removal.original_name == "会议记录.pdf"


def test_nobody_but_the_uploader_removes_a_file(world, me, leaf, media):
    attachment = add(world, me, leaf)
    for actor in (world.secretaries["a2"].user, world.county_assessor_a):
        with pytest.raises(PermissionDenied):
            evidence.remove(actor=actor, attachment=attachment)
    assert Attachment.objects.count() == 1 and len(stored_files(media)) == 1


# ------------------------------------------------------------------------ download


def test_the_owner_downloads_the_file_under_its_own_name_and_never_inline(world, me, leaf, login):
    attachment = add(world, me, leaf, "会议记录.pdf")
    response = login(world.secretary_a1).get(reverse("evidence-download", args=[attachment.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''%E4%BC%9A%E8%AE%AE%E8%AE%B0%E5%BD%95.pdf" in disposition


@pytest.mark.parametrize(
    "persona", ["county_assessor_a", "admin_a", "town_assessor_a", "observer_a", "split_person"]
)
def test_staff_in_scope_download(world, me, leaf, login, persona):
    attachment = add(world, me, leaf)
    response = login(world.persona(persona)).get(reverse("evidence-download", args=[attachment.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF


def test_another_secretary_and_staff_out_of_scope_get_404(world, me, leaf, login):
    attachment = add(world, me, leaf)
    url = reverse("evidence-download", args=[attachment.pk])
    for user in (world.secretaries["a2"].user, world.outsider_b, world.secretaries["c1"].user):
        assert login(user).get(url).status_code == 404


def test_a_file_missing_from_the_disk_answers_404(world, me, leaf, login, media):
    attachment = add(world, me, leaf)
    (media / attachment.file.name).unlink()
    url = reverse("evidence-download", args=[attachment.pk])
    assert login(world.secretary_a1).get(url).status_code == 404


# -------------------------------------------------------------- self-evaluation page


def test_the_secretary_uploads_from_the_page_and_returns_to_the_leaf(world, me, leaf, login, media):
    client = login(world.secretary_a1)
    url = reverse("selfeval-evidence", args=[me.pk])
    response = client.post(url, {"leaf": leaf.pk, "files": [upload("巡查记录.pdf", PDF)]})
    assert response.status_code == 302
    assert response.url == reverse("selfeval", args=[me.pk]) + f"#leaf-{leaf.pk}"
    text = client.get(response.url).content.decode()
    notice = text.split(f'data-testid="evidence-notice-{leaf.code}"')[1].split("</div>")[0]
    assert "已上传 1 个文件：巡查记录.pdf" in notice
    attachment = Attachment.objects.get()
    assert attachment.leaf == leaf
    assert reverse("evidence-download", args=[attachment.pk]) in text
    assert f'form="evidence-{leaf.pk}"' in text and 'id="evidence-remove"' in text


def test_a_bad_file_from_the_page_is_reported_at_the_leaf_and_nothing_is_stored(
    world, me, leaf, login, media
):
    client = login(world.secretary_a1)
    url = reverse("selfeval-evidence", args=[me.pk])
    response = client.post(
        url, {"leaf": leaf.pk, "files": [upload("扫描件.exe", EXE)]}, follow=True
    )
    text = response.content.decode()
    notice = text.split(f'data-testid="evidence-notice-{leaf.code}"')[1].split("</div>")[0]
    assert "未上传任何文件：“扫描件.exe”不是允许的文件类型" in notice
    assert "alert-danger" in text.split(f'data-testid="evidence-notice-{leaf.code}"')[0][-200:]
    assert not Attachment.objects.exists() and stored_files(media) == []


def test_staff_reading_the_page_see_the_links_but_no_upload(world, me, leaf, login):
    attachment = add(world, me, leaf)
    text = login(world.town_assessor_a).get(reverse("selfeval", args=[me.pk])).content.decode()
    assert reverse("evidence-download", args=[attachment.pk]) in text
    assert f'form="evidence-{leaf.pk}"' not in text and 'data-testid="evidence-remove"' not in text


def test_a_submitted_page_offers_no_upload_and_refuses_one(world, me, leaf, login):
    add(world, me, leaf)
    submit_self_evaluation(actor=world.secretary_a1, participant=me, version=None)
    client = login(world.secretary_a1)
    text = client.get(reverse("selfeval", args=[me.pk])).content.decode()
    assert "会议记录.pdf" in text and f'form="evidence-{leaf.pk}"' not in text
    response = client.post(
        reverse("selfeval-evidence", args=[me.pk]),
        {"leaf": leaf.pk, "files": [upload("补充.pdf", PDF)]},
        follow=True,
    )
    assert "提交并锁定" in response.content.decode()
    assert Attachment.objects.count() == 1
    assert SelfEvaluation.objects.get(participant=me).status == "submitted"


def test_the_upload_view_is_for_secretaries_on_their_own_page(world, me, leaf, login):
    url = reverse("selfeval-evidence", args=[me.pk])
    data = {"leaf": leaf.pk, "files": [upload("a.pdf", PDF)]}
    assert login(world.county_assessor_a).post(url, data).status_code == 403
    data["files"] = [upload("a.pdf", PDF)]
    assert login(world.secretaries["a2"].user).post(url, data).status_code == 404
    assert not Attachment.objects.exists()


def test_removing_from_the_page_goes_back_to_a_safe_place_only(
    world, me, leaf, login, django_capture_on_commit_callbacks
):
    client = login(world.secretary_a1)
    first, second = add(world, me, leaf, "一.pdf"), add(world, me, leaf, "二.pdf")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("evidence-remove", args=[first.pk]), {"next": "https://evil.example/"}
        )
    assert response.url == reverse("selfeval", args=[me.pk]) + f"#leaf-{leaf.pk}"
    page = reverse("selfeval", args=[me.pk])
    response = client.post(reverse("evidence-remove", args=[second.pk]), {"next": page})
    assert response.url == page
    assert not Attachment.objects.exists()


# ------------------------------------------------------------------------- appeals


@pytest.fixture
def in_review(world, cycle):
    cycle = cycles.transition(actor=None, cycle=cycle, name="start_scoring", version=cycle.version)
    cycle = complete_scoring(cycle, world.county_assessor_a)
    return cycles.transition(actor=None, cycle=cycle, name="start_review", version=cycle.version)


def file_with(world, me, uploads):
    return appeals.file_appeal(
        actor=world.secretary_a1, participant=me, reasons="组织考评偏低", uploads=uploads
    )


def test_an_appeal_with_a_bad_file_is_refused_whole(world, in_review, me, media):
    with pytest.raises(ValidationError) as refused:
        file_with(world, me, [upload("会议记录.pdf", PDF), upload("扫描件.exe", EXE)])
    assert "“扫描件.exe”不是允许的文件类型" in " ".join(refused.value.messages)
    assert not Appeal.objects.exists() and not Attachment.objects.exists()
    assert stored_files(media) == []


def test_an_appeal_is_filed_with_its_files(world, in_review, me, media):
    appeal = file_with(world, me, [upload("会议记录.pdf", PDF), upload("现场.jpg", JPEG)])
    names = list(appeal.attachments.values_list("original_name", "leaf", "participant"))
    assert names == [("会议记录.pdf", None, me.pk), ("现场.jpg", None, me.pk)]
    assert len(stored_files(media)) == 2


def test_appeal_evidence_changes_only_while_filed_and_only_by_its_secretary(
    world, in_review, me, media
):
    appeal = file_with(world, me, [])
    extra = evidence.attach(
        actor=world.secretary_a1, participant=me, upload=upload("补充.png", PNG), appeal=appeal
    )
    with pytest.raises(PermissionDenied):
        evidence.attach(
            actor=world.county_assessor_a,
            participant=me,
            upload=upload("x.pdf", PDF),
            appeal=appeal,
        )
    appeals.accept_appeal(actor=world.county_assessor_a, appeal=appeal, version=appeal.version)
    with pytest.raises(ValidationError, match="只有待受理的申诉可以增删佐证材料"):
        evidence.attach(
            actor=world.secretary_a1, participant=me, upload=upload("迟.pdf", PDF), appeal=appeal
        )
    with pytest.raises(ValidationError, match="只有待受理的申诉"):
        evidence.remove(actor=world.secretary_a1, attachment=extra)
    assert list(appeal.attachments.all()) == [extra]


def test_the_appeal_form_refuses_a_bad_file_and_keeps_what_was_typed(
    world, in_review, me, login, media
):
    client = login(world.secretary_a1)
    url = reverse("appeal-create", args=[in_review.pk])
    response = client.post(
        url,
        {"reasons": "台账齐全", "files": [upload("会议记录.pdf", PDF), upload("扫描件.exe", EXE)]},
    )
    text = response.content.decode()
    assert response.status_code == 200 and "“扫描件.exe”不是允许的文件类型" in text
    assert "台账齐全" in text and 'enctype="multipart/form-data"' in text
    assert not Appeal.objects.exists() and stored_files(media) == []


def test_the_appeal_page_lists_files_and_lets_the_secretary_add_and_remove_while_filed(
    world, in_review, me, login, django_capture_on_commit_callbacks
):
    client = login(world.secretary_a1)
    response = client.post(
        reverse("appeal-create", args=[in_review.pk]),
        {"reasons": "台账齐全", "files": [upload("会议记录.pdf", PDF)]},
    )
    appeal = Appeal.objects.get()
    assert response.url == reverse("appeal-detail", args=[appeal.pk])
    response = client.post(
        reverse("appeal-evidence", args=[appeal.pk]), {"files": [upload("现场.png", PNG)]}
    )
    assert response.url == reverse("appeal-detail", args=[appeal.pk]) + "#evidence"
    text = client.get(reverse("appeal-detail", args=[appeal.pk])).content.decode()
    first, added = appeal.attachments.all()
    for attachment in (first, added):
        assert reverse("evidence-download", args=[attachment.pk]) in text
        assert reverse("evidence-remove", args=[attachment.pk]) in text
    assert 'data-testid="appeal-evidence-form"' in text
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("evidence-remove", args=[added.pk]))
    assert list(appeal.attachments.all()) == [first]
    # The county assessor sees the file, and no controls to change them.
    text = login(world.county_assessor_a).get(reverse("appeal-detail", args=[appeal.pk]))
    text = text.content.decode()
    assert reverse("evidence-download", args=[first.pk]) in text
    assert 'data-testid="appeal-evidence-form"' not in text
    assert reverse("evidence-remove", args=[first.pk]) not in text
