"""`python manage.py export_pay_bands CYCLE_ID PATH [--draft]` (SPEC §2 Pay band sheet):
a published cycle's sheet; before publication only as a 草稿 on request; a clear Chinese
message and a non-zero exit otherwise."""

import io
from decimal import Decimal as D

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from assessment import services as cycles
from tests.factories import complete_scoring, fresh_cycle, open_seed_cycle

pytestmark = pytest.mark.usefixtures("shared_world")


@pytest.fixture(scope="module")
def module_cycle(shared_world):
    """County QA's cycle in 公示 (results computed, not published), 绩效基数 50,000."""
    cycle = open_seed_cycle(shared_world.county_a, pay_base=D("50000"))
    cycle = cycles.transition(actor=None, cycle=cycle, name="start_scoring", version=cycle.version)
    cycle = complete_scoring(cycle, shared_world.county_assessor_a)
    return cycles.transition(actor=None, cycle=cycle, name="start_review", version=cycle.version)


@pytest.fixture
def cycle(module_cycle, db):
    return fresh_cycle(module_cycle)


def export(*args):
    out = io.StringIO()
    call_command("export_pay_bands", *map(str, args), stdout=out)
    return out.getvalue()


def headers(book, name):
    return [cell.value for cell in book[name][1]]


def test_a_cycle_that_does_not_exist_is_refused(tmp_path):
    path = tmp_path / "x.xlsx"
    with pytest.raises(CommandError, match="考核周期 999999 不存在"):
        export(999999, path)
    assert not path.exists()


def test_an_unpublished_cycle_needs_draft(cycle, tmp_path):
    path = tmp_path / "sheet.xlsx"
    with pytest.raises(CommandError) as refused:
        export(cycle.pk, path)
    message = str(refused.value)
    assert "公示中" in message and "尚未发布" in message and "--draft" in message
    assert not path.exists()


def test_a_draft_reads_the_current_results_and_is_marked_as_such(cycle, tmp_path):
    path = tmp_path / "draft.xlsx"
    output = export(cycle.pk, path, "--draft")
    assert "草稿" in output
    book = openpyxl.load_workbook(path)
    assert headers(book, "分档定薪")[:3] == ["排名", "工号", "姓名"]
    for header in ("工号", "姓名", "档次", "系数", "绩效报酬"):
        assert header in headers(book, "分档定薪")
    rows = list(book["分档定薪"].iter_rows(min_row=2, values_only=True))
    # Everyone scored alike: one tied group at rank 1, which takes the better tier.
    assert [(r[1], r[7], r[9]) for r in rows[:-1]] == [
        ("SA1", "一档", 55000),
        ("SA2", "一档", 55000),
        ("SB1", "一档", 55000),
    ]
    assert book.properties.title.endswith("分档定薪表（草稿）")
    notes = dict(book["说明"].iter_rows(min_row=2, values_only=True))
    assert "尚未发布" in notes["草稿"]


def test_a_published_cycle_exports_its_frozen_sheet(cycle, tmp_path):
    cycle = cycles.transition(actor=None, cycle=cycle, name="publish", version=cycle.version)
    path = tmp_path / "sheet.xlsx"
    assert "草稿" not in export(cycle.pk, path)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["分档定薪", "专项奖励", "汇总", "说明"]
    assert book.properties.title.endswith("分档定薪表")
    notes = dict(book["说明"].iter_rows(min_row=2, values_only=True))
    assert "草稿" not in notes and "发布" in notes["状态"]
    totals = {(r[0], r[1]): r[3:] for r in book["汇总"].iter_rows(min_row=2, values_only=True)}
    assert totals[("合计", "全部")][:2] == (3, 165000)
    # --draft on a published cycle still writes the published sheet, and says so.
    assert "忽略 --draft" in export(cycle.pk, tmp_path / "again.xlsx", "--draft")


def test_a_path_that_cannot_be_written_is_reported(cycle, tmp_path):
    target = tmp_path / "missing" / "sheet.xlsx"
    with pytest.raises(CommandError, match="无法写入"):
        export(cycle.pk, target, "--draft")
