"""The command-line contract (scripts depend on it):

- `python manage.py import_cycle PATH`: success → exit 0 and the last line of stdout is
  the cycle id, nothing after it; failure → non-zero exit, every fault printed (sheet,
  row, column, message), nothing in the database changed.
- `python manage.py compute_cycle CYCLE_ID`: computes the results now, in process; exit 0.
- `python manage.py export_results CYCLE_ID PATH`: writes the results workbook,
  recomputing first if the results are stale; exit 0.
- Only DATABASE_URL is needed, right after `migrate` on an empty database.

The end-to-end run is one test (migrate is slow) driving real subprocesses; the options
of import_cycle (--cycle, --only, --dry-run) and its errors are tested in process."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from assessment.models import Cycle
from assessment.services import mark_inputs_changed
from reports.excel.layout import DETAIL_COLUMNS, RANKING_COLUMNS
from scoring.models import ScoreEntry
from scoring.services import current_results, results_are_stale
from tests.reports import test_import_rejections
from tests.reports.test_import_rejections import (
    SAMPLE,
    mutated,
    set_cell,
    table_counts,
)

PROJECT = Path(__file__).resolve().parents[2]
TIMEOUT = 300
# The sample imported once for this module too (a module-scoped fixture).
sample_cycle_id = test_import_rejections.sample_cycle_id


def manage(database, *args):
    """`python manage.py ARGS` with nothing in the environment but PATH, HOME and
    DATABASE_URL (settings default to config.settings through manage.py)."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "DATABASE_URL": f"sqlite:///{database}",
    }
    return subprocess.run(
        [sys.executable, "manage.py", *map(str, args)],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def succeeded(run):
    assert run.returncode == 0, f"exit {run.returncode}\n{run.stdout}\n{run.stderr}"
    return run


def snapshot(database):
    """Every table's row count, and the current results of every cycle, read straight
    from the SQLite file."""
    with sqlite3.connect(database) as db:
        tables = [
            name
            for (name,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'django_%' ORDER BY name"
            )
        ]
        counts = {t: db.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}
        results = db.execute(
            "SELECT r.* FROM scoring_result r JOIN scoring_resultversion v ON v.id = r.version_id"
            " WHERE v.is_current ORDER BY r.id"
        ).fetchall()
        leaves = db.execute(
            "SELECT l.* FROM scoring_leafresult l JOIN scoring_result r ON r.sheet_id = l.sheet_id"
            " JOIN scoring_resultversion v ON v.id = r.version_id WHERE v.is_current"
            " ORDER BY l.id"
        ).fetchall()
        cycles = db.execute("SELECT id, inputs_version, status FROM assessment_cycle").fetchall()
    db.close()
    return counts, results, leaves, cycles


def sheet_rows(path, name):
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    rows = list(workbook[name].iter_rows(values_only=True))
    workbook.close()
    return rows


def last_line_id(stdout):
    """The cycle id: the last line, with nothing (not even a blank line) after it."""
    lines = stdout.splitlines()
    assert lines, "nothing printed"
    assert stdout.endswith("\n") and not stdout.endswith("\n\n"), repr(stdout[-40:])
    assert lines[-1].isdigit(), repr(lines[-1])
    return int(lines[-1])


def test_command_line_contract(tmp_path):
    database = tmp_path / "x.sqlite3"

    # An empty database, migrated.
    succeeded(manage(database, "migrate", "--no-input"))

    # The import creates the county, its units, secretaries, template, cycle and participants.
    imported = succeeded(manage(database, "import_cycle", SAMPLE))
    cycle_id = last_line_id(imported.stdout)
    assert "评分：新增 2561" in imported.stdout
    with sqlite3.connect(database) as db:
        name, year = db.execute(
            "SELECT name, year FROM assessment_cycle WHERE id = ?", (cycle_id,)
        ).fetchone()
        participants = db.execute(
            "SELECT COUNT(*) FROM assessment_participant WHERE cycle_id = ?", (cycle_id,)
        ).fetchone()[0]
        units = db.execute("SELECT COUNT(*) FROM assessment_orgunit").fetchone()[0]
    db.close()
    assert (name, year, participants, units) == ("2026年度示例县社区书记考核", 2026, 40, 85)

    # Compute now, in process.
    computed = succeeded(manage(database, "compute_cycle", cycle_id))
    assert f"周期 {cycle_id}" in computed.stdout and "37 人参加排名" in computed.stdout

    # Export: 排名 and 明细 with the sample's 40 participants.
    out = tmp_path / "out.xlsx"
    succeeded(manage(database, "export_results", cycle_id, out))
    ranking = sheet_rows(out, "排名")
    detail = sheet_rows(out, "明细")
    assert ranking[0] == RANKING_COLUMNS and detail[0] == DETAIL_COLUMNS
    assert len(ranking) - 1 == 40
    assert len({row[1] for row in ranking[1:]}) == 40
    assert len(detail) - 1 == 40 * 21
    before = snapshot(database)
    assert before[1], "the cycle has current results"

    # The fourth quarter's bulletin: .html, .pdf and .xlsx, the id last; its 暂定排名
    # equals the year's results (SPEC §3.6), one row per graded participant.
    bulletin_dir = tmp_path / "bulletin"
    made = succeeded(manage(database, "make_bulletin", cycle_id, 4, bulletin_dir))
    bulletin_id = last_line_id(made.stdout)
    files = sorted(p.name for p in bulletin_dir.iterdir())
    assert files == [f"bulletin-{bulletin_id}.{ext}" for ext in ("html", "pdf", "xlsx")]
    provisional = sheet_rows(bulletin_dir / f"bulletin-{bulletin_id}.xlsx", "暂定排名")
    header = list(provisional[0])
    assert {"排名", "工号", "姓名", "最终得分", "等次"} <= set(header)
    graded = {row[1]: row for row in ranking[1:] if row[0] not in (None, "")}
    assert len(provisional) - 1 == len(graded) == 37
    for row in provisional[1:]:
        year = graded[row[header.index("工号")]]
        assert row[header.index("排名")] == year[0]
        assert row[header.index("最终得分")] == year[RANKING_COLUMNS.index("最终得分")]
        assert row[header.index("等次")] == year[RANKING_COLUMNS.index("等次")]
    for bad in (("999999", "4"), (str(cycle_id), "5")):
        refused = manage(database, "make_bulletin", *bad, bulletin_dir)
        assert refused.returncode != 0
        assert "不存在" in refused.stderr or "季度应为 1–4" in refused.stderr
    # A bulletin changes no result (snapshot compares results and audit rows alike).
    with sqlite3.connect(database) as db:
        db.execute("DELETE FROM reports_bulletin")
        db.execute("DELETE FROM reports_historicalbulletin")
    db.close()

    # A broken workbook: refused, every fault on stderr, nothing changed.
    def break_it(wb):
        set_cell(wb["书记"], 10, "参加评定", "Y")
        set_cell(wb["评分"], 17, "指标编码", "1.1")
        set_cell(wb["评分"], 17, "分数", 7.5)
        set_cell(wb["评分"], 5, "分数", "七")
        set_cell(wb["事项"], 7, "状态", "已确认")
        set_cell(wb["书记"], 3, "姓名", "李强强")  # a change that must not be written

    broken = manage(database, "import_cycle", mutated(tmp_path, break_it))
    assert broken.returncode != 0, broken.stdout
    faults = [
        "书记!D10 参加评定 “Y”不是可选的值，应为：是、否",
        "事项!E7 状态 “已确认”不是可选的值，应为：已核实、待核实、不予认定",
        "评分!E5 分数 应为数字，实际是文字“七”",
        "评分!E17 分数 7.5 超过该指标分值 6",
    ]
    lines = broken.stderr.splitlines()
    assert [line for line in lines if line in faults] == faults, broken.stderr
    assert "共 4 处问题" in broken.stderr and "数据库未作任何改动" in broken.stderr
    assert str(cycle_id) not in broken.stdout.splitlines()
    assert snapshot(database) == before

    # The same good file again: exit 0, the same id, nothing changed (no audit rows either).
    again = succeeded(manage(database, "import_cycle", SAMPLE))
    assert last_line_id(again.stdout) == cycle_id
    assert "新增 0" in again.stdout and "修改 1" not in again.stdout
    assert snapshot(database) == before


# --- in process: options and errors ------------------------------------------------------


def run_import(*args, **options):
    """call_command; (stdout, stderr)."""
    from io import StringIO

    out, err = StringIO(), StringIO()
    call_command("import_cycle", *map(str, args), stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def imported_id(sample_cycle_id, db):
    """The sample, imported once for the module (see test_import_rejections.py)."""
    return sample_cycle_id


def test_import_prints_changes_then_the_id(tmp_path, db):
    out, err = run_import(SAMPLE)
    cycle_id = last_line_id(out)
    assert out.splitlines()[:-1] == [
        "设置：新增 1，修改 0，不变 0，删除 0",
        "单位：新增 85，修改 0，不变 0，删除 0",
        "书记：新增 40，修改 0，不变 0，删除 0",
        "指标：新增 25，修改 0，不变 0，删除 0",
        "事项类型：新增 15，修改 0，不变 0，删除 0",
        "事项：新增 137，修改 0，不变 0，删除 0",
        "指标数据：新增 200，修改 0，不变 0，删除 0",
        "评分：新增 2561，修改 0，不变 0，删除 0",
        "测评：新增 115，修改 0，不变 0，删除 0",
        "测评类别：新增 3，修改 0，不变 0，删除 0",
    ]
    assert err == ""
    assert Cycle.objects.get(pk=cycle_id).participants.count() == 40


def test_partial_import_with_cycle_and_only(tmp_path, imported_id):
    path = mutated(tmp_path, lambda wb: set_cell(wb["评分"], 3, "分数", 5))
    out, _err = run_import(path, "--cycle", imported_id, "--only", "评分")
    assert last_line_id(out) == imported_id
    assert "评分：新增 0，修改 1，不变 298，删除 0" in out
    assert "事项" not in out
    entry = ScoreEntry.objects.get(
        participant__cycle_id=imported_id,
        participant__secretary__staff_no="S001",
        leaf__code="1.1",
        source="target",
    )
    assert entry.value == 5


def test_dry_run_writes_nothing(tmp_path, imported_id):
    path = mutated(tmp_path, lambda wb: set_cell(wb["评分"], 3, "分数", 5))
    before = table_counts()
    out, _err = run_import(path, "--cycle", imported_id, "--only", "评分", "事项", "--dry-run")
    lines = out.splitlines()
    assert lines[-2:] == ["预览：以上改动未写入。", str(imported_id)]
    assert "评分：新增 0，修改 1" in out and "事项：新增 0，修改 0，不变 137" in out
    assert table_counts() == before


def test_refusal_prints_every_fault(tmp_path, imported_id):
    def change(wb):
        set_cell(wb["评分"], 17, "指标编码", "1.1")
        set_cell(wb["评分"], 17, "分数", 7.5)
        set_cell(wb["评分"], 4, "分数", -1)

    before = table_counts()
    with pytest.raises(CommandError, match="共 2 处问题") as refusal:
        run_import(mutated(tmp_path, change), "--cycle", imported_id, "--only", "评分")
    assert "数据库未作任何改动" in str(refusal.value)
    assert table_counts() == before


def test_refusal_lines_go_to_stderr(tmp_path, db):
    from io import StringIO

    out, err = StringIO(), StringIO()
    path = mutated(tmp_path, lambda wb: wb.remove(wb["书记"]))
    before = table_counts()
    with pytest.raises(CommandError):
        call_command("import_cycle", str(path), stdout=out, stderr=err)
    assert err.getvalue().splitlines() == ["书记 缺少工作表“书记”"]
    assert out.getvalue() == ""
    assert table_counts() == before


def test_missing_file(tmp_path, db):
    with pytest.raises(CommandError, match="无法读取文件") as refusal:
        run_import(tmp_path / "nowhere.xlsx")
    assert "nowhere.xlsx" in str(refusal.value)


def test_not_a_workbook(tmp_path, db):
    path = tmp_path / "notes.xlsx"
    path.write_text("这不是工作簿", encoding="utf-8")
    before = table_counts()
    with pytest.raises(CommandError, match="导入被拒绝"):
        run_import(path)
    assert table_counts() == before


def test_only_needs_cycle(db):
    with pytest.raises(CommandError, match="--only 需要同时给出 --cycle"):
        run_import(SAMPLE, "--only", "评分")


def test_unknown_cycle(db):
    with pytest.raises(CommandError, match="周期 999 不存在"):
        run_import(SAMPLE, "--cycle", 999, "--only", "评分")
    with pytest.raises(CommandError, match="周期 999 不存在"):
        call_command("compute_cycle", "999")
    with pytest.raises(CommandError, match="周期 999 不存在"):
        call_command("export_results", "999", "/tmp/never.xlsx")


def test_compute_and_export_in_process(tmp_path, imported_id):
    from io import StringIO

    out = StringIO()
    call_command("compute_cycle", str(imported_id), stdout=out)
    cycle = Cycle.objects.get(pk=imported_id)
    computed = current_results(cycle)
    assert computed.n == 37
    path = tmp_path / "r.xlsx"
    call_command("export_results", str(imported_id), str(path), stdout=out)
    ranking = sheet_rows(path, "排名")
    assert len(ranking) == 41
    assert current_results(cycle) == computed  # current: not computed again

    # Stale results (inputs changed since): export_results recomputes first.
    mark_inputs_changed(cycle)
    cycle.refresh_from_db()
    assert results_are_stale(cycle)
    call_command("export_results", str(imported_id), str(tmp_path / "fresh.xlsx"), stdout=out)
    cycle.refresh_from_db()
    assert not results_are_stale(cycle)
    assert current_results(cycle) != computed  # a new version …
    assert sheet_rows(tmp_path / "fresh.xlsx", "排名") == ranking  # … with the same figures
    with pytest.raises(CommandError, match="无法写入"):
        call_command(
            "export_results", str(imported_id), str(tmp_path / "no" / "dir" / "r.xlsx"), stdout=out
        )
