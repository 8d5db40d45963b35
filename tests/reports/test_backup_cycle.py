"""The cycle backup (docs/operations.md §9, `manage.py backup_cycle ID DIR`): the cycle's
SPEC §4 workbook, which the real importer reads back into a fresh county with the same
inputs and results; every evidence file byte for byte under its original name; each
bulletin version; a manifest whose sizes and SHA-256 are those of the files. The same
data gives the same manifest but for its time; refusals are in Chinese and leave DIR
as it was."""

import hashlib
import io
import json
from datetime import date
from decimal import Decimal as D

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import override_settings

from assessment import services as cycles
from assessment.models import Cycle
from evidence.attachments.services import store_files
from evidence.events import services as events
from evidence.models import Attachment, MetricValue, RectificationItem
from indicators.models import MetricDefinition
from org.models import OrgUnit
from reports.bulletins import services as bulletins
from reports.excel import cycle_workbook
from reports.models import Bulletin
from scoring.models import ScoreEntry, Source
from scoring.services import compute_cycle, current_results
from surveys.inputs import survey_counts
from tests.factories import complete_scoring, fresh_cycle, open_seed_cycle

pytestmark = pytest.mark.usefixtures("shared_world")

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
OTHER_PDF = PDF.replace(b"Catalog", b"Catalog /Lang (zh)")
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(17)
# The re-import's codes: a county the database does not know yet.
PREFIX = "R"


def upload(name, content):
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    """The module's MEDIA_ROOT: its cycle's evidence files are stored once, for every test."""
    root = tmp_path_factory.mktemp("media")
    with override_settings(MEDIA_ROOT=root):
        yield root


@pytest.fixture(scope="module")
def module_cycle(shared_world, media):
    """A scored cycle with a self-evaluation score, an entered 数据项, a verified event,
    evidence on a leaf, on the event (the same name twice) and on a community's
    rectification item, and an issued bulletin."""
    world = shared_world
    cycle = open_seed_cycle(world.county_a)
    me = cycle.participants.get(secretary=world.secretaries["a1"])
    leaf = cycle.frozen_template.nodes.get(name="违建管控")
    ScoreEntry.objects.create(
        participant=me, leaf=leaf, source=Source.SELF, rater=world.secretary_a1, value=D("2.5")
    )
    store_files(
        actor=world.secretary_a1,
        uploads=[upload("会议记录.pdf", PDF)],
        participant=me,
        leaf=leaf,
    )
    event = events.report_event(
        actor=world.town_assessor_a,
        participant=me,
        event_type=cycle.frozen_template.event_types.get(code="ZJXF"),
        occurred_on=date(2026, 5, 6),
        description="=镇级信访（以等号开头）",
        uploads=[upload("会议记录.pdf", OTHER_PDF)],
    )
    events.verify_event(actor=world.county_assessor_a, event=event, version=event.version)
    MetricValue.objects.create(
        cycle=cycle,
        community=world.community_a1,
        key="service_coverage",
        value=D("87.5"),
        entered_by=world.admin_a,
    )
    item = RectificationItem.objects.create(
        cycle=cycle,
        community=world.community_a2,
        source="other",
        problem="台账不全",
        owner="乙书记",
        deadline=date(2026, 12, 31),
    )
    store_files(
        actor=world.admin_a,
        uploads=[upload("整改/照片.png", PNG)],
        community=world.community_a2,
        rectification=item,
    )
    cycle = cycles.transition(actor=None, cycle=cycle, name="start_scoring", version=cycle.version)
    cycle = complete_scoring(cycle, world.county_assessor_a)
    draft = bulletins.generate_bulletin(cycle=cycle, quarter=4, actor=None)
    bulletins.issue_bulletin(actor=world.county_assessor_a, bulletin=draft, version=draft.version)
    return cycle


@pytest.fixture
def cycle(module_cycle, db):
    return fresh_cycle(module_cycle)


def back_up(cycle, directory, *options):
    out, err = io.StringIO(), io.StringIO()
    call_command("backup_cycle", str(cycle.pk), str(directory), *options, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def manifest_of(directory):
    return json.loads((directory / "manifest.json").read_text(encoding="utf-8"))


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ------------------------------------------------------------------ what it writes


def test_the_manifest_lists_every_file_written_with_its_size_and_checksum(cycle, tmp_path):
    out, err = back_up(cycle, tmp_path / "backup")
    directory = tmp_path / "backup"
    manifest = manifest_of(directory)
    assert manifest["cycle"] == {
        "id": cycle.pk,
        "name": "2026年度考核",
        "year": 2026,
        "county": {"code": "QA", "name": "青山县"},
        "status": "scoring",
        "status_name": cycle.get_status_display(),
    }
    assert manifest["made_at"].startswith("2026-12-07T") and manifest["problems"] == []
    listed = {file["path"] for file in manifest["files"]}
    on_disk = {
        path.relative_to(directory).as_posix()
        for path in directory.rglob("*")
        if path.is_file() and path.name != "manifest.json"
    }
    assert listed == on_disk
    for file in manifest["files"]:
        path = directory / file["path"]
        assert path.stat().st_size == file["size"] and sha256(path) == file["sha256"]
        assert path.stat().st_mode & 0o777 == 0o600
    assert "已备份考核周期" in out and "佐证材料 3 个" in out and "季度通报文件 3 个" in out
    assert err == ""


def test_every_attachment_is_copied_byte_for_byte_under_its_original_name(cycle, tmp_path):
    back_up(cycle, tmp_path)
    copies = {f["attachment"]: f for f in manifest_of(tmp_path)["files"] if "attachment" in f}
    attachments = Attachment.objects.filter(participant__cycle=cycle) | Attachment.objects.filter(
        rectification__cycle=cycle
    )
    assert set(copies) == set(attachments.values_list("pk", flat=True))
    for attachment in attachments:
        copy = copies[attachment.pk]
        with attachment.file.open("rb") as stored:
            assert (tmp_path / copy["path"]).read_bytes() == stored.read()
        assert copy["sha256"] == attachment.sha256
        assert copy["original_name"] == attachment.original_name
        assert copy["stored_as"] == attachment.file.name
    assert sorted(copy["path"] for copy in copies.values()) == [
        "attachments/communities/QA102/照片.png",
        "attachments/secretaries/SA1/会议记录 (2).pdf",
        "attachments/secretaries/SA1/会议记录.pdf",
    ]


def test_each_bulletin_version_is_kept_as_pdf_workbook_and_snapshot(cycle, tmp_path):
    back_up(cycle, tmp_path)
    bulletin = Bulletin.objects.get(cycle=cycle)
    assert (tmp_path / "bulletins/q4-r1.pdf").read_bytes().startswith(b"%PDF")
    book = openpyxl.load_workbook(tmp_path / "bulletins/q4-r1.xlsx", read_only=True)
    assert "暂定排名" in book.sheetnames
    book.close()
    record = json.loads((tmp_path / "bulletins/q4-r1.json").read_text(encoding="utf-8"))
    assert record["content"] == bulletin.content and record["number"] == bulletin.number
    assert record["state"] == "issued" and record["requirements"] == bulletin.requirements


def test_the_workbook_imports_into_a_fresh_county_with_the_same_inputs_and_results(cycle, tmp_path):
    back_up(cycle, tmp_path)
    renamed = tmp_path / "renamed.xlsx"
    with_new_codes(tmp_path / "workbook.xlsx", renamed)
    out = io.StringIO()
    call_command("import_cycle", str(renamed), stdout=out)
    copy = Cycle.objects.get(pk=int(out.getvalue().split()[-1]))
    assert copy.county.code == PREFIX + "QA" and copy.pk != cycle.pk
    assert inputs(copy, PREFIX) == inputs(cycle)
    assert inputs(cycle)["scores"] and inputs(cycle)["events"] and inputs(cycle)["tallies"]
    compute_cycle(copy.pk)
    assert results(copy, PREFIX) == results(cycle)


def test_the_same_data_gives_the_same_manifest_but_for_its_time(cycle, tmp_path):
    back_up(cycle, tmp_path / "first")
    back_up(cycle, tmp_path / "second")
    first, second = manifest_of(tmp_path / "first"), manifest_of(tmp_path / "second")
    first.pop("made_at"), second.pop("made_at")
    assert first == second


# ------------------------------------------------------------------ re-import helpers

# Where the workbook holds codes a deployment keeps unique: units and 工号.
CODE_COLUMNS = {
    "单位": ("编码", "上级编码"),
    "书记": ("工号", "社区编码"),
    "事项": ("工号",),
    "指标数据": ("社区编码",),
    "评分": ("工号",),
    "测评": ("社区编码",),
}


def with_new_codes(source, target):
    """The workbook with PREFIX before every unit code and 工号 (a 自评's 评分人 is the
    工号 too), so it imports as a county the database does not hold."""
    book = openpyxl.load_workbook(source)
    for name, headers in CODE_COLUMNS.items():
        sheet = book[name]
        column = {cell.value: cell.column - 1 for cell in sheet[1]}
        for row in sheet.iter_rows(min_row=2):
            recoded = [row[column[h]] for h in headers]
            if name == "评分" and row[column["来源"]].value == "自评":
                recoded.append(row[column["评分人"]])
            for cell in recoded:
                if cell.value:
                    cell.value = PREFIX + cell.value
    book.save(target)


def inputs(cycle, prefix=""):
    """Everything the workbook carries, with the re-import's prefix taken off."""

    def code(value):
        return value.removeprefix(prefix) if value else value

    entered = set(
        MetricDefinition.objects.filter(template=cycle.frozen_template)
        .exclude(source=MetricDefinition.Source.COUNTED)
        .values_list("key", flat=True)
    )
    county = OrgUnit.objects.get(pk=cycle.county_id)
    return {
        "settings": {
            field: getattr(cycle, field)
            for field in ("name", "year", "weight_self", "weight_target", "weight_org")
            + ("bonus_cap", "excellent_share", "tier_top_share", "pay_base", "trim_threshold")
        },
        "units": {
            (code(u.code), u.name, u.kind, code(u.parent.code) if u.code != county.code else None)
            for u in OrgUnit.objects.filter(path__startswith=county.path).select_related("parent")
        },
        "participants": {
            (code(p.secretary.staff_no), p.secretary.name, code(p.community.code), p.is_graded)
            for p in cycle.participants.select_related("secretary", "community")
        },
        "nodes": {
            (n.code, n.name, n.points, n.method, n.metric_key, n.target_value, str(n.bands))
            for n in cycle.frozen_template.nodes.all()
        },
        "event_types": set(
            cycle.frozen_template.event_types.values_list(
                "code", "name", "leaf__code", "points", "cap", "is_veto"
            )
        ),
        "categories": set(cycle.frozen_template.survey_categories.values_list("name", "weight")),
        "events": {
            (code(staff_no), *rest)
            for staff_no, *rest in cycle.participants.values_list(
                "secretary__staff_no",
                "events__event_type__code",
                "events__occurred_on",
                "events__description",
                "events__status",
                "events__exempt",
            ).filter(events__isnull=False)
        },
        "metrics": {
            (code(community), key, value)
            for community, key, value in MetricValue.objects.filter(
                cycle=cycle, key__in=entered
            ).values_list("community__code", "key", "value")
        },
        "scores": {
            (code(staff_no), leaf, source, code(staff_no) if source == "self" else rater, value)
            for staff_no, leaf, source, rater, value in ScoreEntry.objects.filter(
                participant__cycle=cycle
            ).values_list(
                "participant__secretary__staff_no",
                "leaf__code",
                "source",
                "rater__username",
                "value",
            )
        },
        "tallies": {
            (code(community), category): counts
            for (community, category), counts in survey_counts(cycle).items()
        },
    }


def results(cycle, prefix=""):
    """Each participant's scores, grade, rank and tier in the current results."""
    return {
        r.participant.secretary.staff_no.removeprefix(prefix): (
            r.self_total,
            r.target_total,
            r.org_total,
            r.final,
            r.veto,
            r.grade,
            r.rank,
            r.tier,
        )
        for r in current_results(cycle).results.select_related("participant__secretary")
    }


# ------------------------------------------------------------------ refusals


def test_an_unknown_cycle_is_refused(tmp_path):
    with pytest.raises(CommandError, match="考核周期 999999 不存在"):
        call_command("backup_cycle", "999999", str(tmp_path / "backup"))
    assert not (tmp_path / "backup").exists()


def test_a_directory_holding_anything_is_refused_unless_forced(cycle, tmp_path):
    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(CommandError, match="不是空的.*--force"):
        back_up(cycle, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
    back_up(cycle, tmp_path, "--force")
    assert (tmp_path / "notes.txt").read_text() == "keep me"
    assert (tmp_path / "manifest.json").exists()


def test_what_a_killed_run_left_does_not_count_and_goes(cycle, tmp_path):
    (tmp_path / ".partial-x1y2").mkdir()
    (tmp_path / ".partial-x1y2" / "workbook.xlsx").write_bytes(b"half")
    back_up(cycle, tmp_path)
    assert not any(p.name.startswith(".partial-") for p in tmp_path.iterdir())


@pytest.mark.parametrize("where", ["under a file", "a file"])
def test_a_directory_that_cannot_be_written_is_refused_in_chinese(cycle, tmp_path, where):
    (tmp_path / "plain").write_text("not a folder")
    target = tmp_path / "plain" / "backup" if where == "under a file" else tmp_path / "plain"
    with pytest.raises(CommandError, match="无法写入目录|不是目录"):
        back_up(cycle, target)
    assert (tmp_path / "plain").read_text() == "not a folder"


@pytest.mark.parametrize(
    ("problem", "said", "copied"),
    [
        ("missing", "不存在，未能备份", 2),
        ("altered", "与上传时的 SHA-256 不符，已按现状备份", 3),
    ],
)
def test_a_lost_or_altered_evidence_file_is_named_and_the_rest_backed_up(
    cycle, tmp_path, monkeypatch, problem, said, copied
):
    bad = Attachment.objects.get(rectification__cycle=cycle)
    real_open = bad.file.storage.open

    def open_badly(name, mode="rb"):
        if name != bad.file.name:
            return real_open(name, mode)
        if problem == "missing":
            raise FileNotFoundError(name)
        return io.BytesIO(b"not what was uploaded")

    monkeypatch.setattr(bad.file.storage, "open", open_badly)
    err = io.StringIO()
    with pytest.raises(CommandError, match="有 1 个佐证材料文件缺失或与上传时不符"):
        call_command("backup_cycle", str(cycle.pk), str(tmp_path), stderr=err)
    assert f"附件 {bad.pk}“照片.png”的文件 {bad.file.name} {said}" in err.getvalue()
    manifest = manifest_of(tmp_path)
    assert manifest["problems"] == [
        {
            "attachment": bad.pk,
            "original_name": "照片.png",
            "stored_as": bad.file.name,
            "problem": problem,
        }
    ]
    assert len([f for f in manifest["files"] if f["kind"] == "attachment"]) == copied


def test_a_sheet_longer_than_excel_allows_is_refused_and_nothing_is_left(
    cycle, tmp_path, monkeypatch
):
    monkeypatch.setattr(cycle_workbook, "EXCEL_MAX_ROWS", 20)
    with pytest.raises(CommandError, match="工作表“指标”超过 Excel 的行数上限 20 行"):
        back_up(cycle, tmp_path / "backup")
    assert list((tmp_path / "backup").iterdir()) == []
