"""The sample county (SPEC §4 workbook) reproduced by the engine, field by field.

The workbook is read here straight into engine inputs by a small reader, so the engine
is checked alone (tests/reports/test_sample_import.py takes the same file through the
real importer, the database and the export); numbers become ``Decimal`` through
``str(cell.value)`` (SPEC §4).
Expected strings are compared as numbers: the example writes e.g. "0" and "5" where the
engine holds 0.00 and 5, which are the same value.
"""

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from scoring.engine import (
    CycleInputs,
    Event,
    EventType,
    IndicatorNode,
    Method,
    Metric,
    Participant,
    ScoreEntry,
    Settings,
    Source,
    SurveyCategory,
    SurveyCount,
    compute,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
METHODS = {
    "评分": Method.RATING,
    "目标": Method.TARGET,
    "分档": Method.BANDS,
    "扣分": Method.DEDUCTION,
    "测评": Method.SURVEY,
}
SOURCES = {"自评": Source.SELF, "目标": Source.TARGET, "组织": Source.ORG}


def number(value) -> Decimal | None:
    """SPEC §4: a cell number becomes Decimal via its shortest decimal text."""
    return None if value is None or value == "" else Decimal(str(value))


def rows(workbook, sheet: str) -> list[dict]:
    """Rows of a sheet as dicts keyed by the header; blank rows skipped (SPEC §4)."""
    values = list(workbook[sheet].iter_rows(values_only=True))
    header = values[0]
    return [
        dict(zip(header, row, strict=False))
        for row in values[1:]
        if any(cell not in (None, "") for cell in row)
    ]


def parse_date(value) -> date:
    if isinstance(value, date):
        return value if type(value) is date else value.date()
    return date.fromisoformat(str(value))


def read_workbook(path: Path) -> tuple[CycleInputs, dict[str, str]]:
    """Engine inputs from a SPEC §4 workbook, and each staff no.'s name."""
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    conf = {r["项目"]: r["值"] for r in rows(wb, "设置")}
    settings = Settings(
        weight_self=number(conf["自评权重"]),
        weight_target=number(conf["目标权重"]),
        weight_org=number(conf["组织权重"]),
        bonus_cap=number(conf["加分上限"]),
        excellent_line=number(conf["优秀线"]),
        qualified_line=number(conf["合格线"]),
        basic_line=number(conf["基本合格线"]),
        excellent_share=number(conf["优秀比例"]),
        top_share=number(conf["一档比例"]),
        bottom_share=number(conf["三档比例"]),
        top_coefficient=number(conf["一档系数"]),
        middle_coefficient=number(conf["二档系数"]),
        bottom_coefficient=number(conf["三档系数"]),
        pay_base=number(conf["绩效基数"]),
        trim_min_raters=int(conf["去极值人数"]),
    )
    units = {r["编码"]: r for r in rows(wb, "单位")}
    participants = tuple(
        Participant(
            id=r["工号"],
            staff_no=r["工号"],
            community=r["社区编码"],
            town=units[r["社区编码"]]["上级编码"],
            graded=r["参加评定"] == "是",
        )
        for r in rows(wb, "书记")
    )
    names = {r["工号"]: r["姓名"] for r in rows(wb, "书记")}
    nodes = tuple(
        IndicatorNode(
            code=str(r["编码"]),
            parent_code=str(r["上级编码"]) if r["上级编码"] else None,
            points=number(r["分值"]),
            method=METHODS[r["方法"]] if r["方法"] else None,
            metric_key=r["数据项"],
            target=number(r["目标值"]),
            bands=tuple(
                (Decimal(threshold), Decimal(value))
                for threshold, value in (pair.split(":") for pair in r["分档"].split(";"))
            )
            if r["分档"]
            else (),
        )
        for r in rows(wb, "指标")
    )
    event_types = tuple(
        EventType(
            code=r["编码"],
            points=number(r["分值"]),
            leaf_code=str(r["指标编码"]) if r["指标编码"] else None,
            cap=number(r["上限"]),
            veto=r["一票否决"] == "是",
        )
        for r in rows(wb, "事项类型")
    )
    events = tuple(
        Event(
            participant_id=r["工号"],
            type_code=r["事项类型编码"],
            verified=r["状态"] == "已核实",
            exempt=r["免责"] == "是",
            on=parse_date(r["日期"]),
            description=r["说明"] or "",
        )
        for r in rows(wb, "事项")
    )
    metrics = tuple(
        Metric(r["社区编码"], r["数据项"], number(r["实际值"])) for r in rows(wb, "指标数据")
    )
    entries = tuple(
        ScoreEntry(
            participant_id=r["工号"],
            leaf_code=str(r["指标编码"]),
            source=SOURCES[r["来源"]],
            rater=r["评分人"],
            value=number(r["分数"]),
            note=r["备注"] or "",
        )
        for r in rows(wb, "评分")
    )
    survey_counts = tuple(
        SurveyCount(r["社区编码"], r["类别"], r["满意"], r["基本满意"], r["不满意"], r["不了解"])
        for r in rows(wb, "测评")
    )
    categories = tuple(SurveyCategory(r["类别"], number(r["权重"])) for r in rows(wb, "测评类别"))
    inputs = CycleInputs(
        nodes=nodes,
        participants=participants,
        settings=settings,
        entries=entries,
        metrics=metrics,
        event_types=event_types,
        events=events,
        survey_counts=survey_counts,
        survey_categories=categories,
    )
    return inputs, names


@pytest.fixture(scope="module")
def sample():
    inputs, names = read_workbook(FIXTURES / "sample-county.xlsx")
    expected = json.loads((FIXTURES / "sample-county.expected.json").read_text("utf-8"))
    return inputs, names, expected, compute(inputs)


NUMBERS = {
    "自评",
    "目标量评",
    "组织考评",
    "综合得分",
    "加分",
    "最终得分",
    "taken",
    "系数",
    "绩效报酬",
}


def as_decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def test_cycle_figures_match_the_example(sample):
    """SPEC §3.5: n, the 优秀 cap, tier sizes and the quota warnings of the sample."""
    _, _, expected, result = sample
    assert result.n == expected["n_graded"]
    assert result.quota == expected["max_excellent"]
    assert result.top == expected["top"]
    assert result.bottom == expected["bottom"]
    assert list(result.warnings) == expected["warnings"]
    assert not result.provisional


def test_every_participant_matches_the_example(sample):
    """SPEC §3.2–§3.5 for every participant of the sample, field by field."""
    _, names, expected, result = sample
    assert {p.staff_no for p in result.participants} == {e["工号"] for e in expected["results"]}
    for e in expected["results"]:
        got = result.participant(e["工号"])
        assert names[got.staff_no] == e["姓名"]
        actual = {
            "graded": got.graded,
            "自评": got.self_total,
            "目标量评": got.target_total,
            "组织考评": got.org_total,
            "综合得分": got.composite,
            "加分": got.bonus,
            "最终得分": got.final,
            "veto": got.veto,
            "一票否决": "是" if got.veto else "否",
            "taken": got.taken,
            "rank": got.rank,
            "排名": got.rank,
            "等次": got.grade,
            "档次": got.tier,
            "系数": got.coefficient,
            "绩效报酬": got.pay,
        }
        wanted = {key: as_decimal(e[key]) if key in NUMBERS else e[key] for key in actual}
        assert actual == wanted, e["工号"]


def test_every_leaf_matches_the_example(sample):
    """SPEC §3.1–§3.2: each leaf's S/T/O value for every participant of the sample."""
    _, _, expected, result = sample
    for e in expected["results"]:
        got = result.participant(e["工号"])
        assert [leaf.code for leaf in got.leaves] == [d["指标编码"] for d in e["detail"]]
        for d in e["detail"]:
            leaf = got.leaf(d["指标编码"])
            assert (
                leaf.points,
                leaf.self_value,
                leaf.target_value,
                leaf.org_value,
            ) == (
                Decimal(d["分值"]),
                Decimal(d["自评"]),
                Decimal(d["目标量评"]),
                Decimal(d["组织考评"]),
            ), (e["工号"], d["指标编码"])


def test_sample_veto_reasons_are_the_veto_events(sample):
    """SPEC §3.3: the reason (event) of each veto is shown."""
    _, _, _, result = sample
    vetoed = {p.staff_no: [e.type_code for e in p.veto_events] for p in result.participants}
    assert {k: v for k, v in vetoed.items() if v} == {
        "S015": ["E07"],
        "S026": ["E07"],
        "S029": ["E06"],
    }


def test_sample_incomplete_self_evaluations_are_flagged(sample):
    """SPEC §3.2: a missing self leaf counts 0 and is flagged 自评不完整."""
    _, _, _, result = sample
    flagged = {
        p.staff_no
        for p in result.participants
        if any(w.startswith("自评不完整") for w in p.warnings)
    }
    assert {"S009", "S017", "S031", "S034"} <= flagged
