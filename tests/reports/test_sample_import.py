"""The sample county (SPEC §4 workbook) through the real importer, the engine and the
results export: every field of 排名 and 明细 equals sample-county.expected.json."""

import json
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command
from django.utils import timezone

from assessment.models import Cycle, Participant
from evidence.models import Event, FilingOrigin
from reports.excel.export import write_results
from reports.excel.importer import import_workbook
from scoring.models import ScoreEntry
from scoring.services import compute_cycle

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SAMPLE = FIXTURES / "sample-county.xlsx"
RANKING_NUMBERS = (
    "自评",
    "目标量评",
    "组织考评",
    "综合得分",
    "加分",
    "最终得分",
    "系数",
    "绩效报酬",
)


def sheet_rows(path, name):
    sheet = openpyxl.load_workbook(path, read_only=True, data_only=True)[name]
    values = list(sheet.iter_rows(values_only=True))
    return [dict(zip(values[0], row, strict=True)) for row in values[1:]]


def as_decimal(value):
    return None if value in (None, "") else Decimal(str(value))


@pytest.fixture
def expected():
    return json.loads((FIXTURES / "sample-county.expected.json").read_text("utf-8"))


@pytest.fixture
def exported(db, tmp_path):
    outcome = import_workbook(SAMPLE)
    compute_cycle(outcome.cycle_id)
    path = tmp_path / "results.xlsx"
    write_results(Cycle.objects.get(pk=outcome.cycle_id), path)
    return outcome, path


def test_sample_import_creates_the_whole_county(exported):
    """SPEC §4: one workbook describes the cycle; the import creates what it names."""
    outcome, _path = exported
    cycle = Cycle.objects.get(pk=outcome.cycle_id)
    assert (cycle.name, cycle.year, cycle.county.code) == (
        "2026年度示例县社区书记考核",
        2026,
        "360400",
    )
    assert cycle.participants.count() == 40
    assert Participant.objects.filter(cycle=cycle, is_graded=False).count() == 3
    assert ScoreEntry.objects.filter(participant__cycle=cycle).count() == 2561
    assert Event.objects.filter(participant__cycle=cycle).count() == 137
    exempted = Event.objects.filter(participant__cycle=cycle, exempt=True).select_related("filing")
    assert exempted.exists()
    # The filing an import makes for the file's exemptions says so, and is dated when
    # the import ran: never back-dated to pass the in-advance rule.
    for event in exempted:
        assert event.filing.origin == FilingOrigin.IMPORTED
        assert timezone.localdate(event.filing.filed_at) == timezone.localdate()
    assert outcome.changes["评分"].created == 2561
    assert outcome.applied


def test_ranking_sheet_equals_the_example(exported, expected):
    """SPEC §3.2–§3.5 and §4 排名: every field of every participant."""
    _outcome, path = exported
    rows = {r["工号"]: r for r in sheet_rows(path, "排名")}
    assert set(rows) == {e["工号"] for e in expected["results"]}
    for e in expected["results"]:
        row = rows[e["工号"]]
        for key in ("姓名", "镇街", "社区", "等次", "一票否决", "档次"):
            assert row[key] == e[key], (e["工号"], key)
        assert row["排名"] == e["排名"], e["工号"]
        for key in RANKING_NUMBERS:
            assert as_decimal(row[key]) == as_decimal(e[key]), (e["工号"], key)


def test_detail_sheet_equals_the_example(exported, expected):
    """SPEC §4 明细: one row per participant and leaf, S/T/O values as the example."""
    _outcome, path = exported
    rows = {(r["工号"], r["指标编码"]): r for r in sheet_rows(path, "明细")}
    count = 0
    for e in expected["results"]:
        for d in e["detail"]:
            row = rows[e["工号"], d["指标编码"]]
            for key in ("分值", "自评", "目标量评", "组织考评"):
                assert as_decimal(row[key]) == Decimal(d[key]), (e["工号"], d["指标编码"], key)
            count += 1
    assert len(rows) == count


def test_cycle_figures_equal_the_example(exported, expected):
    outcome, _path = exported
    version = Cycle.objects.get(pk=outcome.cycle_id).result_versions.get(is_current=True)
    assert (version.n, version.quota, version.top, version.bottom) == (
        expected["n_graded"],
        expected["max_excellent"],
        expected["top"],
        expected["bottom"],
    )
    assert version.warnings == expected["warnings"]


def test_importing_the_same_file_again_changes_nothing(exported):
    """SPEC §4: idempotent by codes — no row and no audit record changes."""
    outcome, _path = exported
    before = ScoreEntry.history.count(), Event.history.count(), Participant.history.count()
    again = import_workbook(SAMPLE)
    assert again.cycle_id == outcome.cycle_id
    assert not again.changed_anything, again.as_dict()
    assert all(c.created == c.changed == c.deleted == 0 for c in again.changes.values())
    assert (
        ScoreEntry.history.count(),
        Event.history.count(),
        Participant.history.count(),
    ) == before


def test_import_cycle_command_prints_the_cycle_id_last(db, capsys):
    """The command-line contract: exit 0, the last line of stdout is the cycle id."""
    call_command("import_cycle", str(SAMPLE))
    out = capsys.readouterr().out
    cycle_id = int(out.rstrip("\n").splitlines()[-1])
    assert Cycle.objects.filter(pk=cycle_id).exists()
