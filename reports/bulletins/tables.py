"""A bulletin's tables, made once from its snapshot for every rendering: the page and
the PDF show them, the workbook writes them sheet by sheet — so the three agree cell for
cell. A cell is text, or a number (`Decimal`/`int`) the workbook writes as a number."""

from dataclasses import dataclass
from decimal import Decimal

from reports.excel.layout import RANKING_COLUMNS

WITHHELD = "样本不足"


@dataclass(frozen=True)
class Table:
    key: str  # the workbook's sheet name and the page's anchor
    title: str
    headers: tuple
    rows: tuple  # tuples of cells
    numbers: frozenset = frozenset()  # columns written as numbers
    note: str = ""

    def text_rows(self):
        """Every cell as the page shows it."""
        return [tuple(cell_text(cell) for cell in row) for row in self.rows]


def cell_text(cell):
    if cell is None:
        return ""
    if isinstance(cell, Decimal):
        return f"{cell:.2f}"
    return str(cell)


def _number(text):
    return Decimal(text) if text not in ("", None) else ""


# The results export's 排名 columns up to 档次 (a bulletin has no pay yet).
RANKING_HEADERS = RANKING_COLUMNS[: RANKING_COLUMNS.index("档次") + 1]
SCORE_KEYS = ("self", "target", "org", "composite", "bonus", "final")


def _ranking_row(row):
    if row.get("withheld") and row.get("final") == "":
        scores = (WITHHELD,) * len(SCORE_KEYS)
    else:
        scores = tuple(_number(row[key]) for key in SCORE_KEYS)
    rank = row["rank"] if row["rank"] not in (None, "") else ""
    return (
        rank,
        row["staff_no"],
        row["name"],
        row["town"],
        row["community"],
        *scores,
        row["grade"],
        "是" if row["veto"] else "",
        row["tier"],
    )


def ranking_table(key, title, rows):
    return Table(
        key,
        title,
        RANKING_HEADERS,
        tuple(_ranking_row(row) for row in rows),
        frozenset({0, 5, 6, 7, 8, 9, 10}),
    )


def ungraded_table(rows):
    return Table(
        "不参加评定",
        "附件：不参加评定的书记（不排名）",
        ("工号", "姓名", "镇街", "社区", "最终得分"),
        tuple(
            (r["staff_no"], r["name"], r["town"], r["community"], _number(r["final"])) for r in rows
        ),
        frozenset({4}),
    )


def overview_table(overview):
    surveys = overview["surveys"]
    evaluations = overview["self_evaluations"]
    events = overview["events"]
    rows = [
        ("参评书记（人）", overview["participants"]),
        ("其中参加评定（人）", overview["graded"]),
        ("镇街（个）", overview["towns"]),
        *((f"已录入{s['source']}的书记（人）", s["participants"]) for s in overview["scored"]),
        ("自我检评已提交（人）", evaluations["submitted"]),
        ("自我检评草稿（人）", evaluations["draft"]),
        ("自我检评已退回（人）", evaluations["returned"]),
        ("自我检评未开始（人）", evaluations["not_started"]),
        ("本季度事项已核实（件）", events["verified"]),
        ("本季度事项待核实（件）", events["reported"]),
        ("本季度事项不予认定（件）", events["rejected"]),
        ("民主评议线上票发放（张）", surveys["issued"]),
        ("民主评议线上票回收（张）", surveys["used"]),
        ("线上票回收率（%）", _number(surveys["rate"])),
        ("纸质票计入（张）", surveys["paper"]),
    ]
    return Table("总体情况", "一、总体情况", ("项目", "数值"), tuple(rows), frozenset({1}))


def towns_table(towns):
    headers = (
        "镇街",
        "人数",
        "自评",
        "目标量评",
        "组织考评",
        "最终得分",
        *towns["dimensions"],
        *towns["bands"],
        "偏差（标准误）",
        "判断",
    )
    dims, bands = len(towns["dimensions"]), len(towns["bands"])
    rows = []
    for item in [*towns["rows"], towns["county"]]:
        item_lean = item.get("lean") or {}
        rows.append(
            (
                item["town"],
                item["n"],
                _number(item["self"]),
                _number(item["target"]),
                _number(item["org"]),
                _number(item["final"]),
                *(_number(v) for v in item["dimensions"]),
                *item["bands"],
                item_lean.get("z") or "",
                item_lean.get("verdict") or "",
            )
        )
    numbers = frozenset(range(1, 6 + dims + bands))
    return Table("各镇街情况", "三、各镇街情况", headers, tuple(rows), numbers)


def keytask_table(keytasks):
    rows = [
        (r["town"], r["community"], r["task"], r["deadline"], r["progress"], r["status"])
        for r in [*keytasks["overdue"], *keytasks["lagging"]]
    ]
    return Table(
        "重点工作",
        "四、重点工作推进（滞后和逾期）",
        ("镇街", "社区", "重点工作", "完成时限", "进度（%）", "状态"),
        tuple(rows),
        frozenset({4}),
    )


def summons_table(summons):
    rows = [
        (r["town"], r["community"], r["secretary"], r["task"], r["deadline"], r["days_overdue"])
        for r in summons
    ]
    return Table(
        "约谈名单",
        "五、约谈名单",
        ("镇街", "社区", "书记", "重点工作", "完成时限", "逾期天数"),
        tuple(rows),
        frozenset({5}),
    )


def events_table(events):
    rows = [
        (
            r["on"],
            r["kind"],
            r["type"],
            _number(r["points"]),
            r["name"],
            r["town"],
            r["community"],
            r["description"],
        )
        for r in events
    ]
    return Table(
        "本季度事项",
        "六、本季度事项",
        ("日期", "类别", "事项类型", "分值", "书记", "镇街", "社区", "情况说明"),
        tuple(rows),
        frozenset({3}),
    )


def rectification_table(rectification):
    rows = [
        (
            r["town"],
            r["community"],
            r["problem"],
            r["owner"],
            r["deadline"],
            "逾期" if r["overdue"] else "",
        )
        for r in rectification["open"]
    ]
    return Table(
        "整改清单",
        "七、整改清单（未销号）",
        ("镇街", "社区", "问题", "责任人", "整改时限", "是否逾期"),
        tuple(rows),
    )


def tables(snapshot):
    """{key: Table} in the document's order."""
    ranking = snapshot["ranking"]
    made = [
        overview_table(snapshot["overview"]),
        ranking_table("前十名", "二、暂定排名 · 前十名", ranking["top"]),
        ranking_table("后十名", "二、暂定排名 · 后十名", ranking["bottom"]),
        towns_table(snapshot["towns"]),
        keytask_table(snapshot["keytasks"]),
        summons_table(snapshot["summons"]),
        events_table(snapshot["events"]),
        rectification_table(snapshot["rectification"]),
        ranking_table(
            "暂定排名",
            "附件：暂定排名（全部参加评定的书记）",
            [row for row in ranking["rows"] if row["graded"]],
        ),
        ungraded_table([row for row in ranking["rows"] if not row["graded"]]),
    ]
    return {table.key: table for table in made}
